//! Savepoints: PostgreSQL's subtransactions.
//!
//! `SAVEPOINT name` opens a subtransaction; the session's rows then carry, per savepoint, the
//! state they had when the session first wrote or locked them after it began ([`Savepoint`]:
//! the session's uncommitted version and its lock mode). `ROLLBACK TO name` puts those rows
//! back as they were: the writes made since are undone and the row locks taken since are
//! released, or brought back to their earlier strength (FOR SHARE upgraded to FOR UPDATE goes
//! back to FOR SHARE), and the waiters they free run at once, as in PostgreSQL; it keeps the
//! savepoint, destroys the later ones, restores the settings of its start, and leaves the
//! aborted state. `RELEASE name` merges the savepoint and the later ones into the enclosing
//! level. An error inside a savepoint aborts only the innermost subtransaction: its rows are
//! put back at once (writes gone, locks released) and the block waits for ROLLBACK TO.
//!
//! Snapshots do not change (REPEATABLE READ keeps its snapshot). SERIALIZABLE's SIREAD locks
//! and rw-conflicts belong to the top-level transaction and survive a rolled-back
//! subtransaction, as in PostgreSQL (`predicate.c`); only the release of a SIREAD tuple lock
//! on a tuple one writes waits for the top level (see `ssi_write`).

use std::collections::{BTreeMap, BTreeSet};

use super::api::{tag_only, QueryResult, SessionId, Touch};
use super::error::{err, SqlError};
use super::state::{AdvisoryKey, Db, RowBefore, Savepoint, Tx, WaitOn};
use crate::value::Value;

/// Rows as a session had them before a subtransaction, keyed by table index and key.
type Befores = BTreeMap<(usize, Vec<Value>), RowBefore>;

/// Transaction-level advisory holds as a session had them before a subtransaction.
type Advisories = BTreeMap<(AdvisoryKey, bool), u32>;

fn outside_block(command: &str) -> SqlError {
    err(
        "25P01",
        format!("{command} can only be used in transaction blocks"),
    )
}

fn no_such_savepoint(name: &str) -> SqlError {
    err("3B001", format!("savepoint \"{name}\" does not exist"))
}

impl Db {
    /// Before `s` writes or locks a row: inside a savepoint, remember how `s` had the row, if
    /// this is its first change since the innermost savepoint began.
    pub(super) fn note_before(&mut self, s: SessionId, table: usize, key: &[Value]) {
        let has = |sp: &Savepoint| sp.before.contains_key(&(table, key.to_vec()));
        match self.sessions.get(s).and_then(|x| x.savepoints.last()) {
            Some(sp) if !has(sp) => {}
            _ => return,
        }
        let slot = self.tables.get(table).and_then(|t| t.rows.get(key));
        let before = RowBefore {
            pending: slot
                .and_then(|sl| sl.pending.clone())
                .filter(|p| p.session == s),
            mode: slot
                .and_then(|sl| sl.lock.as_ref())
                .and_then(|l| l.holders.iter().find(|&&(h, _)| h == s))
                .map(|&(_, m)| m),
        };
        if let Some(sp) = self.sessions[s].savepoints.last_mut() {
            sp.before.insert((table, key.to_vec()), before);
        }
    }

    /// SAVEPOINT name.
    pub(super) fn savepoint(&mut self, s: SessionId, name: &str) -> Result<QueryResult, SqlError> {
        let x = &mut self.sessions[s];
        if x.tx == Tx::None {
            return Err(outside_block("SAVEPOINT"));
        }
        x.savepoints.push(Savepoint {
            name: name.to_string(),
            settings: x.settings,
            local: x.local,
            read_only: x.read_only,
            before: BTreeMap::new(),
            advisory: BTreeMap::new(),
        });
        Ok(tag_only("SAVEPOINT"))
    }

    /// RELEASE [SAVEPOINT] name: the newest savepoint of that name and every later one end;
    /// their work joins the enclosing level.
    pub(super) fn release(&mut self, s: SessionId, name: &str) -> Result<QueryResult, SqlError> {
        let x = &mut self.sessions[s];
        if x.tx == Tx::None {
            return Err(outside_block("RELEASE SAVEPOINT"));
        }
        let Some(at) = x.savepoints.iter().rposition(|sp| sp.name == name) else {
            return Err(no_such_savepoint(name));
        };
        let (rows, advisory) = merge(x.savepoints.drain(at..));
        if let Some(enclosing) = x.savepoints.last_mut() {
            for (k, b) in rows {
                enclosing.before.entry(k).or_insert(b);
            }
            for (k, n) in advisory {
                enclosing.advisory.entry(k).or_insert(n);
            }
        }
        Ok(tag_only("RELEASE"))
    }

