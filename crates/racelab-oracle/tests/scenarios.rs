//! The scenario files, checked without a server: each parses, runs on the simulator without a
//! panic, and the simulator refuses only declared steps (every `!unsupported` one, and a
//! `!known-diff` one where that is the difference). (The comparison with
//! PostgreSQL is `cargo xtask oracle`.)

use std::path::Path;

use racelab_oracle::scenario::{self, Mark};
use racelab_oracle::sim::Sim;

#[test]
fn every_scenario_parses_and_runs_on_the_simulator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "at least 20 scenarios, found {}",
        files.len()
    );
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let s = scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.title.is_empty(), "{name}: the first line is a `# title`");
        let mut sim = Sim::new();
        for step in &s.steps {
            let refused = sim.step(step).outcome.is_refusal();
            // A refusal must be declared: as `!unsupported`, or as a `!known-diff` that says
            // why (the deadlock refusal); and every `!unsupported` step must be refused.
            let declared = matches!(step.mark, Mark::Unsupported | Mark::KnownDiff(_));
            assert!(
                !refused || declared,
                "{name}:{}: `{step}` is refused but not marked",
                step.line
            );
            assert!(
                refused || step.mark != Mark::Unsupported,
                "{name}:{}: `{step}` is marked !unsupported but the simulator answered",
                step.line
            );
        }
    }
}
