//! The simulated server's public face: [`Db`]'s public methods, and the views the UI reads.
//!
//! The files of `sql`, from the bottom up. Data: `error`, `api` (the public result and view
//! types), `prepare` (SQL text → IR), `state` ([`Db`] and everything it holds, as plain data).
//! Behaviour, each file adding its own `impl` blocks on those types and importing data and the
//! free functions of the files below it, never above: `types` (types, casts, comparison),
//! `eval` (bound expressions and their evaluation), `bind` (name resolution and typing of
//! expressions), `group` (GROUP BY, HAVING, aggregates), `catalog` (tables, columns, CREATE
//! TABLE, key rendering), `storage` (row versions and their visibility), `exec` (statement
//! dispatch and execution: SELECT, INSERT, UPDATE/DELETE row by row), `locks` (row locks, wait queues, the deadlock check, waking
//! waiters), `advisory` (advisory locks), `tx` (transaction state, end of transaction, closing a session), `savepoints`
//! (subtransactions), and this one.
//! Methods on `Db` call each other across files freely.
//!
//! Simplifications (all deterministic, all documented in the module doc of `sql`):
//! - CREATE TABLE runs only outside a transaction block (inside one: not supported).
//! - UPDATE/DELETE/SELECT … FOR UPDATE go row by row (`Progress`): a waiting statement keeps
//!   the locks and changes it made; a woken one continues with the rows of its own snapshot
//!   (re-checked on their newest committed version when changed since). A woken INSERT re-runs
//!   from scratch. A failed statement undoes its rows, and its transaction is aborted at once
//!   (writes discarded, locks released), as PostgreSQL does; a block then waits for ROLLBACK.
//!   Inside a savepoint only the innermost subtransaction aborts (`savepoints`).
//! - Scans return rows in primary-key order (PostgreSQL's heap order differs after updates; use
//!   ORDER BY when order matters). Text compares bytewise (the "C" collation).
//! - UPDATE of a primary-key column is not supported.
//! - The order in which waiters released by one COMMIT are retried: by table (creation order),
//!   then row key, then queue position.

use std::collections::BTreeSet;

