//! Sessions and transactions: per-session state, the end of a transaction (commit or
//! rollback: publish or discard its writes, release its locks), and closing a session.

use std::collections::BTreeSet;

use super::api::{tag_only, Done, QueryResult, SessionId, Touch};
use super::error::{err, SqlError};
use super::prepare::{Isolation, TxModes};
use super::state::{Db, Snap, Tx, Version};
use crate::value::Value;

impl Db {
    /// The client process died: its connection drops; its open transaction rolls back and its
    /// locks are released.
    ///
    /// Except while the session waits for a lock: PostgreSQL's backend does not notice the dead
    /// client then. The statement stays queued and the transaction keeps its locks; when the wait
    /// ends the statement runs (and commits, in autocommit), and only then does the backend find
    /// the connection gone and roll back what is still open. [`Db::wake`] does that last part.
    /// (Checked against PostgreSQL 15: crates/racelab-oracle/scenarios/crash-while-waiting.txt.)
    pub fn close_session(&mut self, session: SessionId) -> Done {
        if let Some(s) = self.sessions.get_mut(session) {
            if !s.closed && s.waiting.is_some() {
                s.closed = true;
                return Done {
                    result: Ok(tag_only("")),
                    touches: Vec::new(),
                    woken: Vec::new(),
                };
            }
        }
        let (tx, waiting) = match self.sessions.get_mut(session) {
            Some(s) if !s.closed => {
                s.closed = true;
                (std::mem::take(&mut s.tx), s.waiting.take())
            }
            _ => {
                return Done {
                    result: Ok(tag_only("")),
                    touches: Vec::new(),
                    woken: Vec::new(),
                }
            }
        };
        let mut released = Vec::new();
        if let Some(w) = waiting {
            released.extend(self.leave_queue(session, &w.on));
        }
        let mut touches = BTreeSet::new();
        let tag = if tx == Tx::None {
            ""
        } else {
            released.extend(self.end_tx(session, false, &mut touches));
            touches.insert(Touch::Transaction { session });
            "ROLLBACK"
        };
        released.extend(self.advisory_close(session, &mut touches));
        let woken = self.wake(released);
        self.normalize();
        Done {
            result: Ok(tag_only(tag)),
            touches: touches.into_iter().collect(),
            woken,
        }
    }

