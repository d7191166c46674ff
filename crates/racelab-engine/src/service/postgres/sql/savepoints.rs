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
use super::state::{Db, RowBefore, Savepoint, Tx};
use crate::value::Value;

/// Rows as a session had them before a subtransaction, keyed by table index and key.
type Befores = BTreeMap<(usize, Vec<Value>), RowBefore>;

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
            read_only: x.read_only,
            before: BTreeMap::new(),
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
        let merged = merge(x.savepoints.drain(at..));
        if let Some(enclosing) = x.savepoints.last_mut() {
            for (k, b) in merged {
                enclosing.before.entry(k).or_insert(b);
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
        let later: Vec<Savepoint> = x.savepoints.drain(at + 1..).collect();
        let merged = merge(later.into_iter());
        let sp = &mut x.savepoints[at];
        let mut all = std::mem::take(&mut sp.before);
        for (k, b) in merged {
            all.entry(k).or_insert(b);
        }
        x.settings = sp.settings;
        x.read_only = sp.read_only;
        x.tx = Tx::Active;
        let released = self.restore_rows(s, all, touches);
        Ok((tag_only("ROLLBACK"), released))
    }

    /// An error inside a savepoint: the innermost subtransaction aborts (its rows are put back
    /// and its locks released now); the savepoint stays for ROLLBACK TO.
    pub(super) fn abort_subtransaction(&mut self, s: SessionId) -> Vec<SessionId> {
        let Some(sp) = self.sessions[s].savepoints.last_mut() else {
            return Vec::new();
        };
        let before = std::mem::take(&mut sp.before);
        let (settings, read_only) = (sp.settings, sp.read_only);
        let x = &mut self.sessions[s];
        x.settings = settings;
        x.read_only = read_only;
        let mut ignored = BTreeSet::new();
        self.restore_rows(s, before, &mut ignored)
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
            if b.pending.is_some() || slot.pending.as_ref().is_some_and(|p| p.session == s) {
                slot.pending = b.pending;
            }
            if let Some(lock) = slot.lock.as_mut() {
                match b.mode {
                    None => lock.holders.retain(|&(h, _)| h != s),
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
        released
    }
}

/// The rows of several consecutive savepoints, oldest first, as they were before the first:
/// for a row several of them touched, the oldest record wins.
fn merge(levels: impl Iterator<Item = Savepoint>) -> Befores {
    let mut out = Befores::new();
    for sp in levels {
        for (k, b) in sp.before {
            out.entry(k).or_insert(b);
        }
    }
    out
}
