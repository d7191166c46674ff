//! Every interleaving of the lost-update lesson, with and without one fault: nothing panics,
//! every run ends, replay reproduces each run, and FOR UPDATE never loses an update.

use racelab_engine::run::{FaultPlan, Run, Status};
use racelab_engine::trace::Fault;
use racelab_engine::{lesson, Lesson, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

fn lesson() -> Arc<Lesson> {
    let text = include_str!("../../../lessons/lost-update.toml");
    Arc::new(lesson::parse("lost-update", "lost-update.toml", text).expect("lesson parses"))
}

fn balance(r: &Run) -> Value {
    let t = r.world().db.tables();
    let col = t[0].columns.iter().position(|c| c == "balance").unwrap();
    t[0].rows[0].committed.as_ref().unwrap()[col].clone()
}

/// Runs every schedule to its end; calls `f` on each finished run.
fn explore(run: Run, f: &mut impl FnMut(&Run)) {
    if run.finished() {
        f(&run);
        return;
    }
    for c in 0..run.world().clients.len() {
        if run.is_runnable(c) {
            let mut next = run.clone();
            next.step(c).expect("a runnable client can step");
            explore(next, f);
        }
    }
}

fn outcomes(
    l: &Arc<Lesson>,
    variant: usize,
    faults: FaultPlan,
) -> (usize, BTreeMap<String, usize>) {
    let mut count = 0;
    let mut seen = BTreeMap::new();
    explore(Run::new(l.clone(), variant, faults.clone()), &mut |r| {
        count += 1;
        let again = Run::replay(l.clone(), variant, faults.clone(), &r.trace().choices).unwrap();
        assert_eq!(again.world(), r.world(), "replay differs");
        assert_eq!(
            r.world().db.locks_held(),
            0,
            "a finished run holds no lock here"
        );
        let statuses: Vec<&str> = r
            .world()
            .clients
            .iter()
            .map(|c| match c.status {
                Status::Done { .. } => "done",
                Status::Crashed => "crashed",
                Status::Failed { .. } => "failed",
                Status::Blocked { .. } => "blocked",
                Status::Ready => "ready",
            })
            .collect();
        *seen
            .entry(format!("{} {}", balance(r), statuses.join("/")))
            .or_insert(0) += 1;
    });
    (count, seen)
}

#[test]
fn naive_loses_updates_in_some_interleavings_only() {
    let l = lesson();
    let (count, seen) = outcomes(&l, l.variant_index("naive").unwrap(), FaultPlan::new());
    assert!(count > 20, "{count}");
    assert!(seen.contains_key("300 done/done"), "{seen:?}");
    assert!(seen.contains_key("100 done/done"), "{seen:?}");
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[test]
fn for_update_never_loses_an_update() {
    let l = lesson();
    let (count, seen) = outcomes(&l, l.variant_index("for-update").unwrap(), FaultPlan::new());
    assert!(count > 5, "{count}");
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        vec!["100 done/done"],
        "{seen:?}"
    );
}

#[test]
fn one_exit_anywhere_loses_at_most_the_crashed_debit() {
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    for client in 0..2 {
        for line in 1..=5 {
            let mut faults = FaultPlan::new();
            faults.insert((client, line), Fault::Exit);
            let (_, seen) = outcomes(&l, v, faults);
            for outcome in seen.keys() {
                // The survivor's debit always lands; the crashed one's lands only if it committed
                // (never: the exit comes at the latest before COMMIT).
                assert!(
                    outcome.starts_with("300 "),
                    "exit@{client}:{line}: {seen:?}"
                );
                assert!(outcome.contains("crashed"), "{seen:?}");
            }
        }
    }
}

#[test]
fn a_sleep_anywhere_changes_timing_not_the_result() {
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    for client in 0..2 {
        for line in 1..=5 {
            let mut faults = FaultPlan::new();
            faults.insert((client, line), Fault::Sleep(60_000));
            let (_, seen) = outcomes(&l, v, faults);
            assert_eq!(
                seen.keys().collect::<Vec<_>>(),
                vec!["100 done/done"],
                "sleep@{client}:{line}"
            );
        }
    }
}
