//! Time in the server, in virtual milliseconds: the deadlock check, `lock_timeout` and
//! `statement_timeout`.
//!
//! As in PostgreSQL, a session that waits for a lock runs the deadlock check once,
//! `deadlock_timeout` after its wait began; if it is then on a cycle of the wait-for graph it is
//! the victim: its statement fails with 40P01 and its transaction aborts, which releases its
//! locks, and the others go on. A wait whose check already ran (found no cycle) does not check
//! again, so when a cycle closes, the victim is the member whose check comes first from then
//! on. The server only keeps a deadline for checks that can find something: while there is no
//! cycle, a waiter's check would find nothing, and whether it has run is worked out from the
//! times when a cycle closes ([`Db::note_checks_before_cycle`]). Lock and statement timeouts
//! cancel the waiting statement (55P03, 57014), which aborts its transaction too. A session
//! idle longer than `idle_in_transaction_session_timeout` (inside a block) or
//! `idle_session_timeout` (outside one) is terminated: its transaction rolls back, its locks
//! go, and its next statement reads the FATAL error (25P03, 57P05).

use super::api::{SessionId, Wake};
use super::error::{err, SqlError};
use super::locks::on_cycle;
use super::state::{Db, Fatal, Now, Remark, Session, Tx, WaitOn, Waiting};
use crate::value::Value;

/// What is due for a waiting session, in the order PostgreSQL's handlers would act at one
/// instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    DeadlockCheck,
    LockTimeout,
    StatementTimeout,
    /// An idle session's timeout (idle_in_transaction_session_timeout, idle_session_timeout).
    Idle(Fatal),
}

/// How many deadlines one `advance` fires at most (each fires once, so this is never reached
/// by a correct server; it bounds a bug instead of hanging the page).
const MAX_FIRES: usize = 10_000;

