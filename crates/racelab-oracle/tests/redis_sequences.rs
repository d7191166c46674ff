//! The Redis sequence files, checked without a server: at least 80, each parses, has a title,
//! and runs on the simulated store without a panic and without a refusal ("… not supported by
//! the simulator": refused commands stay out of the sequences). The comparison with a real
//! Redis is `cargo xtask oracle`.

use std::path::Path;

use racelab_engine::service::redis::store::{Store, COMMANDS};
use racelab_oracle::redis_run::VIRTUAL_ORIGIN;
use racelab_oracle::redis_seq::{self, Action};

#[test]
fn every_sequence_parses_and_runs_on_the_simulator_without_refusals() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("redis");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 80,
        "at least 80 sequences, found {}",
        files.len()
    );
    let mut used = std::collections::BTreeSet::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let seq = redis_seq::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !seq.title.is_empty(),
            "{name}: the first line is a `# title`"
        );
        let conns = seq.conns();
        let mut store = Store::new();
        let mut now = VIRTUAL_ORIGIN;
        for step in &seq.steps {
            let conn = conns.iter().position(|c| *c == step.conn).unwrap_or(0) + 1;
            match &step.action {
                Action::Sleep(ms) => now += ms,
                Action::Read => drop(store.take_inbox(conn)),
                Action::Command { words, .. } => {
                    let words: Vec<String> =
                        words.iter().map(|w| w.resolve(VIRTUAL_ORIGIN)).collect();
                    used.insert(words[0].to_ascii_lowercase());
                    let reply = store.exec(conn, &words, now);
                    assert!(
                        !reply.render().contains("not supported by the simulator"),
                        "{name}:{}: the simulator refuses `{step}`: {}",
                        step.line,
                        reply.render()
                    );
                }
            }
        }
    }
    let missing: Vec<&str> = COMMANDS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !used.contains(*n))
        .collect();
    assert!(missing.is_empty(), "commands no sequence uses: {missing:?}");
}