    /// Ends `s`'s transaction: publishes (commit) or discards its writes and releases its
    /// locks. Returns the sessions that waited on those locks, in retry order.
    pub(super) fn end_tx(
        &mut self,
        s: SessionId,
        commit: bool,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        let mut released = Vec::new();
        let stamp = self.commits + 1;
        let mut wrote = false;
        let sx: Vec<_> = self
            .sessions
            .get(s)
            .and_then(|x| x.sx)
            .into_iter()
            .collect();
        let mut new_versions = Vec::new();
        let mut rewait = Vec::new();
        for (ti, t) in self.tables.iter_mut().enumerate() {
            let keys: Vec<Vec<Value>> = t
                .rows
                .iter()
                .filter(|(_, slot)| {
                    slot.lock.as_ref().is_some_and(|l| l.holds(s))
                        || slot.pending.as_ref().is_some_and(|p| p.session == s)
                })
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                touches.insert(Touch::WriteRow {
                    table: t.name.clone(),
                    key: t.key_string(&key),
                });
                let Some(slot) = t.rows.get_mut(&key) else {
                    continue;
                };
                if slot.pending.as_ref().is_some_and(|p| p.session == s) {
                    if let Some(p) = slot.pending.take() {
                        if commit {
                            slot.versions.push(Version {
                                values: p.values,
                                stamp,
                                by: s,
                                gen: p.gen,
                                sx: sx.clone(),
                                updated: p.updated,
                                strong: p.strong,
                                place: p.place,
                            });
                            wrote = true;
                            new_versions.push((ti, key.clone()));
                        }
                    }
                }
                if let Some(lock) = slot.lock.as_mut().filter(|l| l.holds(s)) {
                    let next = lock.waiting_for(s);
                    released.extend(lock.release(s));
                    rewait.extend(next.into_iter().filter(|&w| lock.still_blocked(w)));
                    if lock.holders.is_empty() {
                        slot.lock = None;
                    }
                }
                if slot.versions.is_empty() && slot.pending.is_none() && slot.lock.is_none() {
                    t.rows.remove(&key);
                }
            }
        }
        if wrote {
            self.commits = stamp;
        }
        self.rewait_for_next_holder(&rewait);
        if let Some(x) = self.sessions.get_mut(s) {
            x.xact_start = 0;
        }
        released.extend(self.advisory_end_tx(s, touches));
        for (ti, key) in new_versions {
            self.ssi_new_version(ti, &key);
        }
        self.ssi_end(s, commit);
        released.extend(self.inserts_waiting_for(s));
        if let Some(session) = self.sessions.get_mut(s) {
            session.snapshot = Snap::None;
            session.savepoints.clear();
            let saved = session.saved.take();
            let local = session.local.take();
            match (commit, saved, local) {
                (false, Some(settings), _) | (true, _, Some(settings)) => {
                    session.settings = settings;
                }
                _ => {}
            }
            session.isolation = session.settings.default_isolation;
        }
        released
    }

    /// The INSERTs that wait for `s`'s transaction (to write the same key), in the order they
    /// began waiting: its end lets them try again.
    fn inserts_waiting_for(&self, s: SessionId) -> Vec<SessionId> {
        let mut on_tx: Vec<(u64, SessionId)> = self
            .sessions
            .iter()
            .enumerate()
            .filter_map(|(w, x)| {
                let wt = x.waiting.as_ref()?;
                (wt.on_tx == Some(s)).then_some((wt.order, w))
            })
            .collect();
        on_tx.sort_unstable();
        on_tx.into_iter().map(|(_, w)| w).collect()
    }

    /// COMMIT or ROLLBACK (an aborted block always rolls back; outside a block, a warning).
    /// Returns the result and the sessions that waited on the released locks.
    pub(super) fn end_block(
        &mut self,
        s: SessionId,
        commit: bool,
        touches: &mut BTreeSet<Touch>,
    ) -> (QueryResult, Vec<SessionId>) {
        touches.insert(Touch::Transaction { session: s });
        let name = if commit { "COMMIT" } else { "ROLLBACK" };
        let (result, released) = match self.sessions[s].tx {
            Tx::None => {
                let mut r = tag_only(name);
                r.notices.push(SqlError::warning(
                    "25P01",
                    "there is no transaction in progress",
                ));
                (r, Vec::new())
            }
            Tx::Active => (tag_only(name), self.end_tx(s, commit, touches)),
            Tx::Aborted => (tag_only("ROLLBACK"), self.end_tx(s, false, touches)),
        };
        self.sessions[s].tx = Tx::None;
        self.sessions[s].read_only = false;
        (result, released)
    }

    /// AND CHAIN: a new block with the ended one's isolation level and access mode.
    pub(super) fn chain_block(&mut self, s: SessionId, (isolation, read_only): (Isolation, bool)) {
        let now = self.clock.0;
        let session = &mut self.sessions[s];
        session.tx = Tx::Active;
        session.xact_start = now;
        session.isolation = isolation;
        session.read_only = read_only;
    }

    /// BEGIN / START TRANSACTION with its modes (inside a block: a warning, and the modes
    /// apply to the open block as SET TRANSACTION would, as in PostgreSQL).
    pub(super) fn begin(
        &mut self,
        s: SessionId,
        start: bool,
        modes: TxModes,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<QueryResult, SqlError> {
        touches.insert(Touch::Transaction { session: s });
        let mut r = tag_only(if start { "START TRANSACTION" } else { "BEGIN" });
        if self.sessions[s].tx == Tx::Active {
            r.notices.push(SqlError::warning(
                "25001",
                "there is already a transaction in progress",
            ));
        } else {
            let session = &mut self.sessions[s];
            session.tx = Tx::Active;
            session.xact_start = self.clock.0;
            session.read_only = false;
            session.isolation = session.settings.default_isolation;
        }
        match self.set_modes(s, modes) {
            Ok(()) => Ok(r),
            Err(e) => Err(e.after(r.notices)),
        }
    }

    /// SET TRANSACTION: changes the open block's modes (outside a block: a warning, no
    /// effect); with SESSION CHARACTERISTICS, the defaults of the transactions to come.
    pub(super) fn set_transaction(
        &mut self,
        s: SessionId,
        modes: TxModes,
        session: bool,
    ) -> Result<QueryResult, SqlError> {
        let mut r = tag_only("SET");
        if session {
            if let Some(level) = modes.isolation {
                self.change_settings(s, false, |x| x.default_isolation = level);
            }
            if modes.read_only == Some(true) {
                return Err(SqlError::not_supported(
                    "default_transaction_read_only (SET SESSION CHARACTERISTICS … READ ONLY)",
                ));
            }
        } else if self.sessions[s].tx == Tx::None {
            r.notices.push(SqlError::warning(
                "25P01",
                "SET TRANSACTION can only be used in transaction blocks",
            ));
        } else {
            self.set_modes(s, modes)?;
        }
        Ok(r)
    }

    /// Applies a block's modes with PostgreSQL's checks: the level cannot change, and a READ
    /// ONLY block cannot become read-write, once a query has run (25001).
    pub(super) fn set_modes(&mut self, s: SessionId, modes: TxModes) -> Result<(), SqlError> {
        let x = &mut self.sessions[s];
        let queried = x.snapshot != Snap::None;
        let sub = !x.savepoints.is_empty();
        if let Some(level) = modes.isolation {
            if level != x.isolation && queried {
                return Err(err(
                    "25001",
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                ));
            }
            if level != x.isolation && sub {
                return Err(err(
                    "25001",
                    "SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction",
                ));
            }
            x.isolation = level;
        }
        if let Some(read_only) = modes.read_only {
            if !read_only && x.read_only && sub {
                return Err(err(
                    "25001",
                    "cannot set transaction read-write mode inside a read-only transaction",
                ));
            }
            if !read_only && x.read_only && queried {
                return Err(err(
                    "25001",
                    "transaction read-write mode must be set before any query",
                ));
            }
            x.read_only = read_only;
        }
        Ok(())
    }

    /// After a statement succeeded: outside a block, its implicit transaction commits.
    pub(super) fn autocommit(&mut self, s: SessionId) -> Vec<SessionId> {
        // Autocommit: the statement's implicit transaction commits at its end.
        if self.sessions[s].tx == Tx::None {
            let mut ignored = BTreeSet::new();
            self.end_tx(s, true, &mut ignored)
        } else {
            Vec::new()
        }
    }

    /// After a statement failed: its transaction is aborted at once.
    pub(super) fn abort_on_error(&mut self, s: SessionId) -> Vec<SessionId> {
        // The statement fails as a whole, and so does its transaction: PostgreSQL
        // aborts it at the error (its writes are discarded and its row locks released,
        // so waiters proceed now), while a block stays open in the aborted state until
        // ROLLBACK or COMMIT (oracle scenario error-releases-locks.txt).
        // Inside a savepoint only the innermost subtransaction aborts (its writes and locks go
        // now; the outer ones stay, and so do the snapshot and SERIALIZABLE's record).
        let x = &self.sessions[s];
        // The aborted block keeps its modes until it ends (ROLLBACK AND CHAIN reuses them).
        let modes = (x.isolation, x.read_only);
        let released = if x.tx != Tx::None && !x.savepoints.is_empty() {
            self.abort_subtransaction(s)
        } else {
            let mut ignored = BTreeSet::new();
            self.end_tx(s, false, &mut ignored)
        };
        let x = &mut self.sessions[s];
        if x.tx != Tx::None {
            x.tx = Tx::Aborted;
            (x.isolation, x.read_only) = modes;
        }
        released
    }
}
