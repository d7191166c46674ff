//! Statement execution: the dispatch of one statement for one session (`run`), with
//! autocommit, the aborted-transaction state, the deadlock refusal and entering a wait queue.
//! The statements themselves: `select`, `insert`, `upsert` (INSERT … ON CONFLICT), and `rows`
//! (UPDATE and DELETE, and the row-by-row machinery they share with SELECT … FOR UPDATE).

mod insert;
mod order;
pub(super) mod outcome;
mod rows;
mod select;
mod upsert;

use std::collections::BTreeSet;

use super::api::{tag_only, QueryResult, SessionId, Touch};
use super::error::{err, SqlError};
use super::prepare::{Prepared, Stmt};
use super::state::{Db, Progress, Remark, StmtClock, Tx, WaitOn, Waiting};

use crate::value::Value;
use outcome::{Outcome, Step};

impl Db {
    /// Runs one statement once for `s` (a woken one with its saved `resume` progress; it
    /// began at virtual time `started`): ends the transaction block, refuses commands in an
    /// aborted one, or executes the statement, then commits (autocommit), aborts (error) or
    /// enters the row's wait queue.
    pub(in crate::service::postgres::sql) fn run(
        &mut self,
        s: SessionId,
        prepared: &Prepared,
        params: &[Value],
        (resume, started): (Option<Progress>, u64),
    ) -> Step {
        let mut touches = resume
            .as_ref()
            .map(|p| p.touches.clone())
            .unwrap_or_default();
        self.sessions[s].victim = Remark(false);
        let session = &self.sessions[s];
        self.stmt_clock = StmtClock {
            xact: if session.tx == Tx::None {
                started
            } else {
                session.xact_start
            },
            stmt: started,
            now: self.clock.0,
        };
        match *prepared.stmt() {
            Stmt::Commit { chain } => return self.commit_or_rollback(s, true, chain, touches),
            Stmt::Rollback { chain } => return self.commit_or_rollback(s, false, chain, touches),
            _ => {}
        }
        if let Stmt::RollbackTo(name) = prepared.stmt() {
            // Accepted in an aborted block too: it is how a block recovers from an error.
            return match self.rollback_to(s, name, &mut touches) {
                Ok((result, released)) => Step::done(Ok(result), touches, released),
                Err(e) => {
                    let released = self.abort_on_error(s);
                    Step::done(Err(e), touches, released)
                }
            };
        }
        if self.sessions[s].tx == Tx::Aborted {
            return Step::done(
                Err(err(
                    "25P02",
                    "current transaction is aborted, commands ignored until end of transaction block",
                )),
                touches,
                Vec::new(),
            );
        }
        let outcome = self.dispatch(s, prepared, params, &mut touches, resume);
        match outcome {
            Ok(Outcome::Wait {
                table,
                key,
                mode,
                holder,
                mut progress,
                on_tx,
            }) => {
                if let Some(p) = progress.as_mut() {
                    p.touches = touches;
                }
                let on = WaitOn::Row { table, key, mode };
                let mut waiting = self.new_wait((prepared, params), on, progress, started);
                waiting.on_tx = on_tx.then_some(holder);
                Step::Blocked(self.enqueue(s, waiting, holder))
            }
            Ok(Outcome::WaitAdvisory {
                key,
                shared,
                holder,
            }) => {
                let progress = Some(Progress {
                    touches,
                    ..Progress::default()
                });
                let on = WaitOn::Advisory { key, shared };
                let waiting = self.new_wait((prepared, params), on, progress, started);
                Step::Blocked(self.enqueue(s, waiting, holder))
            }
            Ok(Outcome::Rows(result)) => self.finish(s, result, touches, Vec::new()),
            Ok(Outcome::Released(result, granted)) => self.finish(s, result, touches, granted),
            Err(e) => {
                let released = self.abort_on_error(s);
                Step::done(Err(e), touches, released)
            }
        }
    }

    /// COMMIT (END) or ROLLBACK. Under SERIALIZABLE the commit-time check can fail the
    /// COMMIT, which then rolls back (and does not chain). AND CHAIN outside a block is an
    /// error (25P01); inside one, a new block with the ended one's modes begins at once.
    fn commit_or_rollback(
        &mut self,
        s: SessionId,
        commit: bool,
        chain: bool,
        mut touches: BTreeSet<Touch>,
    ) -> Step {
        let name = if commit { "COMMIT" } else { "ROLLBACK" };
        if chain && self.sessions[s].tx == Tx::None {
            let e = err(
                "25P01",
                format!("{name} AND CHAIN can only be used in transaction blocks"),
            );
            return Step::done(Err(e), touches, Vec::new());
        }
        if commit && self.sessions[s].tx == Tx::Active {
            if let Err(e) = self.ssi_precommit(s) {
                let (_, released) = self.end_block(s, false, &mut touches);
                return Step::done(Err(e), touches, released);
            }
        }
        let modes = (self.sessions[s].isolation, self.sessions[s].read_only);
        let (result, released) = self.end_block(s, commit, &mut touches);
        if chain {
            self.chain_block(s, modes);
        }
        Step::done(Ok(result), touches, released)
    }

