//! Shrinking a failing schedule: remove a whole session's steps, or one step, and keep the
//! removal when the smaller schedule still fails; repeat until nothing more can go or the
//! budget of runs is spent.

use crate::scenario::{Action, Step};

/// The result: the smallest failing schedule found, and how many runs it took.
#[derive(Debug)]
pub struct Shrunk {
    pub steps: Vec<Step>,
    pub runs: usize,
}

/// The sessions of the removable steps (`!wait` steps belong to none), in order of appearance.
fn sessions(steps: &[Step], removable: &impl Fn(&Step) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in steps {
        if removable(s) && !matches!(s.action, Action::Wait(_)) && !out.contains(&s.session) {
            out.push(s.session.clone());
        }
    }
    out
}

/// Shrinks `steps`, which fail (`fails(&steps)` was true). Only steps for which `removable`
/// holds are taken out (the setup and the final check stay). `fails` runs at most `budget`
/// times; the result always fails, as far as `fails` said.
pub fn shrink(
    mut steps: Vec<Step>,
    removable: impl Fn(&Step) -> bool,
    mut fails: impl FnMut(&[Step]) -> bool,
    budget: usize,
) -> Shrunk {
    let mut runs = 0;
    let mut attempt = |candidate: Vec<Step>, steps: &mut Vec<Step>, runs: &mut usize| {
        *runs += 1;
        let failed = fails(&candidate);
        if failed {
            *steps = candidate;
        }
        failed
    };
    loop {
        let mut progressed = false;
        for session in sessions(&steps, &removable) {
            if runs == budget {
                return Shrunk { steps, runs };
            }
            let candidate: Vec<Step> = steps
                .iter()
                .filter(|s| !(removable(s) && s.session == session))
                .cloned()
                .collect();
            progressed |= attempt(candidate, &mut steps, &mut runs);
        }
        // One step at a time, from the end: later steps depend on earlier ones more often than
        // the other way round.
        let mut i = steps.len();
        while i > 0 {
            i -= 1;
            if !removable(&steps[i]) {
                continue;
            }
            if runs == budget {
                return Shrunk { steps, runs };
            }
            let mut candidate = steps.clone();
            candidate.remove(i);
            progressed |= attempt(candidate, &mut steps, &mut runs);
        }
        if !progressed {
            return Shrunk { steps, runs };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    const SCHEDULE: &str = "setup: CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)\n\
        setup: INSERT INTO t VALUES (1, 0), (2, 0)\n\
        a: BEGIN\n\
        b: BEGIN\n\
        a: UPDATE t SET v = 1 WHERE id = 1\n\
        c: BEGIN\n\
        b: SELECT v FROM t WHERE id = 2\n\
        !wait 1500\n\
        c: DELETE FROM t WHERE id = 2\n\
        b: UPDATE t SET v = 2 WHERE id = 1\n\
        a: COMMIT\n\
        b: COMMIT\n\
        c: !close\n\
        check: SELECT * FROM t ORDER BY id\n";

    fn steps() -> Vec<Step> {
        parse("s", SCHEDULE).unwrap().steps
    }

    fn texts(steps: &[Step]) -> Vec<String> {
        steps.iter().map(Step::to_string).collect()
    }

    fn removable(s: &Step) -> bool {
        s.session != "setup" && s.session != "check"
    }

    fn has(steps: &[Step], line: &str) -> bool {
        steps.iter().any(|s| s.to_string() == line)
    }

    #[test]
    fn keeps_only_removals_that_still_fail() {
        // "Fails" while a's UPDATE comes before b's UPDATE and a has not committed in between.
        let fails = |s: &[Step]| {
            let t = texts(s);
            let a = t
                .iter()
                .position(|l| l == "a: UPDATE t SET v = 1 WHERE id = 1");
            let b = t
                .iter()
                .position(|l| l == "b: UPDATE t SET v = 2 WHERE id = 1");
            let commit = t.iter().position(|l| l == "a: COMMIT");
            matches!((a, b), (Some(a), Some(b)) if a < b && commit.is_none_or(|c| c > b))
        };
        assert!(fails(&steps()));
        let shrunk = shrink(steps(), removable, fails, 1000);
        assert!(fails(&shrunk.steps));
        assert_eq!(
            texts(&shrunk.steps),
            [
                "setup: CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
                "setup: INSERT INTO t VALUES (1, 0), (2, 0)",
                "a: UPDATE t SET v = 1 WHERE id = 1",
                "b: UPDATE t SET v = 2 WHERE id = 1",
                "check: SELECT * FROM t ORDER BY id",
            ]
        );
    }

    #[test]
    fn a_whole_session_goes_at_once_and_fixed_steps_stay() {
        let mut calls = Vec::new();
        let shrunk = shrink(
            steps(),
            removable,
            |s: &[Step]| {
                calls.push(s.len());
                has(s, "!wait 1500")
            },
            1000,
        );
        // The first tries take out sessions a, b, c whole (3, 4 and 3 of the 14 steps).
        assert_eq!(calls[..3], [11, 7, 4]);
        assert_eq!(
            texts(&shrunk.steps),
            [
                "setup: CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
                "setup: INSERT INTO t VALUES (1, 0), (2, 0)",
                "!wait 1500",
                "check: SELECT * FROM t ORDER BY id",
            ]
        );
        assert_eq!(shrunk.runs, calls.len());
    }

    #[test]
    fn nothing_goes_when_every_removal_passes() {
        let shrunk = shrink(steps(), removable, |s: &[Step]| s.len() == 14, 1000);
        assert_eq!(shrunk.steps, steps());
        // Three sessions, then the eleven removable steps one by one, once.
        assert_eq!(shrunk.runs, 14);
    }

    #[test]
    fn the_budget_caps_the_runs() {
        let mut n = 0;
        let shrunk = shrink(
            steps(),
            removable,
            |_: &[Step]| {
                n += 1;
                n % 2 == 0
            },
            7,
        );
        assert_eq!(shrunk.runs, 7);
        assert_eq!(n, 7);
    }
}
