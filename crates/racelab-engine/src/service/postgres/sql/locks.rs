//! Row locks: their modes and PostgreSQL's conflict table, lock entries with several holders,
//! taking them, their FIFO wait queues, the wait-for graph and the check on it that refuses
//! deadlocks, and waking the waiters when locks are released.

use std::collections::{BTreeSet, VecDeque};

use super::api::{BlockedOn, LockView, SessionId, Wake};
use super::exec::outcome::Step;
use super::state::{Db, Lock, LockMode, Tx, WaitOn, Waiting};
use crate::value::Value;

/// Whether session `s` is on a cycle of the wait-for graph `graph` (a deadlock).
pub(super) fn on_cycle(graph: &[(SessionId, SessionId)], s: SessionId) -> bool {
    graph
        .iter()
        .filter(|&&(w, _)| w == s)
        .any(|&(_, h)| reaches(graph, h, s))
}

/// Whether `from` reaches `target` along the edges of `graph`.
fn reaches(graph: &[(SessionId, SessionId)], from: SessionId, target: SessionId) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from];
    while let Some(cur) = stack.pop() {
        if cur == target {
            return true;
        }
        if seen.insert(cur) {
            stack.extend(graph.iter().filter(|&&(w, _)| w == cur).map(|&(_, h)| h));
        }
    }
    false
}

/// Whether locks in modes `a` and `b` on one row, held by different transactions, conflict:
/// PostgreSQL's table of conflicting row-level locks (PostgreSQL 15 documentation, 13.3.2
/// "Row-Level Locks"). Symmetric.
pub(super) fn conflicts(a: LockMode, b: LockMode) -> bool {
    use LockMode::*;
    match (a, b) {
        (Update, _) | (_, Update) => true,
        (NoKeyUpdate, KeyShare) | (KeyShare, NoKeyUpdate) => false,
        (NoKeyUpdate, _) | (_, NoKeyUpdate) => true,
        (KeyShare | Share, KeyShare | Share) => false,
    }
}

impl Lock {
    pub(super) fn new(s: SessionId, mode: LockMode) -> Lock {
        Lock {
            holders: vec![(s, mode)],
            waiters: Vec::new(),
            early: Vec::new(),
        }
    }

    pub(super) fn holds(&self, s: SessionId) -> bool {
        self.holders.iter().any(|&(h, _)| h == s)
    }

    /// The first other holder whose mode conflicts with `mode` wanted by `s`: the session `s`
    /// must wait for (None: `s` can take the lock now).
    pub(super) fn blocker(&self, s: SessionId, mode: LockMode) -> Option<SessionId> {
        self.holders
            .iter()
            .find(|&&(h, held)| h != s && conflicts(mode, held))
            .map(|&(h, _)| h)
    }

    /// Grants `s` the lock in `mode` (the caller checked that nobody blocks it); a holder keeps
    /// the stronger of its modes.
    pub(super) fn grant(&mut self, s: SessionId, mode: LockMode) {
        match self.holders.iter_mut().find(|(h, _)| *h == s) {
            Some((_, held)) => *held = (*held).max(mode),
            None => self.holders.push((s, mode)),
        }
    }

    /// Sets `s`'s hold to exactly `mode` (a savepoint rolled back: possibly weaker), keeping
    /// its place among the holders.
    pub(super) fn grant_exactly(&mut self, s: SessionId, mode: LockMode) {
        match self.holders.iter_mut().find(|(h, _)| *h == s) {
            Some((_, held)) => *held = mode,
            None => self.holders.push((s, mode)),
        }
    }

    /// Removes `s`'s hold. Returns the waiters to retry (see [`Lock::free_waiters`]).
    pub(super) fn release(&mut self, s: SessionId) -> Vec<SessionId> {
        self.holders.retain(|&(h, _)| h != s);
        self.early.retain(|&h| h != s);
        self.free_waiters()
    }

