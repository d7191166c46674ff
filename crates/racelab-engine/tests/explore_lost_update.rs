//! The explorer on the lost-update lesson: hand-checked facts of its case table, plain and
//! reduced agree, every execution's replay id round-trips, budgets stop.

use racelab_engine::explore::{self, replay_id, Config, Report};
use racelab_engine::fault::Fault;
use racelab_engine::model::Model;
use racelab_engine::{lesson, Lesson};
use std::collections::BTreeSet;
use std::sync::Arc;

fn lesson() -> Arc<Lesson> {
    let text = include_str!("../../../lessons/lost-update.toml");
    Arc::new(lesson::parse("lost-update", "lost-update.toml", text).expect("lesson parses"))
}

fn faults() -> Vec<Fault> {
    vec![
        Fault::Exit,
        Fault::ExitAfter,
        Fault::Error,
        Fault::Sleep(60_000),
    ]
}

fn explore_variant(l: &Arc<Lesson>, slug: &str, reduce: bool) -> Report {
    let m = Model::new(l.clone(), l.variant_index(slug).unwrap());
    let cfg = Config {
        faults: faults(),
        reduce,
        ..Config::default()
    };
    let r = explore::explore(&m, &cfg, None);
    assert_eq!(r.stopped, None);
    r
}

/// The final balance of an outcome.
fn balance(r: &Report, o: usize) -> String {
    let line = &r.outcomes[o].state[0];
    let row = line.split('(').nth(1).unwrap();
    row.trim_end_matches(')')
        .split(", ")
        .nth(2)
        .unwrap()
        .to_string()
}

fn row<'a>(l: &Lesson, r: &'a Report, label: &str) -> &'a explore::CaseRow {
    r.rows
        .iter()
        .find(|row| row.label(l) == label)
        .unwrap_or_else(|| panic!("no row {label}"))
}

#[test]
fn numbers() {
    let l = lesson();
    for slug in ["naive", "for-update"] {
        for reduce in [false, true] {
            let r = explore_variant(&l, slug, reduce);
            eprintln!(
                "{slug} reduce={reduce}: {:?} rows={} outcomes={} tally={:?}",
                r.stats,
                r.rows.len(),
                r.outcomes.len(),
                r.tally()
            );
        }
    }
}

#[test]
fn naive_is_bad_with_no_fault_at_all() {
    let l = lesson();
    let r = explore_variant(&l, "naive", true);
    let none = row(&l, &r, "no fault");
    assert!(none.bad > 0 && none.ok > 0, "{none:?}");
    let balances: BTreeSet<String> = none.outcomes.iter().map(|o| balance(&r, *o)).collect();
    assert_eq!(balances, ["100", "300"].map(String::from).into());
    // The counterexample replays to a lost update.
    let id = none.counterexample.as_ref().unwrap();
    let run = replay_id::replay(&l, id).unwrap();
    assert!(run.finished());
    assert_eq!(run.verdicts()[0].verdict.as_str(), "fail", "{id}");
}

#[test]
fn for_update_never_loses_the_survivors_debit() {
    let l = lesson();
    let r = explore_variant(&l, "for-update", true);
    assert_eq!(row(&l, &r, "no fault").bad, 0);
    for row in &r.rows {
        let label = row.label(&l);
        for o in &row.outcomes {
            // Every client that finished its request has its debit in the balance: no
            // placement loses a survivor's debit.
            let b: i64 = balance(&r, *o).parse().unwrap();
            let done = r.outcomes[*o]
                .clients
                .iter()
                .filter(|c| c.ends_with(" done"));
            assert!(b <= 500 - 200 * done.count() as i64, "{label}: {b}");
            assert!(b == 100 || b == 300 || b == 500, "{label}: {b}");
        }
    }
    // An error after the FOR UPDATE (on the UPDATE) leaves T1's transaction open with the row
    // locked: T2 waits forever and nothing is debited — but T2 never finished either.
    let stuck = row(&l, &r, "error before T1:4");
    assert!(stuck.outcomes.iter().any(|o| balance(&r, *o) == "500"));
    // Exit after T1's COMMIT: T1's debit is committed, T2's lands too: 100.
    let after_commit = row(&l, &r, "exit-after after T1:5");
    let balances: BTreeSet<String> = after_commit
        .outcomes
        .iter()
        .map(|o| balance(&r, *o))
        .collect();
    assert_eq!(balances, ["100".to_string()].into());
    // Exit before T1's COMMIT: only T2's debit lands: 300, a "bad" row (the balance is not 100).
    let before_commit = row(&l, &r, "exit before T1:5");
    assert_eq!(before_commit.ok, 0);
    assert!(before_commit.bad > 0);
    // A sleep anywhere changes timing: a minute's pause breaks the 100 ms timeout, never the balance.
    let slept = row(&l, &r, "sleep=60000 before T1:3");
    for o in &slept.outcomes {
        assert_eq!(balance(&r, *o), "100");
        assert_eq!(r.outcomes[*o].verdicts[1].1, "fail");
    }
    // An error on T1's first line: T2 debits alone.
    let error = row(&l, &r, "error before T1:1");
    for o in &error.outcomes {
        assert_eq!(balance(&r, *o), "300");
    }
}