    /// A statement's wait, beginning now, numbered after every earlier one.
    fn new_wait(
        &mut self,
        (prepared, params): (&Prepared, &[Value]),
        on: WaitOn,
        progress: Option<Progress>,
        started: u64,
    ) -> Waiting {
        let order = self.waits;
        self.waits += 1;
        Waiting {
            stmt: prepared.clone(),
            params: params.to_vec(),
            on,
            progress,
            since: self.clock.0,
            started,
            checked: false,
            order,
            on_tx: None,
        }
    }

    /// A statement succeeded: outside a block, its implicit transaction commits (SERIALIZABLE
    /// may fail it). `granted`: waiters the statement itself let in (advisory unlocks).
    fn finish(
        &mut self,
        s: SessionId,
        result: QueryResult,
        touches: BTreeSet<Touch>,
        mut granted: Vec<SessionId>,
    ) -> Step {
        if self.sessions[s].tx == Tx::None {
            if let Err(e) = self.ssi_precommit(s) {
                granted.extend(self.abort_on_error(s));
                return Step::done(Err(e), touches, granted);
            }
        }
        granted.extend(self.autocommit(s));
        Step::done(Ok(result), touches, granted)
    }

    /// Executes a statement other than COMMIT/ROLLBACK, in an open or no transaction block.
    fn dispatch(
        &mut self,
        s: SessionId,
        prepared: &Prepared,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        check_params(prepared, params)?;
        self.refuse_if_read_only(s, prepared.stmt())?;
        if resume.is_none() && prepared.stmt().takes_snapshot() {
            self.take_snapshot(s);
        }
        match prepared.stmt() {
            Stmt::Begin { start, modes } => {
                self.begin(s, *start, *modes, touches).map(Outcome::Rows)
            }
            Stmt::SetTransaction { modes, session } => {
                self.set_transaction(s, *modes, *session).map(Outcome::Rows)
            }
            Stmt::Set { name, value, local } => {
                self.set(s, *name, *value, *local).map(Outcome::Rows)
            }
            Stmt::Show(name) => Ok(Outcome::Rows(self.show(s, *name))),
            Stmt::CreateTable(ct) => {
                if self.sessions[s].tx == Tx::Active {
                    Err(SqlError::not_supported(
                        "CREATE TABLE inside a transaction block",
                    ))
                } else {
                    self.create_table(ct, touches).map(Outcome::Rows)
                }
            }
            Stmt::Select(sel) => self.exec_select(s, sel, params, touches, resume),
            Stmt::Insert(ins) if ins.on_conflict.is_some() => {
                self.exec_upsert(s, ins, params, touches, resume)
            }
            Stmt::Insert(ins) => self.exec_insert(s, ins, params, touches, resume),
            Stmt::Update(upd) => self.exec_update(s, upd, params, touches, resume),
            Stmt::Delete(del) => self.exec_delete(s, del, params, touches, resume),
            Stmt::Advisory(call) => self.exec_advisory(s, call, params, touches, resume),
            Stmt::Savepoint(name) => {
                touches.insert(Touch::Transaction { session: s });
                self.savepoint(s, name).map(Outcome::Rows)
            }
            Stmt::Release(name) => {
                touches.insert(Touch::Transaction { session: s });
                self.release(s, name).map(Outcome::Rows)
            }
            Stmt::Commit { .. } | Stmt::Rollback { .. } | Stmt::RollbackTo(_) => {
                Ok(Outcome::Rows(tag_only("")))
            }
        }
    }
}

impl Db {
    /// In a READ ONLY block, a statement that writes or locks rows fails with 25006, naming
    /// the command as PostgreSQL does.
    fn refuse_if_read_only(&self, s: SessionId, stmt: &Stmt) -> Result<(), SqlError> {
        if !self.sessions[s].read_only || self.sessions[s].tx != Tx::Active {
            return Ok(());
        }
        let command = match stmt {
            Stmt::Insert(_) => "INSERT".to_string(),
            Stmt::Update(_) => "UPDATE".to_string(),
            Stmt::Delete(_) => "DELETE".to_string(),
            Stmt::CreateTable(_) => "CREATE TABLE".to_string(),
            Stmt::Select(sel) => match sel.lock {
                Some(l) => format!("SELECT {}", l.strength.clause()),
                None => return Ok(()),
            },
            Stmt::Begin { .. }
            | Stmt::Commit { .. }
            | Stmt::Rollback { .. }
            | Stmt::SetTransaction { .. }
            | Stmt::Set { .. }
            | Stmt::Show(_)
            | Stmt::Savepoint(_)
            | Stmt::RollbackTo(_)
            | Stmt::Release(_)
            | Stmt::Advisory(_) => return Ok(()),
        };
        Err(err(
            "25006",
            format!("cannot execute {command} in a read-only transaction"),
        ))
    }
}

pub(in crate::service::postgres::sql) fn check_params(
    stmt: &Prepared,
    params: &[Value],
) -> Result<(), SqlError> {
    match stmt
        .params_used()
        .iter()
        .find(|&&n| n == 0 || n > params.len())
    {
        Some(n) => Err(err("42P02", format!("there is no parameter ${n}"))),
        None => Ok(()),
    }
}
