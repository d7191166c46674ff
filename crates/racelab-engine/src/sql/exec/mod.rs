//! Statement execution: the dispatch of one statement for one session (`run`), with
//! autocommit, the aborted-transaction state, the deadlock refusal and entering a wait queue.
//! The statements themselves: `select`, `insert`, and `rows` (UPDATE and DELETE, and the
//! row-by-row machinery they share with SELECT … FOR UPDATE).

pub(super) mod insert;
pub(super) mod rows;
pub(super) mod select;

use std::collections::BTreeSet;

use super::bind::B;
use super::db::{err, tag_only, Db};
use super::error::SqlError;
use super::eval::eval;
use super::locks::DEADLOCK;
use super::prepare::{Prepared, Stmt};
use super::tx::{Tx, Waiting};
use super::{BlockedOn, QueryResult, SessionId, Touch};
use crate::value::Value;
use rows::Progress;

/// The outcome of running one statement once.
pub(in crate::sql) enum Step {
    Done {
        result: Result<QueryResult, SqlError>,
        touches: Vec<Touch>,
        released: Vec<SessionId>,
    },
    Blocked(BlockedOn),
}

/// What a statement body produced when it did not fail.
pub(in crate::sql) enum Outcome {
    Rows(QueryResult),
    /// Must wait for the lock on `(table, key)` held by `holder`.
    Wait {
        table: usize,
        key: Vec<Value>,
        holder: SessionId,
        progress: Option<Progress>,
    },
}

impl Db {
    pub(in crate::sql) fn run(
        &mut self,
        s: SessionId,
        prepared: &Prepared,
        params: &[Value],
        resume: Option<Progress>,
    ) -> Step {
        let mut touches = resume
            .as_ref()
            .map(|p| p.touches.clone())
            .unwrap_or_default();
        let tx = self.sessions[s].tx;
        let done = |result, touches: BTreeSet<Touch>, released| Step::Done {
            result,
            touches: touches.into_iter().collect(),
            released,
        };
        match prepared.stmt() {
            Stmt::Commit | Stmt::Rollback => {
                touches.insert(Touch::Transaction { session: s });
                let commit = matches!(prepared.stmt(), Stmt::Commit);
                let name = if commit { "COMMIT" } else { "ROLLBACK" };
                let (result, released) = match tx {
                    Tx::None => {
                        let mut r = tag_only(name);
                        r.notices.push(SqlError::warning(
                            "25P01",
                            "there is no transaction in progress",
                        ));
                        (r, Vec::new())
                    }
                    Tx::Active => (tag_only(name), self.end_tx(s, commit, &mut touches)),
                    Tx::Aborted => (tag_only("ROLLBACK"), self.end_tx(s, false, &mut touches)),
                };
                self.sessions[s].tx = Tx::None;
                return done(Ok(result), touches, released);
            }
            _ => {}
        }
        if tx == Tx::Aborted {
            return done(
                Err(err(
                    "25P02",
                    "current transaction is aborted, commands ignored until end of transaction block",
                )),
                touches,
                Vec::new(),
            );
        }
        let outcome = match check_params(prepared, params) {
            Err(e) => Err(e),
            Ok(()) => match prepared.stmt() {
                Stmt::Begin { start } => {
                    touches.insert(Touch::Transaction { session: s });
                    let mut r = tag_only(if *start { "START TRANSACTION" } else { "BEGIN" });
                    if tx == Tx::Active {
                        r.notices.push(SqlError::warning(
                            "25001",
                            "there is already a transaction in progress",
                        ));
                    }
                    self.sessions[s].tx = Tx::Active;
                    Ok(Outcome::Rows(r))
                }
                Stmt::CreateTable(ct) => {
                    if tx == Tx::Active {
                        Err(SqlError::not_supported(
                            "CREATE TABLE inside a transaction block",
                        ))
                    } else {
                        self.create_table(ct, &mut touches).map(Outcome::Rows)
                    }
                }
                Stmt::Select(sel) => self.exec_select(s, sel, params, &mut touches, resume),
                Stmt::Insert(ins) => self.exec_insert(s, ins, params, &mut touches),
                Stmt::Update(upd) => self.exec_update(s, upd, params, &mut touches, resume),
                Stmt::Delete(del) => self.exec_delete(s, del, params, &mut touches, resume),
                Stmt::Commit | Stmt::Rollback => Ok(Outcome::Rows(tag_only(""))),
            },
        };
        // A wait that would close a cycle in the wait-for graph is refused (the statement fails
        // as a whole: the rows it changed before are undone).
        let outcome = match outcome {
            Ok(Outcome::Wait {
                table,
                holder,
                progress,
                ..
            }) if self.waits_for(holder, s) => {
                if let Some(p) = progress {
                    self.undo(table, &p.undo);
                }
                Err(SqlError::not_supported(DEADLOCK))
            }
            other => other,
        };
        match outcome {
            Ok(Outcome::Wait {
                table,
                key,
                holder,
                mut progress,
            }) => {
                if let Some(p) = progress.as_mut() {
                    p.touches = touches;
                }
                let t = &mut self.tables[table];
                let shown = t.blocked_key_string(&key);
                let name = t.name.clone();
                if let Some(lock) = t.rows.get_mut(&key).and_then(|slot| slot.lock.as_mut()) {
                    lock.waiters.push(s);
                }
                self.sessions[s].waiting = Some(Waiting {
                    stmt: prepared.clone(),
                    params: params.to_vec(),
                    table,
                    key,
                    progress,
                });
                Step::Blocked(BlockedOn {
                    table: name,
                    key: shown,
                    holder,
                })
            }
            Ok(Outcome::Rows(result)) => {
                // Autocommit: the statement's implicit transaction commits at its end.
                let released = if self.sessions[s].tx == Tx::None {
                    let mut ignored = BTreeSet::new();
                    self.end_tx(s, true, &mut ignored)
                } else {
                    Vec::new()
                };
                done(Ok(result), touches, released)
            }
            Err(e) => {
                // The statement fails as a whole, and so does its transaction: PostgreSQL
                // aborts it at the error (its writes are discarded and its row locks released,
                // so waiters proceed now), while a block stays open in the aborted state until
                // ROLLBACK or COMMIT (oracle scenario error-releases-locks.txt).
                let mut ignored = BTreeSet::new();
                let released = self.end_tx(s, false, &mut ignored);
                if self.sessions[s].tx != Tx::None {
                    self.sessions[s].tx = Tx::Aborted;
                }
                done(Err(e), touches, released)
            }
        }
    }
}

pub(in crate::sql) fn with_returning(
    tag: String,
    items: Option<&Vec<(String, B)>>,
    rows: Option<Vec<Vec<Value>>>,
) -> QueryResult {
    QueryResult {
        tag,
        columns: items
            .map(|i| i.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default(),
        rows: rows.unwrap_or_default(),
        notices: Vec::new(),
    }
}

pub(in crate::sql) fn project(
    items: &[(String, B)],
    row: &[Value],
) -> Result<Vec<Value>, SqlError> {
    items.iter().map(|(_, b)| eval(b, row)).collect()
}

pub(in crate::sql) fn check_params(stmt: &Prepared, params: &[Value]) -> Result<(), SqlError> {
    match stmt
        .params_used()
        .iter()
        .find(|&&n| n == 0 || n > params.len())
    {
        Some(n) => Err(err("42P02", format!("there is no parameter ${n}"))),
        None => Ok(()),
    }
}