#[test]
fn plain_and_reduced_agree_on_lost_update() {
    let l = lesson();
    for slug in ["naive", "for-update"] {
        let plain = explore_variant(&l, slug, false);
        let reduced = explore_variant(&l, slug, true);
        let classes = |r: &Report| -> BTreeSet<(String, String)> {
            r.rows
                .iter()
                .flat_map(|row| {
                    row.outcomes
                        .iter()
                        .map(|o| (row.label(&l), r.outcomes[*o].signature()))
                })
                .collect()
        };
        assert_eq!(classes(&plain), classes(&reduced), "{slug}");
        assert!(reduced.stats.states < plain.stats.states, "{slug}");
        assert!(reduced.stats.steps < plain.stats.steps, "{slug}");
    }
}

#[test]
fn every_replay_id_round_trips() {
    let l = lesson();
    let mut ids = 0;
    for slug in ["naive", "for-update"] {
        let r = explore_variant(&l, slug, true);
        for row in &r.rows {
            for id in row.counterexample.iter().chain(&row.example) {
                let (_, v, actions) = replay_id::resolve(&l, id).unwrap();
                assert_eq!(replay_id::encode(&l.variants[v].slug, &actions), *id);
                let run = replay_id::replay(&l, id).unwrap();
                assert!(run.finished(), "{id}");
                let m = Model::new(l.clone(), v);
                let o = explore::Outcome::of(&m, run.world());
                assert!(row.outcomes.iter().any(|x| r.outcomes[*x] == o), "{id}");
                assert_eq!(o.ok(), row.example.as_ref() == Some(id), "{id}");
                ids += 1;
            }
        }
    }
    assert!(ids > 20, "{ids}");
}

#[test]
fn bad_replay_ids_are_refused_with_a_reason() {
    let l = lesson();
    for bad in [
        "",
        "naive",
        ":0.1",
        "nope:0",
        "naive:0..1",
        "naive:z",
        "naive:0q",
        "naive:9",
        "naive:t7",
        "naive:0s",
        "naive:0s99999999999999999999",
        "naive:0w0",
        "naive:0d5",
        "naive:1.1.1.1.1.1.1.1.1.1.1.1",
        "naive:0x.0",
    ] {
        let err = replay_id::replay(&l, bad).err();
        assert!(
            err.as_ref().is_some_and(|e| !e.is_empty()),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn budgets_stop_with_partial_results() {
    let l = lesson();
    let m = Model::new(l.clone(), 0);
    for reduce in [false, true] {
        let cfg = Config {
            faults: faults(),
            reduce,
            max_executions: Some(10),
            ..Config::default()
        };
        let r = explore::explore(&m, &cfg, None);
        assert_eq!(
            r.stopped.as_deref(),
            Some("stopped: budget of 10 executions reached; results are partial")
        );
        assert!(r.stats.walked <= 10);
        let cfg = Config {
            faults: faults(),
            reduce,
            max_steps: Some(50),
            ..Config::default()
        };
        let r = explore::explore(&m, &cfg, None);
        assert!(r.stopped.as_deref().unwrap().contains("50 steps"));
        let mut asked = 0;
        let mut stop = |_: &explore::Progress| {
            asked += 1;
            asked > 2
        };
        let cfg = Config {
            faults: faults(),
            reduce,
            ..Config::default()
        };
        let r = explore::explore(&m, &cfg, Some(&mut stop));
        assert_eq!(
            r.stopped.as_deref(),
            Some("stopped: out of time; results are partial")
        );
    }
}

#[test]
fn progress_grows_from_zero_towards_one() {
    let m = Model::new(lesson(), 0);
    for reduce in [false, true] {
        let mut seen: Vec<explore::Progress> = Vec::new();
        let mut stop = |p: &explore::Progress| {
            seen.push(*p);
            false
        };
        let cfg = Config {
            faults: faults(),
            reduce,
            ..Config::default()
        };
        let r = explore::explore(&m, &cfg, Some(&mut stop));
        assert!(seen.len() > 10, "{}", seen.len());
        for pair in seen.windows(2) {
            assert!(pair[0].done <= pair[1].done, "{pair:?}");
            assert!(pair[0].steps < pair[1].steps);
        }
        let last = seen.last().unwrap();
        assert!(last.done > 0.5 && last.done < 1.0, "{last:?}");
        assert!(last.steps <= r.stats.steps);
    }
}
