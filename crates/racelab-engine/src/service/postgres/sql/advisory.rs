//! Advisory locks, as PostgreSQL 15's lock manager grants them (`lock.c`, `proc.c`).
//!
//! A key (one bigint, or two int4s: another key space) is locked in ExclusiveLock or ShareLock
//! mode, at session level (held until unlocked or the session ends: COMMIT, ROLLBACK and errors
//! leave it) or at transaction level (`_xact`: held until the transaction ends, or the
//! subtransaction that took it aborts). Holds are counted: a session that already holds the
//! key in a mode takes it again at once, and must unlock as many times. A session's own holds
//! never conflict with each other. A request that conflicts with another holder, or with a
//! request already waiting (a shared request queues behind a waiting exclusive one), waits at
//! the end of the FIFO queue — unless the requester holds the key in a mode a waiter wants, in
//! which case it goes before that waiter, and takes the lock at once if nothing ahead of it
//! conflicts; if that waiter in turn waits for the requester, the requester fails at once with
//! 40P01 (PostgreSQL's early deadlock detection). A release grants the lock to the waiters, in
//! queue order, that conflict neither with the holders nor with a request still waiting ahead
//! of them (ProcLockWakeup); their statements then finish. Waits take part in the wait-for
//! graph (`locks.rs`): a waiter waits for each conflicting holder, and for each conflicting
//! request ahead of it in the queue (a "soft" edge).

use std::collections::BTreeSet;

use super::api::{QueryResult, SessionId, Touch};
use super::error::{err, SqlError};
use super::exec::outcome::Outcome;
use super::prepare::{AdvisoryArg, AdvisoryCall, AdvisoryOp};
use super::state::{AdvisoryKey, AdvisoryLock, AdvisoryWaiter, Db, Holds, Progress};
use crate::value::Value;

/// Whether requests in these modes (true: shared) by different sessions conflict.
fn conflicts(a: bool, b: bool) -> bool {
    !(a && b)
}

/// How a request ends at once, or that it must wait.
enum Acquired {
    Granted,
    NotAvailable,
    /// Queued at this position behind `holder`.
    Wait(usize, SessionId),
    EarlyDeadlock,
}

impl AdvisoryLock {
    fn holds(&mut self, s: SessionId, shared: bool) -> &mut Holds {
        self.holders.entry((s, shared)).or_default()
    }

    /// Whether another session holds the key in a mode conflicting with `shared`: the first such.
    fn blocker(&self, s: SessionId, shared: bool) -> Option<SessionId> {
        self.holders
            .keys()
            .find(|&&(h, m)| h != s && conflicts(shared, m))
            .map(|&(h, _)| h)
    }

    /// PostgreSQL's LockAcquire and ProcSleep for session `s`'s request.
    fn acquire(&mut self, s: SessionId, shared: bool, xact: bool, wait: bool) -> Acquired {
        let grant = |l: &mut AdvisoryLock| {
            let h = l.holds(s, shared);
            if xact {
                h.xact += 1
            } else {
                h.session += 1
            }
            Acquired::Granted
        };
        if self.holders.contains_key(&(s, shared)) {
            return grant(self);
        }
        let queued = self.waiters.iter().find(|w| conflicts(shared, w.shared));
        let holder = self.blocker(s, shared);
        let Some(first) = holder.or(queued.map(|w| w.session)) else {
            return grant(self);
        };
        if !wait {
            return Acquired::NotAvailable;
        }
        let mine: Vec<bool> = self
            .holders
            .keys()
            .filter(|&&(h, _)| h == s)
            .map(|&(_, m)| m)
            .collect();
        let mut ahead: Vec<bool> = Vec::new();
        for (i, w) in self.waiters.iter().enumerate() {
            if mine.iter().any(|&m| conflicts(w.shared, m)) {
                let theirs = self.holders.keys().filter(|&&(h, _)| h == w.session);
                if theirs.clone().any(|&(_, m)| conflicts(shared, m)) {
                    return Acquired::EarlyDeadlock;
                }
                if holder.is_none() && !ahead.iter().any(|&m| conflicts(shared, m)) {
                    return grant(self);
                }
                return Acquired::Wait(i, holder.unwrap_or(w.session));
            }
            ahead.push(w.shared);
        }
        Acquired::Wait(self.waiters.len(), first)
    }

    /// ProcLockWakeup: grants the lock to the waiters that can have it now, in queue order.
    fn wake_up(&mut self) -> Vec<SessionId> {
        let mut ahead: Vec<bool> = Vec::new();
        let mut granted = Vec::new();
        for w in std::mem::take(&mut self.waiters) {
            let free = !ahead.iter().any(|&m| conflicts(w.shared, m))
                && self.blocker(w.session, w.shared).is_none();
            if free {
                let h = self.holds(w.session, w.shared);
                if w.xact {
                    h.xact += 1
                } else {
                    h.session += 1
                }
                granted.push(w.session);
            } else {
                ahead.push(w.shared);
                self.waiters.push(w);
            }
        }
        granted
    }
}

