//! Row locks: taking them, their FIFO wait queues, the wait-for check that refuses deadlocks,
//! and waking the waiters when locks are released.

use std::collections::{BTreeSet, VecDeque};

use super::db::Db;
use super::error::SqlError;
use super::exec::{Outcome, Step};
use super::tx::{Tx, Waiting};
use super::{BlockedOn, SessionId, Wake};
use crate::value::Value;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Lock {
    pub(super) holder: SessionId,
    pub(super) waiters: Vec<SessionId>,
}

pub(super) const DEADLOCK: &str =
    "deadlock detection (PostgreSQL would abort one transaction with 40P01 after deadlock_timeout)";

impl Db {
    /// Takes (or keeps) `s`'s lock on the row.
    pub(super) fn lock_row(&mut self, s: SessionId, table: usize, key: &[Value]) {
        let slot = self.tables[table].rows.entry(key.to_vec()).or_default();
        if slot.lock.is_none() {
            slot.lock = Some(Lock {
                holder: s,
                waiters: Vec::new(),
            });
        }
    }

    /// Whether `from` (transitively) waits for a lock held by `target`.
    pub(super) fn waits_for(&self, from: SessionId, target: SessionId) -> bool {
        let mut cur = from;
        for _ in 0..=self.sessions.len() {
            if cur == target {
                return true;
            }
            let next = self
                .sessions
                .get(cur)
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| self.tables.get(w.table)?.rows.get(&w.key)?.lock.as_ref())
                .map(|l| l.holder);
            match next {
                Some(h) => cur = h,
                None => return false,
            }
        }
        false
    }

    /// Retries waiting statements in order; statements they release are retried after them.
    pub(super) fn wake(&mut self, released: Vec<SessionId>) -> Vec<Wake> {
        let mut queue: VecDeque<SessionId> = released.into();
        let mut woken = Vec::new();
        while let Some(w) = queue.pop_front() {
            let Some(waiting) = self.sessions.get_mut(w).and_then(|s| s.waiting.take()) else {
                continue;
            };
            match self.run(w, &waiting.stmt, &waiting.params, waiting.progress) {
                Step::Blocked(_) => {}
                Step::Done {
                    result,
                    touches,
                    released,
                } => {
                    queue.extend(released);
                    if self.sessions[w].closed {
                        // Its client died while it waited (see `close_session`): the backend now
                        // finds the connection gone and rolls back what is still open. Nobody
                        // receives the result.
                        let tx = std::mem::take(&mut self.sessions[w].tx);
                        if tx != Tx::None {
                            let mut ignored = BTreeSet::new();
                            queue.extend(self.end_tx(w, false, &mut ignored));
                        }
                        continue;
                    }
                    woken.push(Wake {
                        session: w,
                        result,
                        touches,
                    });
                }
            }
        }
        woken
    }

    /// A wait that would close a cycle in the wait-for graph is refused (the statement fails
    /// as a whole: the rows it changed before are undone).
    pub(super) fn refuse_deadlock(
        &mut self,
        s: SessionId,
        outcome: Result<Outcome, SqlError>,
    ) -> Result<Outcome, SqlError> {
        match outcome {
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
        }
    }

    /// Queues `s` on the row's lock, keeping its statement (and progress) to retry when woken.
    pub(super) fn enqueue(
        &mut self,
        s: SessionId,
        waiting: Waiting,
        holder: SessionId,
    ) -> BlockedOn {
        let t = &mut self.tables[waiting.table];
        let shown = t.blocked_key_string(&waiting.key);
        let name = t.name.clone();
        if let Some(lock) = t
            .rows
            .get_mut(&waiting.key)
            .and_then(|slot| slot.lock.as_mut())
        {
            lock.waiters.push(s);
        }
        self.sessions[s].waiting = Some(waiting);
        BlockedOn {
            table: name,
            key: shown,
            holder,
        }
    }
}
