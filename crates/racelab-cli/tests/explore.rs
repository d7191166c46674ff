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
