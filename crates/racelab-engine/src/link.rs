//! Where a run stands, as text a URL can hold: the replay id of the actions taken (variant and
//! group limit included, see [`replay_id`]) and the fault plan, the faults placed so far, written
//! as the command line writes them (`exit@T1:5,sleep=60000@T2:3`). [`restore`] rebuilds the
//! exact run from them; a link that does not fit the lesson is an error that names the part at
//! fault, never a panic and never a different run.

use crate::explore::replay_id;
use crate::fault::{self, Fault, FaultPlan, Names};
use crate::lesson::Lesson;
use crate::run::Run;
use std::sync::Arc;

/// A run's place: both parts are empty-free text safe in a URL fragment (the page still
/// percent-encodes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The replay id of the actions taken, e.g. `naive:0.1.0x`.
    pub run: String,
    /// The fault plan, comma-separated; empty when no fault is placed.
    pub faults: String,
}

/// The place of `run`.
pub fn place(run: &Run) -> Place {
    Place {
        run: replay_id::id_of(run.model(), &run.trace().actions),
        faults: plan_text(run.lesson(), run.faults()),
    }
}

/// The fault plan as `exit@T1:5,sleep=60000@T2:3`, in the plan's order.
pub fn plan_text(lesson: &Lesson, plan: &FaultPlan) -> String {
    let clients = lesson.client_names();
    plan.iter()
        .map(|(&(c, line), f)| {
            let name = clients.get(c).copied().unwrap_or("?");
            format!("{}@{name}:{line}", f.spec(lesson))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a fault plan written by [`plan_text`] (empty: no faults) against `lesson`'s names.
pub fn parse_plan(lesson: &Lesson, text: &str) -> Result<FaultPlan, String> {
    let mut plan = FaultPlan::new();
    for spec in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (at, f): ((usize, usize), Fault) = fault::parse_spec(lesson, spec)?;
        if plan.insert(at, f).is_some() {
            return Err(format!("`{spec}`: two faults at the same line"));
        }
    }
    Ok(plan)
}

/// Rebuilds the run a place names: the lesson cut to the id's group limit, the id's variant,
/// the plan's faults, then the id's actions one by one. Errors name the action that cannot be
/// taken.
pub fn restore(lesson: &Arc<Lesson>, run: &str, faults: &str) -> Result<Run, String> {
    let (lesson, v, actions) = replay_id::resolve(lesson, run)?;
    let plan = parse_plan(&lesson, faults).map_err(|e| format!("the fault plan: {e}"))?;
    replay_id::replay_actions(lesson, v, plan, &actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson;

    const LESSON: &str = r#"
title = "t"
setup = "CREATE TABLE a (id int PRIMARY KEY, v int); INSERT INTO a VALUES (1, 0);"
[scripts]
inc = '''
BEGIN
v = SELECT v FROM a WHERE id = 1
UPDATE a SET v = :v + 1 WHERE id = 1
COMMIT
'''
[[client]]
name = "T1"
script = "inc"
[[client]]
name = "T2"
script = "inc"
[[variant]]
name = "naive"
[[variant]]
name = "other"
"#;

    fn lesson() -> Arc<Lesson> {
        Arc::new(lesson::parse("t", "t.toml", LESSON).unwrap())
    }

    #[test]
    fn a_place_restores_the_same_run_faults_and_all() {
        let l = lesson();
        let mut plan = FaultPlan::new();
        plan.insert((0, 3), Fault::Exit);
        plan.insert((1, 4), Fault::Sleep(60_000));
        let mut r = Run::new(l.clone(), 1, plan);
        for c in [0, 1, 0, 0, 1] {
            r.step(c).unwrap();
        }
        let p = place(&r);
        assert!(p.run.starts_with("other:"), "{}", p.run);
        assert_eq!(p.faults, "exit@T1:3,sleep=60000@T2:4");
        let back = restore(&l, &p.run, &p.faults).unwrap();
        assert_eq!(back.trace().events, r.trace().events);
        assert_eq!(back.faults(), r.faults());
        assert_eq!(back.variant(), 1);
        assert_eq!(place(&back), p);
    }

    #[test]
    fn a_link_that_does_not_fit_says_which_part() {
        let l = lesson();
        let e = restore(&l, "nope:0", "").unwrap_err();
        assert!(e.contains("no variant `nope`"), "{e}");
        let e = restore(&l, "naive:0", "exit@T9:3").unwrap_err();
        assert!(e.contains("the fault plan") && e.contains("T9"), "{e}");
        let e = restore(&l, "naive:0", "exit@T1:3,error@T1:3").unwrap_err();
        assert!(e.contains("two faults at the same line"), "{e}");
        let e = restore(&l, "naive:7", "").unwrap_err();
        assert!(e.contains("no such client"), "{e}");
        // T1 runs its four lines and ends: a fifth step is refused, and named.
        let e = restore(&l, "naive:0.0.0.0.0", "").unwrap_err();
        assert!(e.starts_with("action 5 `0` of the replay id"), "{e}");
    }
}