    /// The waiters to retry, in queue order (they leave the queue): all of them when nobody
    /// holds the lock any more, otherwise those whose wanted mode conflicts with no holder.
    pub(super) fn free_waiters(&mut self) -> Vec<SessionId> {
        let holders = &self.holders;
        let (free, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|&(w, mode)| {
                !holders
                    .iter()
                    .any(|&(h, held)| h != w && conflicts(mode, held))
            });
        self.waiters = still;
        free.into_iter().map(|(w, _)| w).collect()
    }

    /// The earlier waiters `w` waits behind. PostgreSQL makes a waiter take the row's tuple lock
    /// before it waits for the holders' transactions; a later waiter whose mode conflicts with
    /// a tuple-lock holder's waits for that waiter instead (what decides deadlocks and their
    /// victims). Empty: `w` holds the tuple lock and waits for the holders.
    ///
    /// A waiter that already holds the row in a weaker mode (an upgrade) takes no tuple lock:
    /// it waits for the other holders at once, and nobody queues behind it (PostgreSQL skips
    /// the tuple lock then, lest it deadlock with a waiter that holds it).
    pub(super) fn tuple_lock_blockers(&self, w: SessionId) -> Vec<SessionId> {
        let mut tuple_holders: Vec<(SessionId, LockMode)> = Vec::new();
        for &(x, mode) in &self.waiters {
            let upgrade = self.holds(x);
            let blockers: Vec<SessionId> = tuple_holders
                .iter()
                .filter(|&&(_, m)| !upgrade && conflicts(mode, m))
                .map(|&(h, _)| h)
                .collect();
            if x == w {
                return blockers;
            }
            if blockers.is_empty() && !upgrade {
                tuple_holders.push((x, mode));
            }
        }
        Vec::new()
    }

    /// The waiters that hold the tuple lock and wait for `s`'s transaction: when it ends,
    /// those still blocked wait for the next holder's, a new wait.
    pub(super) fn waiting_for(&self, s: SessionId) -> Vec<SessionId> {
        self.waiters
            .iter()
            .filter(|&&(w, mode)| {
                self.blocker(w, mode) == Some(s) && self.tuple_lock_blockers(w).is_empty()
            })
            .map(|&(w, _)| w)
            .collect()
    }

    /// `w` is still in the queue, blocked by a holder.
    pub(super) fn still_blocked(&self, w: SessionId) -> bool {
        self.waiters
            .iter()
            .any(|&(x, mode)| x == w && self.blocker(x, mode).is_some())
    }

    /// The lock as the UI shows it: its first holder and the queue.
    pub(super) fn view(&self) -> Option<LockView> {
        Some(LockView {
            holder: self.holders.first()?.0,
            modes: self.holders.iter().map(|&(h, m)| (h, m.clause())).collect(),
            waiters: self.waiters.iter().map(|&(w, _)| w).collect(),
        })
    }
}

impl Db {
    /// Takes (or keeps) `s`'s lock on the row in `mode` (the caller checked that no other
    /// holder blocks it).
    pub(super) fn lock_row(&mut self, s: SessionId, table: usize, key: &[Value], mode: LockMode) {
        let held = self.tables[table]
            .rows
            .get(key)
            .and_then(|slot| slot.lock.as_ref())
            .and_then(|l| l.holders.iter().find(|&&(h, _)| h == s));
        if held.is_none_or(|&(_, m)| m < mode) {
            self.note_before(s, table, key);
        }
        let slot = self.tables[table].rows.entry(key.to_vec()).or_default();
        match slot.lock.as_mut() {
            None => slot.lock = Some(Lock::new(s, mode)),
            Some(lock) => lock.grant(s, mode),
        }
    }

    /// The wait-for graph: an edge `(waiter, holder)` for each session waiting for a lock and
    /// each holder of that lock whose mode conflicts with the mode the waiter wants (PostgreSQL's
    /// hard edges). Sorted, without duplicates.
    pub fn wait_for_graph(&self) -> Vec<(SessionId, SessionId)> {
        self.wait_edges(false)
    }