use super::api::{
    AdvisoryHold, AdvisoryView, Done, Exec, QueryResult, RowView, SessionId, SessionState,
    SessionView, TableView,
};
use super::error::{err, SqlError};
use super::exec::check_params;
use super::exec::outcome::Step;
use super::prepare::{Prepared, Stmt};
use super::state::{Db, Lock, Session, Snap, Tx, View};
use super::timeouts::fatal_error;
use crate::value::Value;

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    /// Opens a connection; ids are 0, 1, 2, ... in order.
    pub fn open_session(&mut self) -> SessionId {
        self.sessions.push(Session::default());
        self.sessions.len() - 1
    }

    /// Runs one statement for `session`. See the module doc of `sql` for the model.
    pub fn execute(&mut self, session: SessionId, stmt: &Prepared, params: &[Value]) -> Exec {
        let refuse = |e: SqlError| {
            Exec::Done(Done {
                result: Err(e),
                touches: Vec::new(),
                woken: Vec::new(),
            })
        };
        if let Some(x) = self.sessions.get_mut(session) {
            if let Some(fatal) = x.fatal.take() {
                // The server ended the session while it was idle: the client reads why, and
                // then the connection is gone.
                x.closed = true;
                return refuse(fatal_error(fatal));
            }
        }
        match self.sessions.get(session) {
            None => return refuse(err("08003", "connection does not exist")),
            Some(s) if s.closed => return refuse(err("08003", "connection already closed")),
            Some(s) if s.waiting.is_some() => {
                return refuse(SqlError::not_supported(
                    "sending a statement while the previous one still waits for a lock",
                ))
            }
            Some(_) => {}
        }
        let exec = match self.run(session, stmt, params, (None, self.clock.0)) {
            Step::Blocked(b) => Exec::Blocked(b),
            Step::Done {
                result,
                touches,
                released,
            } => {
                let woken = self.wake(released);
                self.note_idle(session);
                Exec::Done(Done {
                    result,
                    touches,
                    woken,
                })
            }
        };
        self.normalize();
        exec
    }

    /// A statement of `s` ended now: it is idle from now, if an idle timeout is set.
    pub(super) fn note_idle(&mut self, s: SessionId) {
        let now = self.clock.0;
        if let Some(x) = self.sessions.get_mut(s) {
            let timed =
                x.settings.idle_in_transaction_timeout > 0 || x.settings.idle_session_timeout > 0;
            x.idle_since = if timed { now } else { 0 };
        }
    }

    /// Read-only query on the latest committed state (no session, no locks, no effects).
    pub fn query_committed(
        &self,
        stmt: &Prepared,
        params: &[Value],
    ) -> Result<QueryResult, SqlError> {
        match stmt.stmt() {
            Stmt::Select(sel) if sel.lock.is_none() => {
                check_params(stmt, params)?;
                let mut touches = BTreeSet::new();
                let out = self.select_rows(sel, Some(params), View::COMMITTED, &mut touches)?;
                Ok(QueryResult {
                    tag: format!("SELECT {}", out.rows.len()),
                    columns: out.columns,
                    rows: out.rows,
                    notices: Vec::new(),
                })
            }
            _ => Err(SqlError::not_supported(format!(
                "{} in an assertion (only plain SELECT)",
                stmt.kind()
            ))),
        }
    }

    /// Plan-time validation against the current catalog (tables, columns, types).
    pub fn check(&self, stmt: &Prepared) -> Result<(), SqlError> {
        match stmt.stmt() {
            Stmt::Select(sel) => {
                let mut touches = BTreeSet::new();
                self.plan_select(sel, None, &mut touches).map(|_| ())
            }
            Stmt::Insert(ins) if ins.on_conflict.is_some() => {
                self.plan_upsert(ins, None).map(|_| ())
            }
            Stmt::Insert(ins) => self.plan_insert(ins, None).map(|_| ()),
            Stmt::Update(upd) => self.plan_update(upd, None).map(|_| ()),
            Stmt::Delete(del) => self.plan_delete(del, None).map(|_| ()),
            Stmt::CreateTable(ct) => self.plan_create(ct).map(|_| ()),
            Stmt::Begin { .. }
            | Stmt::Commit { .. }
            | Stmt::Rollback { .. }
            | Stmt::SetTransaction { .. }
            | Stmt::Set { .. }
            | Stmt::Show(_)
            | Stmt::Savepoint(_)
            | Stmt::RollbackTo(_)
            | Stmt::Release(_)
            | Stmt::Advisory(_) => Ok(()),
        }
    }

    pub fn session_state(&self, session: SessionId) -> SessionState {
        match self.sessions.get(session) {
            None => SessionState::Closed,
            Some(s) if s.closed => SessionState::Closed,
            Some(s) if s.fatal.is_some() => SessionState::Terminated,
            Some(s) if s.waiting.is_some() => SessionState::Waiting,
            Some(s) => match s.tx {
                Tx::None => SessionState::Idle,
                Tx::Active => SessionState::InTransaction,
                Tx::Aborted => SessionState::Aborted,
            },
        }
    }

    /// All tables in creation order, with every row's versions and lock, for the UI.
    pub fn tables(&self) -> Vec<TableView> {
        self.tables
            .iter()
            .map(|t| TableView {
                name: t.name.clone(),
                columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                key_columns: t.pk.iter().map(|&i| t.columns[i].name.clone()).collect(),
                rows: t
                    .rows
                    .iter()
                    .map(|(key, slot)| RowView {
                        key: t.key_string(key),
                        committed: slot.committed().cloned(),
                        pending: slot.pending.as_ref().map(|p| (p.session, p.values.clone())),
                        lock: slot.lock.as_ref().and_then(Lock::view),
                        older: slot
                            .versions
                            .iter()
                            .rev()
                            .skip(1)
                            .rev()
                            .map(|v| (v.values.clone(), v.by))
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The committed versions of one row (table and row by position), oldest first: None for a
    /// deletion. For tests.
    #[cfg(test)]
    pub(super) fn slot_versions(&self, table: usize, row: usize) -> Vec<Option<Vec<Value>>> {
        self.tables[table]
            .rows
            .values()
            .nth(row)
            .map(|slot| slot.versions.iter().map(|v| v.values.clone()).collect())
            .unwrap_or_default()
    }

    /// Every open session (the setup's is closed) with its state, level and snapshot.
    pub fn sessions_view(&self) -> Vec<SessionView> {
        (0..self.sessions.len())
            .filter(|&s| self.session_state(s) != SessionState::Closed)
            .map(|s| {
                let x = &self.sessions[s];
                SessionView {
                    session: s,
                    state: self.session_state(s),
                    isolation: x.isolation.name(),
                    snapshot: match x.snapshot {
                        Snap::None => None,
                        Snap::PerStatement => Some(None),
                        Snap::At(n) => Some(Some(n)),
                    },
                    deadlock_victim: x.victim.0,
                }
            })
            .collect()
    }

    /// The sessions on a cycle of the wait-for graph: a deadlock the server has not broken yet
    /// (it will, at the first of their deadlock checks). Empty: none.
    pub fn deadlock_cycle(&self) -> Vec<SessionId> {
        let graph = self.wait_for_graph();
        (0..self.sessions.len())
            .filter(|&s| super::locks::on_cycle(&graph, s))
            .collect()
    }

    /// Number of row locks and advisory locks currently held.
    pub fn locks_held(&self) -> usize {
        let rows = self
            .tables
            .iter()
            .flat_map(|t| t.rows.values())
            .filter(|s| s.lock.is_some())
            .count();
        let advisory = self
            .advisory
            .values()
            .filter(|l| !l.holders.is_empty())
            .count();
        rows + advisory
    }

    /// The advisory locks held or waited for, by key, for the UI.
    pub fn advisory_locks(&self) -> Vec<AdvisoryView> {
        self.advisory
            .iter()
            .map(|(k, l)| AdvisoryView {
                key: k.shown(),
                holders: l
                    .holders
                    .iter()
                    .map(|(&(session, shared), h)| AdvisoryHold {
                        session,
                        shared,
                        session_level: h.session,
                        xact_level: h.xact,
                    })
                    .collect(),
                waiters: l.waiters.iter().map(|w| (w.session, w.shared)).collect(),
            })
            .collect()
    }
}