fn key_of(call: &AdvisoryCall, params: &[Value]) -> Result<Option<AdvisoryKey>, SqlError> {
    let mut vals = Vec::new();
    for a in &call.args {
        vals.push(match *a {
            AdvisoryArg::Const(i) => i,
            AdvisoryArg::Param(n) => match params.get(n.wrapping_sub(1)) {
                Some(Value::Int(i)) => *i,
                Some(other) => {
                    return Err(SqlError::not_supported(format!(
                        "the {} {} as an advisory lock key",
                        other.type_name(),
                        if *other == Value::Null {
                            "value"
                        } else {
                            "parameter"
                        }
                    )))
                }
                None => return Err(err("42P02", format!("there is no parameter ${n}"))),
            },
        });
    }
    match vals.as_slice() {
        [] => Ok(None),
        [k] => Ok(Some(AdvisoryKey::Big(*k))),
        [a, b] => match (i32::try_from(*a), i32::try_from(*b)) {
            (Ok(a), Ok(b)) => Ok(Some(AdvisoryKey::Pair(a, b))),
            _ => Err(err("22003", "integer out of range")),
        },
        _ => Err(SqlError::not_supported(
            "an advisory lock key of more than two parts",
        )),
    }
}

impl AdvisoryKey {
    /// What taking or releasing it touches (for the explorer's independence of steps).
    fn touch(&self) -> Touch {
        Touch::WriteRow {
            table: "pg_advisory_lock".to_string(),
            key: self.shown(),
        }
    }

    /// The key as the page shows it: `42`, or `(1, 2)` for a pair.
    pub(super) fn shown(&self) -> String {
        match self {
            AdvisoryKey::Big(k) => k.to_string(),
            AdvisoryKey::Pair(a, b) => format!("({a}, {b})"),
        }
    }
}

fn one_row(call: &AdvisoryCall, v: Value) -> QueryResult {
    QueryResult {
        tag: "SELECT 1".to_string(),
        columns: vec![call.column.clone()],
        rows: vec![vec![v]],
        notices: Vec::new(),
    }
}

/// What a void function prints: an empty cell.
fn void() -> Value {
    Value::Text(String::new())
}

impl Db {
    /// `SELECT pg_advisory_…(…)`. A woken call (`resume`) was granted its lock while it waited.
    pub(super) fn exec_advisory(
        &mut self,
        s: SessionId,
        call: &AdvisoryCall,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        if resume.is_some() {
            return Ok(Outcome::Rows(one_row(call, void())));
        }
        let key = key_of(call, params)?;
        let key = match (call.op, key) {
            (AdvisoryOp::UnlockAll, _) | (_, None) => {
                let released = self.advisory_unlock_all(s, touches);
                return Ok(Outcome::Released(one_row(call, void()), released));
            }
            (_, Some(k)) => k,
        };
        touches.insert(key.touch());
        match call.op {
            AdvisoryOp::Lock | AdvisoryOp::TryLock => self.advisory_take(s, call, key),
            AdvisoryOp::Unlock | AdvisoryOp::UnlockAll => Ok(self.advisory_unlock(s, call, key)),
        }
    }

    /// pg_[try_]advisory[_xact]_lock[_shared]: takes the lock, or answers false (try), or
    /// queues (see [`AdvisoryLock::acquire`]).
    fn advisory_take(
        &mut self,
        s: SessionId,
        call: &AdvisoryCall,
        key: AdvisoryKey,
    ) -> Result<Outcome, SqlError> {
        let (shared, xact) = (call.shared, call.xact);
        let wait = call.op == AdvisoryOp::Lock;
        if xact {
            self.note_advisory_before(s, key, shared);
        }
        let lock = self.advisory.entry(key).or_default();
        match lock.acquire(s, shared, xact, wait) {
            Acquired::Granted if wait => Ok(Outcome::Rows(one_row(call, void()))),
            Acquired::Granted => Ok(Outcome::Rows(one_row(call, Value::Bool(true)))),
            Acquired::NotAvailable => {
                self.drop_unused_advisory(key);
                Ok(Outcome::Rows(one_row(call, Value::Bool(false))))
            }
            Acquired::EarlyDeadlock => {
                self.drop_unused_advisory(key);
                Err(err("40P01", "deadlock detected"))
            }
            Acquired::Wait(at, holder) => {
                let w = AdvisoryWaiter {
                    session: s,
                    shared,
                    xact,
                };
                lock.waiters.insert(at, w);
                Ok(Outcome::WaitAdvisory {
                    key,
                    shared,
                    holder,
                })
            }
        }
    }