    /// ROLLBACK TO [SAVEPOINT] name (also in an aborted block). Returns the result and the
    /// sessions that waited on the locks it released.
    pub(super) fn rollback_to(
        &mut self,
        s: SessionId,
        name: &str,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<(QueryResult, Vec<SessionId>), SqlError> {
        touches.insert(Touch::Transaction { session: s });
        let x = &mut self.sessions[s];
        if x.tx == Tx::None {
            return Err(outside_block("ROLLBACK TO SAVEPOINT"));
        }
        let Some(at) = x.savepoints.iter().rposition(|sp| sp.name == name) else {
            return Err(no_such_savepoint(name));
        };
        let later: Vec<Savepoint> = x.savepoints.drain(at..).collect();
        let (rows, advisory) = merge(later.iter().cloned());
        let sp = &later[0];
        x.savepoints.push(Savepoint {
            before: BTreeMap::new(),
            advisory: BTreeMap::new(),
            ..sp.clone()
        });
        x.settings = sp.settings;
        x.local = sp.local;
        x.read_only = sp.read_only;
        x.tx = Tx::Active;
        let mut released = self.restore_rows(s, rows, touches);
        released.extend(self.advisory_restore(s, advisory, touches));
        Ok((tag_only("ROLLBACK"), released))
    }

    /// An error inside a savepoint: the innermost subtransaction aborts (its rows are put back
    /// and its locks released now); the savepoint stays for ROLLBACK TO.
    pub(super) fn abort_subtransaction(&mut self, s: SessionId) -> Vec<SessionId> {
        let Some(sp) = self.sessions[s].savepoints.last_mut() else {
            return Vec::new();
        };
        let before = std::mem::take(&mut sp.before);
        let advisory = std::mem::take(&mut sp.advisory);
        let (settings, local, read_only) = (sp.settings, sp.local, sp.read_only);
        let x = &mut self.sessions[s];
        x.settings = settings;
        x.local = local;
        x.read_only = read_only;
        let mut ignored = BTreeSet::new();
        let mut released = self.restore_rows(s, before, &mut ignored);
        released.extend(self.advisory_restore(s, advisory, &mut ignored));
        released
    }

    /// Puts rows back as `s` had them: its uncommitted versions and its lock modes. Returns
    /// the waiters this frees, in retry order.
    fn restore_rows(
        &mut self,
        s: SessionId,
        before: Befores,
        touches: &mut BTreeSet<Touch>,
    ) -> Vec<SessionId> {
        let mut released = Vec::new();
        let mut undone = BTreeSet::new();
        for ((ti, key), b) in before {
            let Some(t) = self.tables.get_mut(ti) else {
                continue;
            };
            touches.insert(Touch::WriteRow {
                table: t.name.clone(),
                key: t.key_string(&key),
            });
            let Some(slot) = t.rows.get_mut(&key) else {
                continue;
            };
            let mine = slot.pending.as_ref().filter(|p| p.session == s);
            if b.pending.is_some() || mine.is_some() {
                if mine != b.pending.as_ref() {
                    undone.insert((ti, key.clone()));
                }
                slot.pending = b.pending;
            }
            if let Some(lock) = slot.lock.as_mut() {
                match b.mode {
                    None => {
                        lock.holders.retain(|&(h, _)| h != s);
                        lock.early.retain(|&h| h != s);
                    }
                    Some(mode) => lock.grant_exactly(s, mode),
                }
                released.extend(lock.free_waiters());
                if lock.holders.is_empty() {
                    slot.lock = None;
                }
            }
            if slot.versions.is_empty() && slot.pending.is_none() && slot.lock.is_none() {
                t.rows.remove(&key);
            }
        }
        // INSERTs waiting for the subtransaction that wrote one of those rows (PostgreSQL waits
        // on the writer's subtransaction id), in the order they began waiting: they check again.
        let mut on_tx: Vec<(u64, SessionId)> = self
            .sessions
            .iter()
            .enumerate()
            .filter_map(|(w, x)| {
                let wt = x.waiting.as_ref().filter(|wt| wt.on_tx == Some(s))?;
                match &wt.on {
                    WaitOn::Row { table, key, .. } => undone
                        .contains(&(*table, key.clone()))
                        .then_some((wt.order, w)),
                    WaitOn::Advisory { .. } => None,
                }
            })
            .collect();
        on_tx.sort_unstable();
        released.extend(on_tx.into_iter().map(|(_, w)| w));
        released
    }
}

/// The rows (and transaction-level advisory holds) of several consecutive savepoints, oldest
/// first, as they were before the first: for one several of them touched, the oldest record
/// wins.
fn merge(levels: impl Iterator<Item = Savepoint>) -> (Befores, Advisories) {
    let mut rows = Befores::new();
    let mut advisory = Advisories::new();
    for sp in levels {
        for (k, b) in sp.before {
            rows.entry(k).or_insert(b);
        }
        for (k, n) in sp.advisory {
            advisory.entry(k).or_insert(n);
        }
    }
    (rows, advisory)
}
