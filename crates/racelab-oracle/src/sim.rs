//! The simulator side: a fresh [`Db`] per scenario, one session per scenario session name, and
//! a virtual clock that starts at 0 ms and moves only on `!wait`.

use std::collections::BTreeMap;

use racelab_engine::sql::{
    prepare, Db, Exec, QueryResult, SessionId, SessionState, SqlError, Wake,
};
use racelab_engine::Value;

use crate::outcome::{Notice, Observed, Outcome, TxStatus};
use crate::scenario::{Action, Step};

/// A value in PostgreSQL's text output format.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "t" } else { "f" }.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Num(n) => Some(n.to_string()),
        Value::Text(s) => Some(s.clone()),
        // PostgreSQL's output format (DateStyle ISO, IntervalStyle postgres, TimeZone UTC).
        v @ (Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_)) => {
            Some(v.to_string())
        }
    }
}

fn notice(e: &SqlError) -> Notice {
    Notice {
        severity: e.severity.to_string(),
        code: e.code.clone(),
        message: e.message.clone(),
    }
}

fn outcome(result: &Result<QueryResult, SqlError>, status: Option<TxStatus>) -> Outcome {
    match result {
        Ok(r) => Outcome::Ok {
            tag: r.tag.clone(),
            columns: r.columns.clone(),
            rows: r
                .rows
                .iter()
                .map(|row| row.iter().map(text).collect())
                .collect(),
            notices: r.notices.iter().map(notice).collect(),
            status,
        },
        Err(e) => Outcome::Error {
            code: e.code.clone(),
            message: e.message.clone(),
            notices: e.notices().iter().map(notice).collect(),
            status,
        },
    }
}

#[derive(Default)]
pub struct Sim {
    db: Db,
    sessions: BTreeMap<String, SessionId>,
    /// The virtual time in ms: the sum of the scenario's `!wait`s so far.
    clock: u64,
}

impl Sim {
    pub fn new() -> Sim {
        Sim::default()
    }

    fn session(&mut self, name: &str) -> SessionId {
        if let Some(&id) = self.sessions.get(name) {
            return id;
        }
        let id = self.db.open_session();
        self.sessions.insert(name.to_string(), id);
        id
    }

    fn name_of(&self, id: SessionId) -> String {
        self.sessions
            .iter()
            .find(|&(_, &s)| s == id)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }

    fn status(&self, id: SessionId) -> Option<TxStatus> {
        match self.db.session_state(id) {
            SessionState::Idle => Some('I'),
            SessionState::InTransaction => Some('T'),
            SessionState::Aborted => Some('E'),
            SessionState::Waiting | SessionState::Closed | SessionState::Terminated => None,
        }
    }

    /// `true` when the session's statement waits for a lock.
    pub fn blocked(&self, name: &str) -> bool {
        self.sessions
            .get(name)
            .is_some_and(|&id| self.db.session_state(id) == SessionState::Waiting)
    }

    fn woken(&self, wakes: &[Wake]) -> Vec<(String, Outcome)> {
        let mut w: Vec<(String, Outcome)> = wakes
            .iter()
            .map(|w| {
                (
                    self.name_of(w.session),
                    outcome(&w.result, self.status(w.session)),
                )
            })
            .collect();
        w.sort_by(|a, b| a.0.cmp(&b.0));
        w
    }

    /// Runs one step: `prepare` then `Db::execute` (`Db::close_session` for `!close`,
    /// `Db::advance` for `!wait`).
    pub fn step(&mut self, step: &Step) -> Observed {
        match &step.action {
            Action::Wait(ms) => {
                self.clock += ms;
                let wakes = self.db.advance(self.clock);
                Observed {
                    outcome: Outcome::Waited,
                    woken: self.woken(&wakes),
                }
            }
            Action::Close => {
                let id = self.session(&step.session);
                let done = self.db.close_session(id);
                Observed {
                    outcome: Outcome::Closed,
                    woken: self.woken(&done.woken),
                }
            }
            Action::Sql(sql) => {
                let id = self.session(&step.session);
                self.execute(id, sql)
            }
        }
    }

    fn execute(&mut self, id: SessionId, sql: &str) -> Observed {
        match prepare(sql) {
            // A statement that does not prepare never reaches the database (a lesson with it
            // does not load), so the session's transaction state is not compared.
            Err(e) => Observed {
                outcome: outcome(&Err(e), None),
                woken: Vec::new(),
            },
            Ok(p) => match self.db.execute(id, &p, &[]) {
                Exec::Blocked(_) => Observed {
                    outcome: Outcome::Blocked,
                    woken: Vec::new(),
                },
                Exec::Done(done) => Observed {
                    outcome: outcome(&done.result, self.status(id)),
                    woken: self.woken(&done.woken),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn run(text: &str) -> Vec<Observed> {
        let s = parse("t", text).unwrap();
        let mut sim = Sim::new();
        s.steps.iter().map(|st| sim.step(st)).collect()
    }

    #[test]
    fn values_in_text_format() {
        assert_eq!(text(&Value::Bool(true)).as_deref(), Some("t"));
        assert_eq!(text(&Value::Bool(false)).as_deref(), Some("f"));
        assert_eq!(text(&Value::Int(-7)).as_deref(), Some("-7"));
        assert_eq!(text(&Value::Text("x y".into())).as_deref(), Some("x y"));
        assert_eq!(text(&Value::Null), None);
    }

    #[test]
    fn blocks_and_reports_the_wakeup_by_name() {
        let obs = run("setup: CREATE TABLE t (id int PRIMARY KEY, v int)\n\
             setup: INSERT INTO t VALUES (1, 10)\n\
             a: BEGIN\n\
             a: UPDATE t SET v = 20 WHERE id = 1\n\
             b: UPDATE t SET v = v + 1 WHERE id = 1 RETURNING v\n\
             a: COMMIT\n");
        assert_eq!(obs[4].outcome, Outcome::Blocked);
        assert_eq!(obs[5].woken.len(), 1);
        assert_eq!(obs[5].woken[0].0, "b");
        assert_eq!(
            obs[5].woken[0].1.to_string(),
            "ok \"UPDATE 1\" [v] (21) (tx I)"
        );
    }

    #[test]
    fn wait_moves_the_clock_and_reports_waited() {
        let obs = run("a: CREATE TABLE t (id int)\n!wait 1500\n!wait 20\n");
        assert_eq!(obs[1].outcome, Outcome::Waited);
        assert!(obs[1].woken.is_empty());
        assert_eq!(obs[2].outcome.to_string(), "waited");
    }

    #[test]
    fn refusals_and_prepare_errors_are_outcomes() {
        let obs =
            run("a: CREATE TABLE t (id int)\na: SELECT * FROM t FOR UPDATE OF t\na: SELEC 1\n");
        assert!(obs[1].outcome.is_refusal(), "{}", obs[1].outcome);
        assert!(
            matches!(&obs[2].outcome, Outcome::Error { code, status: None, .. } if code == "42601"),
            "{}",
            obs[2].outcome
        );
    }
}