impl Db {
    /// The virtual time of the next thing the server does by itself, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.next_due().map(|(t, _, _)| t)
    }

    /// Moves the server's virtual clock to `now` (it never goes back) and fires, in time
    /// order, every deadline up to then. Returns the outcomes of the waiting statements that
    /// ended (and of those their end released).
    pub fn advance(&mut self, now: u64) -> Vec<Wake> {
        let mut woken = Vec::new();
        for _ in 0..MAX_FIRES {
            let Some((t, s, due)) = self.next_due().filter(|&(t, _, _)| t <= now) else {
                break;
            };
            self.clock = Now(self.clock.0.max(t));
            woken.extend(self.fire(s, due, t));
        }
        self.clock = Now(self.clock.0.max(now));
        self.normalize();
        woken
    }

    /// The earliest deadline: its time, session and kind (ties: the earlier wait first).
    fn next_due(&self) -> Option<(u64, SessionId, Due)> {
        let idle =
            self.sessions.iter().enumerate().filter_map(|(s, x)| {
                idle_deadline(x).map(|(t, due)| ((t, 0, 0, due), (t, s, due)))
            });
        // The explorer asks for every world: nothing waits in most of them.
        if self.sessions.iter().all(|x| x.waiting.is_none()) {
            return idle.min_by_key(|(order, _)| *order).map(|(_, due)| due);
        }
        let graph = self.wait_edges(true);
        self.sessions
            .iter()
            .enumerate()
            .filter_map(|(s, x)| Some((s, x.waiting.as_ref()?)))
            .flat_map(|(s, w)| {
                self.deadlines(s, w, &graph)
                    .into_iter()
                    .map(move |(t, due)| ((t, w.since, w.order, due), (t, s, due)))
            })
            .chain(idle)
            .min_by_key(|(order, _)| *order)
            .map(|(_, due)| due)
    }

    /// The server ends a session that stayed idle too long: its transaction rolls back, its
    /// locks (advisory ones too) go, and its next statement reads the FATAL error.
    fn terminate(&mut self, s: SessionId, fatal: Fatal) -> Vec<Wake> {
        let mut ignored = std::collections::BTreeSet::new();
        let mut released = if self.sessions[s].tx == Tx::None {
            Vec::new()
        } else {
            self.end_tx(s, false, &mut ignored)
        };
        let x = &mut self.sessions[s];
        x.tx = Tx::None;
        x.read_only = false;
        x.fatal = Some(fatal);
        released.extend(self.advisory_close(s, &mut ignored));
        self.wake(released)
    }

    fn deadlines(
        &self,
        s: SessionId,
        w: &Waiting,
        graph: &[(SessionId, SessionId)],
    ) -> Vec<(u64, Due)> {
        let set = &self.sessions[s].settings;
        let mut out = Vec::new();
        if !w.checked && on_cycle(graph, s) {
            out.push((w.since + set.deadlock_timeout, Due::DeadlockCheck));
        }
        if set.lock_timeout > 0 {
            out.push((w.since + set.lock_timeout, Due::LockTimeout));
        }
        if set.statement_timeout > 0 {
            out.push((w.started + set.statement_timeout, Due::StatementTimeout));
        }
        out
    }

    fn fire(&mut self, s: SessionId, due: Due, t: u64) -> Vec<Wake> {
        match due {
            Due::DeadlockCheck => {
                let victim = on_cycle(&self.wait_for_graph(), s);
                // The checks due before this one (in deadline order; at the same virtual time,
                // the wait that began first) have run; those after it have not.
                let me = self.sessions[s]
                    .waiting
                    .as_ref()
                    .map_or((t, 0, 0), |w| (t, w.since, w.order));
                self.note_checks_through(me);
                let soft = on_cycle(&self.wait_edges(true), s);
                if victim {
                    self.sessions[s].victim = Remark(true);
                    self.fail_waiter(s, err("40P01", "deadlock detected"))
                } else if soft {
                    // A cycle through an advisory wait queue: PostgreSQL would try to reorder
                    // the queue before choosing a victim; that is not modelled.
                    self.fail_waiter(
                        s,
                        SqlError::not_supported(
                            "a deadlock through an advisory lock's wait queue (PostgreSQL's soft edges)",
                        ),
                    )
                } else {
                    Vec::new()
                }
            }
            Due::LockTimeout => {
                self.fail_waiter(s, err("55P03", "canceling statement due to lock timeout"))
            }
            Due::StatementTimeout => self.fail_waiter(
                s,
                err("57014", "canceling statement due to statement timeout"),
            ),
            Due::Idle(fatal) => self.terminate(s, fatal),
        }
    }

    /// Marks as run the deadlock check of every wait whose check comes no later than `last`
    /// (deadline, then when the wait began, then wait order).
    fn note_checks_through(&mut self, last: (u64, u64, u64)) {
        for x in &mut self.sessions {
            let timeout = x.settings.deadlock_timeout;
            if let Some(w) = x.waiting.as_mut() {
                if (w.since + timeout, w.since, w.order) <= last {
                    w.checked = true;
                }
            }
        }
    }

    /// When a wait closes a cycle: the checks of waits that began long enough ago have run by
    /// now (and found nothing, there was no cycle yet).
    pub(super) fn note_checks_before_cycle(&mut self) {
        let graph = self.wait_edges(true);
        if (0..self.sessions.len()).any(|s| on_cycle(&graph, s)) {
            self.note_checks_through((self.clock.0, u64::MAX, u64::MAX));
        }
    }

    /// Ends `s`'s wait with error `e`: it leaves the queue, the rows its statement changed are
    /// undone, its transaction aborts (releasing its locks). Returns its outcome (unless its
    /// client is gone) and those of the waiters that then ran.
    fn fail_waiter(&mut self, s: SessionId, e: SqlError) -> Vec<Wake> {
        let Some(w) = self.sessions.get_mut(s).and_then(|x| x.waiting.take()) else {
            return Vec::new();
        };
        let mut released = self.leave_queue(s, &w.on);
        let touches = match (w.progress, &w.on) {
            (Some(p), on) => {
                if let WaitOn::Row { table, .. } = on {
                    self.undo(*table, &p.undo);
                }
                p.touches.into_iter().collect()
            }
            (None, _) => Vec::new(),
        };
        released.extend(self.abort_on_error(s));
        let mut out = Vec::new();
        if self.sessions[s].closed {
            // Its client died while it waited: the backend now finds the connection gone.
            self.sessions[s].tx = Tx::None;
            let mut ignored = std::collections::BTreeSet::new();
            released.extend(self.advisory_close(s, &mut ignored));
        } else {
            out.push(Wake {
                session: s,
                result: Err(e),
                touches,
            });
        }
        out.extend(self.wake(released));
        out
    }

    /// `s` leaves a row's wait queue. A waiter that waited behind it for the tuple lock and
    /// now holds it begins a new wait, for the holders, from now (PostgreSQL's new sleep, with
    /// its own deadlock check).
    pub(super) fn leave_row_queue(&mut self, s: SessionId, table: usize, key: &[Value]) {
        let Some(lock) = self
            .tables
            .get_mut(table)
            .and_then(|t| t.rows.get_mut(key))
            .and_then(|slot| slot.lock.as_mut())
        else {
            return;
        };
        let behind: Vec<SessionId> = lock
            .waiters
            .iter()
            .map(|&(x, _)| x)
            .filter(|&x| x != s && !lock.tuple_lock_blockers(x).is_empty())
            .collect();
        lock.waiters.retain(|&(x, _)| x != s);
        let moved: Vec<SessionId> = behind
            .into_iter()
            .filter(|&x| lock.tuple_lock_blockers(x).is_empty())
            .collect();
        self.rewait(&moved);
    }

    /// Waiters that go on waiting for another transaction: a new wait, from now, with its own
    /// deadlock check and lock_timeout (PostgreSQL sleeps again).
    pub(super) fn rewait(&mut self, sessions: &[SessionId]) {
        let now = self.clock.0;
        for &x in sessions {
            if let Some(w) = self.sessions[x].waiting.as_mut() {
                w.since = now;
                w.checked = false;
                w.order = self.waits;
                self.waits += 1;
            }
        }
    }

    /// Waiters whose blocker ended go on waiting for the next holder: new waits, which may
    /// close a cycle. The checks due before now found none (those due at this very instant
    /// may not have run yet: a deadlock victim's abort ends a transaction between them).
    pub(super) fn rewait_for_next_holder(&mut self, sessions: &[SessionId]) {
        if sessions.is_empty() {
            return;
        }
        self.rewait(sessions);
        let graph = self.wait_edges(true);
        if (0..self.sessions.len()).any(|s| on_cycle(&graph, s)) {
            let before = self.clock.0.saturating_sub(1);
            self.note_checks_through((before, u64::MAX, u64::MAX));
        }
    }

    /// Forgets when the waits began, for comparing worlds without their times (only sound
    /// where no deadlock and no timeout can happen: see `Model::timeless`).
    pub fn forget_times(&mut self) {
        for x in &mut self.sessions {
            x.xact_start = 0;
            x.idle_since = 0;
        }
        for w in self.sessions.iter_mut().filter_map(|x| x.waiting.as_mut()) {
            w.since = 0;
            w.started = 0;
        }
    }

    /// Whether some wait keeps a time ([`Db::forget_times`] would change the server).
    pub fn keeps_times(&self) -> bool {
        self.sessions.iter().any(|x| {
            x.xact_start != 0
                || x.idle_since != 0
                || x.waiting
                    .as_ref()
                    .is_some_and(|w| w.since != 0 || w.started != 0)
        })
    }
}

/// When an idle session's timeout ends it, if one is set for its state.
fn idle_deadline(x: &Session) -> Option<(u64, Due)> {
    if x.waiting.is_some() || x.closed || x.fatal.is_some() {
        return None;
    }
    let (timeout, fatal) = if x.tx == Tx::None {
        (x.settings.idle_session_timeout, Fatal::IdleSession)
    } else {
        (
            x.settings.idle_in_transaction_timeout,
            Fatal::IdleInTransaction,
        )
    };
    (timeout > 0).then(|| (x.idle_since + timeout, Due::Idle(fatal)))
}

/// The error a terminated session's next statement reads.
pub(super) fn fatal_error(f: Fatal) -> SqlError {
    let (code, message) = match f {
        Fatal::IdleInTransaction => (
            "25P03",
            "terminating connection due to idle-in-transaction timeout",
        ),
        Fatal::IdleSession => (
            "57P05",
            "terminating connection due to idle-session timeout",
        ),
    };
    let mut e = err(code, message);
    e.severity = "FATAL";
    e
}