    /// pg_advisory_unlock[_shared]: one session-level hold fewer (true), or a warning (false).
    fn advisory_unlock(&mut self, s: SessionId, call: &AdvisoryCall, key: AdvisoryKey) -> Outcome {
        let mut r = one_row(call, Value::Bool(false));
        let held = self
            .advisory
            .get_mut(&key)
            .and_then(|l| l.holders.get_mut(&(s, call.shared)))
            .filter(|h| h.session > 0);
        match held {
            Some(h) => {
                h.session -= 1;
                r.rows = vec![vec![Value::Bool(true)]];
                let released = self.settle_advisory(key);
                Outcome::Released(r, released)
            }
            None => {
                let mode = if call.shared {
                    "ShareLock"
                } else {
                    "ExclusiveLock"
                };
                r.notices.push(SqlError::warning(
                    "01000",
                    format!("you don't own a lock of type {mode}"),
                ));
                Outcome::Rows(r)
            }
        }
    }

    /// Removes holds that ended and the lock if nobody holds or wants it; grants it to the
    /// waiters that can have it now. Returns them, in queue order.
    pub(super) fn settle_advisory(&mut self, key: AdvisoryKey) -> Vec<SessionId> {
        let Some(lock) = self.advisory.get_mut(&key) else {
            return Vec::new();
        };
        lock.holders.retain(|_, h| h.session > 0 || h.xact > 0);
        let granted = lock.wake_up();
        self.drop_unused_advisory(key);
        granted
    }

    fn drop_unused_advisory(&mut self, key: AdvisoryKey) {
        if self
            .advisory
            .get(&key)
            .is_some_and(|l| l.holders.is_empty() && l.waiters.is_empty())
        {
            self.advisory.remove(&key);
        }
    }

    /// Releases `s`'s holds chosen by `release` (which zeroes counts); returns the waiters
    /// granted.
    fn release_advisory(
        &mut self,
        s: SessionId,
        release: impl Fn(&mut Holds),
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        let keys: Vec<AdvisoryKey> = self
            .advisory
            .iter()
            .filter(|(_, l)| {
                l.holders.iter().any(|(&(h, _), x)| {
                    let mut after = *x;
                    release(&mut after);
                    h == s && after != *x
                })
            })
            .map(|(&k, _)| k)
            .collect();
        let mut granted = Vec::new();
        for k in keys {
            touches.insert(k.touch());
            if let Some(l) = self.advisory.get_mut(&k) {
                for (_, h) in l.holders.iter_mut().filter(|((h, _), _)| *h == s) {
                    release(h);
                }
            }
            granted.extend(self.settle_advisory(k));
        }
        granted
    }

    /// pg_advisory_unlock_all(): every session-level hold of `s`.
    pub(super) fn advisory_unlock_all(
        &mut self,
        s: SessionId,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        self.release_advisory(s, |h| h.session = 0, touches)
    }

    /// The end of `s`'s transaction: its transaction-level holds.
    pub(super) fn advisory_end_tx(
        &mut self,
        s: SessionId,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        self.release_advisory(s, |h| h.xact = 0, touches)
    }

    /// The session is gone: its session-level holds (its transaction's went with it).
    pub(super) fn advisory_close(
        &mut self,
        s: SessionId,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        self.release_advisory(s, |h| *h = Holds::default(), touches)
    }

    /// A subtransaction rolled back: `s`'s transaction-level holds go back to `before`.
    pub(super) fn advisory_restore(
        &mut self,
        s: SessionId,
        before: std::collections::BTreeMap<(AdvisoryKey, bool), u32>,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        let mut granted = Vec::new();
        for ((k, shared), had) in before {
            if let Some(h) = self
                .advisory
                .get_mut(&k)
                .and_then(|l| l.holders.get_mut(&(s, shared)))
            {
                if h.xact != had {
                    h.xact = had;
                    touches.insert(k.touch());
                }
            }
            granted.extend(self.settle_advisory(k));
        }
        granted
    }

    /// `s` leaves the queue of `key` (its wait failed); the waiters this lets in are granted.
    pub(super) fn advisory_leave_queue(
        &mut self,
        s: SessionId,
        key: AdvisoryKey,
    ) -> Vec<SessionId> {
        if let Some(l) = self.advisory.get_mut(&key) {
            l.waiters.retain(|w| w.session != s);
        }
        self.settle_advisory(key)
    }

    /// Inside a savepoint, before `s` takes a transaction-level hold: how many it had.
    pub(super) fn note_advisory_before(&mut self, s: SessionId, key: AdvisoryKey, shared: bool) {
        let had = self
            .advisory
            .get(&key)
            .and_then(|l| l.holders.get(&(s, shared)))
            .map_or(0, |h| h.xact);
        if let Some(sp) = self.sessions[s].savepoints.last_mut() {
            sp.advisory.entry((key, shared)).or_insert(had);
        }
    }
}
