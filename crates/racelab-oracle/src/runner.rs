//! Runs a scenario on both sides, step by step, and judges it.

use crate::outcome::{diff, Observed, Outcome};
use crate::pg::{PgScenario, Server};
use crate::scenario::{Action, Mark, Scenario, Step};
use crate::sim::Sim;
use crate::wire::Conn;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every step agreed.
    Pass,
    /// Only steps marked `!known-diff` differed (each entry describes one).
    KnownDiff(Vec<String>),
    /// The first step that differed without a marker (or a broken scenario / server error).
    Fail(String),
}

fn at(step: &Step) -> String {
    format!("line {} `{step}`", step.line)
}

/// Judges one step. `Ok(Some(text))`: a known difference; `Err(text)`: a failure.
fn judge(step: &Step, pg: &Observed, sim: &Observed) -> Result<Option<String>, String> {
    let refused = sim.outcome.is_refusal();
    match &step.mark {
        Mark::Unsupported => {
            if !refused {
                return Err(format!(
                    "{}: marked !unsupported, but the simulator answered: {} (postgres: {})",
                    at(step),
                    sim.outcome,
                    pg.outcome
                ));
            }
            // PostgreSQL's answer is not compared; the wake-ups still are.
            let pg_woken = Observed {
                outcome: sim.outcome.clone(),
                woken: pg.woken.clone(),
            };
            match diff(&pg_woken, sim) {
                None => Ok(None),
                Some(d) => Err(format!("{}: {d}", at(step))),
            }
        }
        Mark::None => {
            if refused {
                return Err(format!(
                    "{}: the simulator refuses ({}) — postgres: {}",
                    at(step),
                    sim.outcome,
                    pg.outcome
                ));
            }
            match diff(pg, sim) {
                None => Ok(None),
                Some(d) => Err(format!("{}: {d}", at(step))),
            }
        }
        Mark::KnownDiff(reason) => match diff(pg, sim) {
            Some(d) => Ok(Some(format!("{} ({reason}): {d}", at(step)))),
            None => Err(format!(
                "{}: marked !known-diff ({reason}), but both sides agree: {} — remove the marker",
                at(step),
                pg.outcome
            )),
        },
    }
}

/// Why a comparison stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A step differs without a marker (or its marker is wrong): the judge's text, naming the
    /// line.
    Differs(String),
    /// A blocked session is given a statement: an error in a scenario file; in a random
    /// schedule run again, PostgreSQL took another path than on the run that wrote it.
    StillBlocked(String),
    /// The server failed.
    Broken(String),
}

impl Failure {
    pub fn text(&self) -> &str {
        match self {
            Failure::Differs(t) | Failure::StillBlocked(t) | Failure::Broken(t) => t,
        }
    }
}

fn print_step(step: &Step, pg: &Observed, sim: &Observed) {
    println!("    {}", at(step));
    for (side, o) in [("postgres: ", pg), ("simulator:", sim)] {
        println!("        {side} {}", o.outcome);
        for (n, w) in &o.woken {
            println!("          woke {n}: {w}");
        }
    }
}

