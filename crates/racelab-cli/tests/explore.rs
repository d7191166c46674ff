//! `racelab explore` and `racelab run --replay`.

mod common;

use common::{lesson, racelab, text};

#[test]
fn explore_prints_the_case_table() {
    let l = lesson();
    let out = racelab(&[
        "explore",
        &l,
        "--variant",
        "naive",
        "--faults",
        "exit,exit-after,error,sleep=60000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("variant:  naive"), "{s}");
    assert!(s.contains("complete"), "{s}");
    // The naive variant loses an update in some interleavings with no fault at all.
    let none = s.lines().find(|l| l.contains("no fault")).unwrap();
    assert!(none.trim_start().starts_with("MIXED"), "{none}");
    assert!(none.contains("naive:"), "{none}");
    assert!(s.contains("exit-after after T1:5"), "{s}");
    assert!(
        s.contains("tally: 0 ok / 39 bad (1 ok under some interleavings"),
        "{s}"
    );
}

#[test]
fn plain_and_reduced_print_the_same_rows() {
    let l = lesson();
    let rows = |extra: &[&str]| {
        let mut args = vec![
            "explore",
            l.as_str(),
            "--variant",
            "for-update",
            "--markdown",
        ];
        args.extend_from_slice(extra);
        let s = text(&racelab(&args).stdout);
        let cases: Vec<String> = s
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| case") && !l.starts_with("| ---"))
            .map(|l| l.split(" | ").next().unwrap().to_string())
            .collect();
        assert!(cases.len() > 20, "{s}");
        cases
    };
    assert_eq!(rows(&[]), rows(&["--plain"]));
}

#[test]
fn a_counterexample_replays_with_run() {
    let l = lesson();
    let out = racelab(&[
        "explore",
        &l,
        "--variant",
        "naive",
        "--faults",
        "none",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.starts_with("{\"lesson\":"), "{s}");
    let at = s.find("\"counterexample\":\"").unwrap() + "\"counterexample\":\"".len();
    let id = &s[at..at + s[at..].find('"').unwrap()];
    let out = racelab(&["run", &l, "--replay", id]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a lost update fails: {}",
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(s.contains("FAIL    balance-is-100"), "{s}");
    assert!(s.contains("got 300"), "{s}");
}

#[test]
fn an_exit_after_t1s_commit_replays_to_a_balance_of_100() {
    let out = racelab(&[
        "run",
        &lesson(),
        "--replay",
        "for-update:0.0.0.0.0a.1.1.1.1.1",
    ]);
    let s = text(&out.stdout);
    assert!(
        s.contains("PASS    balance-is-100"),
        "{s}{}",
        text(&out.stderr)
    );
    assert!(s.contains("T1   crashed") || s.contains("crash"), "{s}");
}

#[test]
fn bad_replay_ids_and_options_are_usage_errors() {
    let l = lesson();
    for args in [
        vec!["run", l.as_str(), "--replay", "naive:0.zz"],
        vec!["run", l.as_str(), "--replay", "nope:0"],
        vec![
            "run",
            l.as_str(),
            "--replay",
            "naive:0",
            "--inject",
            "exit@T1:1",
        ],
        vec!["explore", l.as_str(), "--faults", "explode"],
        vec!["explore", l.as_str(), "--max-faults", "two"],
        vec!["explore", l.as_str(), "--variant", "nope"],
    ] {
        let out = racelab(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stdout)
        );
        assert!(text(&out.stderr).contains("racelab"), "{args:?}");
    }
}

#[test]
fn the_execution_budget_stops_with_partial_results() {
    let out = racelab(&["explore", &lesson(), "--max-executions", "5"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.contains("stopped: budget of 5 executions reached; results are partial"),
        "{s}"
    );
}

/// The lost-update lesson with `from` replaced by `to` (once), written to a temporary file.
fn changed_lesson(tag: &str, from: &str, to: &str) -> (std::path::PathBuf, usize) {
    let dir = std::env::temp_dir().join(format!("racelab-tally-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(lesson()).unwrap();
    assert!(good.contains(from), "{from}");
    let line = good.lines().position(|l| l.contains(from)).unwrap() + 1;
    let path = dir.join("lesson.toml");
    std::fs::write(&path, good.replacen(from, to, 1)).unwrap();
    (path, line)
}

#[test]
fn check_fails_at_the_tally_when_the_case_table_changes() {
    let (path, line) = changed_lesson(
        "changed",
        "tally = \"1 ok / 38 bad\"",
        "tally = \"2 ok / 37 bad\"",
    );
    let out = racelab(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let want = format!(
        "{}:{line}:9: variant \"for update\": the case table is now \"1 ok / 38 bad, 0 mixed\"",
        path.display()
    );
    assert!(err.contains(&want), "wanted {want:?} in:\n{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn check_refuses_a_malformed_tally_and_unknown_fault_kinds_with_their_place() {
    let (path, line) = changed_lesson("syntax", "tally = \"1 ok / 38 bad\"", "tally = \"most ok\"");
    let err = text(&racelab(&["check", path.to_str().unwrap()]).stderr);
    let want = format!(
        "{}:{line}:9: write a tally as \"3 ok / 4 bad\"",
        path.display()
    );
    assert!(err.contains(&want), "wanted {want:?} in:\n{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
    let from = "faults = \"exit,exit-after,error,sleep=60000\"";
    let (path, line) = changed_lesson("kinds", from, "faults = \"exit,explode\"");
    let out = racelab(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let want = format!(
        "{}:{line}:10: variant \"naive\": faults: `explode` is not a fault kind",
        path.display()
    );
    assert!(err.contains(&want), "wanted {want:?} in:\n{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn observations_name_each_outcome_in_the_lessons_words() {
    let out = racelab(&[
        "explore",
        &lesson(),
        "--variant",
        "for update",
        "--faults",
        "error",
    ]);
    let s = text(&out.stdout);
    // An error inside the transaction leaves it open: its row lock is still held, the other
    // request waits forever, and nothing was debited.
    assert!(s.contains("balance: no debit; locks: left held |"), "{s}");
    assert!(
        s.contains("balance: two debits; locks: none | balance-is-100=pass"),
        "{s}"
    );
}
