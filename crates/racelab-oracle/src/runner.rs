//! Runs a scenario on both sides, step by step, and judges it.

use crate::outcome::{diff, Observed};
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
    let mut sim = Sim::new();
    let mut known = Vec::new();
    let mut failure = None;
    for step in &scenario.steps {
        if matches!(step.action, Action::Sql(_)) {
            let (p, s) = (pg.blocked(&step.session), sim.blocked(&step.session));
            if p || s {
                let side = match (p, s) {
                    (true, true) => "",
                    (true, false) => " on postgres",
                    _ => " in the simulator",
                };
                failure = Some(format!(
                    "{}: session `{}` is still blocked{side} — a blocked session cannot take \
                     another statement (error in the scenario file)",
                    at(step),
                    step.session
                ));
                break;
            }
        }
        let pg_obs = match pg.step(step) {
            Ok(o) => o,
            Err(e) => {
                failure = Some(format!("{}: postgres connection: {e}", at(step)));
                break;
            }
        };
        let sim_obs = sim.step(step);
        if log {
            println!("    {}", at(step));
            println!("        postgres:  {}", pg_obs.outcome);
            for (n, o) in &pg_obs.woken {
                println!("          woke {n}: {o}");
            }
            println!("        simulator: {}", sim_obs.outcome);
            for (n, o) in &sim_obs.woken {
                println!("          woke {n}: {o}");
            }
        }
        match judge(step, &pg_obs, &sim_obs) {
            Ok(None) => {}
            Ok(Some(k)) => known.push(k),
            Err(f) => {
                failure = Some(f);
                break;
            }
        }
    }
    if let Err(e) = pg.finish() {
        if failure.is_none() {
            failure = Some(format!("postgres: cleanup of {database}: {e}"));
        }
    }
    match failure {
        Some(f) => Verdict::Fail(f),
        None if known.is_empty() => Verdict::Pass,
        None => Verdict::KnownDiff(known),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
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