/// Runs `scenario` on a fresh simulator and compares it, step by step, with what `pg_step`
/// reports for the same steps (PostgreSQL run live, or recorded). Which PostgreSQL sessions are
/// blocked is followed from those reports. `Ok`: the known differences (empty: all agree).
pub fn compare(
    scenario: &Scenario,
    mut pg_step: impl FnMut(&Step) -> std::io::Result<Observed>,
    log: bool,
) -> Result<Vec<String>, Failure> {
    let mut sim = Sim::new();
    let mut pg_blocked = std::collections::BTreeSet::new();
    let mut known = Vec::new();
    for step in &scenario.steps {
        if matches!(step.action, Action::Sql(_)) {
            let (p, s) = (
                pg_blocked.contains(&step.session),
                sim.blocked(&step.session),
            );
            if p || s {
                let side = match (p, s) {
                    (true, true) => "",
                    (true, false) => " on postgres",
                    _ => " in the simulator",
                };
                return Err(Failure::StillBlocked(format!(
                    "{}: session `{}` is still blocked{side} — a blocked session cannot take \
                     another statement (error in the scenario file)",
                    at(step),
                    step.session
                )));
            }
        }
        let pg_obs = pg_step(step)
            .map_err(|e| Failure::Broken(format!("{}: postgres connection: {e}", at(step))))?;
        if pg_obs.outcome == Outcome::Blocked {
            pg_blocked.insert(step.session.clone());
        }
        if step.action == Action::Close {
            pg_blocked.remove(&step.session);
        }
        for (n, _) in &pg_obs.woken {
            pg_blocked.remove(n);
        }
        let sim_obs = sim.step(step);
        if log {
            print_step(step, &pg_obs, &sim_obs);
        }
        match judge(step, &pg_obs, &sim_obs) {
            Ok(None) => {}
            Ok(Some(k)) => known.push(k),
            Err(f) => return Err(Failure::Differs(f)),
        }
    }
    Ok(known)
}

/// Runs `scenario` in the fresh database `database`. `log`: print every step's two outcomes.
pub fn run(
    server: &Server,
    admin: &mut Conn,
    database: &str,
    scenario: &Scenario,
    log: bool,
) -> Verdict {
    let mut pg = match PgScenario::new(server, admin, database) {
        Ok(pg) => pg,
        Err(e) => return Verdict::Fail(format!("postgres: cannot create {database}: {e}")),
    };
    let result = compare(scenario, |step| pg.step(step), log);
    let cleanup = pg.finish();
    match (result, cleanup) {
        (Err(f), _) => Verdict::Fail(f.text().to_string()),
        (Ok(_), Err(e)) => Verdict::Fail(format!("postgres: cleanup of {database}: {e}")),
        (Ok(known), Ok(())) if known.is_empty() => Verdict::Pass,
        (Ok(known), Ok(())) => Verdict::KnownDiff(known),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn obs(o: Outcome) -> Observed {
        Observed {
            outcome: o,
            woken: vec![],
        }
    }

    fn ok(tag: &str) -> Outcome {
        Outcome::Ok {
            tag: tag.into(),
            columns: vec![],
            rows: vec![],
            notices: vec![],
            status: Some('I'),
        }
    }

    fn refusal() -> Outcome {
        Outcome::Error {
            code: "0A000".into(),
            message: "FOR SHARE is not supported by the simulator".into(),
            notices: vec![],
            status: Some('I'),
        }
    }

    fn step(line: &str) -> Step {
        parse("t", line).unwrap().steps.remove(0)
    }

    #[test]
    fn judging_marks() {
        let plain = step("a: SELECT 1");
        assert_eq!(
            judge(&plain, &obs(ok("SELECT 1")), &obs(ok("SELECT 1"))),
            Ok(None)
        );
        assert!(judge(&plain, &obs(ok("SELECT 1")), &obs(ok("SELECT 2"))).is_err());
        let e = judge(&plain, &obs(ok("SELECT 1")), &obs(refusal())).unwrap_err();
        assert!(e.contains("the simulator refuses"), "{e}");

        let unsupported = step("a: SELECT 1 FOR SHARE !unsupported");
        assert_eq!(
            judge(&unsupported, &obs(ok("SELECT 1")), &obs(refusal())),
            Ok(None)
        );
        assert!(judge(&unsupported, &obs(ok("SELECT 1")), &obs(ok("SELECT 1"))).is_err());

        let known = step("a: SELECT 1 !known-diff order");
        let k = judge(&known, &obs(ok("SELECT 1")), &obs(ok("SELECT 2")))
            .unwrap()
            .unwrap();
        assert!(k.contains("(order)"), "{k}");
        let stale = judge(&known, &obs(ok("SELECT 1")), &obs(ok("SELECT 1"))).unwrap_err();
        assert!(stale.contains("remove the marker"), "{stale}");
    }
}