    /// The wait-for graph with, for advisory locks, the soft edges too: a waiter waits for
    /// each conflicting request ahead of it in the queue.
    pub(super) fn wait_edges(&self, soft: bool) -> Vec<(SessionId, SessionId)> {
        let mut edges = BTreeSet::new();
        for (w, session) in self.sessions.iter().enumerate() {
            let Some(waiting) = &session.waiting else {
                continue;
            };
            if let Some(tx) = waiting.on_tx {
                edges.insert((w, tx));
                continue;
            }
            match &waiting.on {
                WaitOn::Row { table, key, mode } => {
                    let Some(lock) = self
                        .tables
                        .get(*table)
                        .and_then(|t| t.rows.get(key))
                        .and_then(|slot| slot.lock.as_ref())
                    else {
                        continue;
                    };
                    let behind = lock.tuple_lock_blockers(w);
                    if !behind.is_empty() {
                        edges.extend(behind.into_iter().map(|h| (w, h)));
                        continue;
                    }
                    // Several holders: PostgreSQL waits for their transactions one at a time,
                    // in the order they locked (a multixact's members).
                    if let Some(h) = lock.blocker(w, *mode) {
                        edges.insert((w, h));
                    }
                }
                WaitOn::Advisory { key, shared } => {
                    let Some(lock) = self.advisory.get(key) else {
                        continue;
                    };
                    for &(h, held) in lock.holders.keys() {
                        if h != w && !(held && *shared) {
                            edges.insert((w, h));
                        }
                    }
                    let ahead = lock.waiters.iter().take_while(|x| x.session != w);
                    for x in ahead.filter(|x| soft && !(x.shared && *shared)) {
                        edges.insert((w, x.session));
                    }
                }
            }
        }
        edges.into_iter().collect()
    }

    /// `s` stops waiting (its wait failed, or its client is gone): it leaves the queue. Returns
    /// the waiters granted an advisory lock its leaving lets in.
    pub(super) fn leave_queue(&mut self, s: SessionId, on: &WaitOn) -> Vec<SessionId> {
        match on {
            WaitOn::Row { table, key, .. } => {
                self.leave_row_queue(s, *table, key);
                Vec::new()
            }
            WaitOn::Advisory { key, .. } => self.advisory_leave_queue(s, *key),
        }
    }

    /// Retries waiting statements in order; statements they release are retried after them.
    pub(super) fn wake(&mut self, released: Vec<SessionId>) -> Vec<Wake> {
        let mut queue: VecDeque<SessionId> = released.into();
        let mut woken = Vec::new();
        while let Some(w) = queue.pop_front() {
            let Some(waiting) = self.sessions.get_mut(w).and_then(|s| s.waiting.take()) else {
                continue;
            };
            match self.run(
                w,
                &waiting.stmt,
                &waiting.params,
                (waiting.progress, waiting.started),
            ) {
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
                        let mut ignored = BTreeSet::new();
                        if tx != Tx::None {
                            queue.extend(self.end_tx(w, false, &mut ignored));
                        }
                        queue.extend(self.advisory_close(w, &mut ignored));
                        continue;
                    }
                    self.note_idle(w);
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

    /// Queues `s` on the row's lock, keeping its statement (and progress) to retry when woken.
    pub(super) fn enqueue(
        &mut self,
        s: SessionId,
        waiting: Waiting,
        holder: SessionId,
    ) -> BlockedOn {
        let (name, shown) = match &waiting.on {
            WaitOn::Row { table, key, mode } => {
                let t = &mut self.tables[*table];
                let shown = t.blocked_key_string(key);
                // An INSERT waits for the other writer's transaction itself (`on_tx`), not in
                // the row's queue.
                if waiting.on_tx.is_none() {
                    if let Some(lock) = t.rows.get_mut(key).and_then(|slot| slot.lock.as_mut()) {
                        lock.waiters.push((s, *mode));
                    }
                }
                (t.name.clone(), shown)
            }
            // Already queued, at its place (see `advisory`).
            WaitOn::Advisory { key, .. } => ("pg_advisory_lock".to_string(), key.shown()),
        };
        self.sessions[s].waiting = Some(waiting);
        self.note_checks_before_cycle();
        BlockedOn {
            table: name,
            key: shown,
            holder,
        }
    }
}
