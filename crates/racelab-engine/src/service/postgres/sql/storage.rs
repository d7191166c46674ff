//! Storage: row versions, uncommitted writes, and what a session sees.
//!
//! Storage model. Every row is a [`Slot`] keyed by its primary-key values (tables without a
//! primary key are allowed; their rows are keyed by an internal counter and displayed like a
//! ctid, `(0,1)`, `(0,2)`, ...). A slot holds the latest committed version, at most one
//! uncommitted version (the writer holds the row's lock, so there can be only one), and the
//! row lock with its FIFO queue of waiting sessions. Rows inserted by an open transaction
//! carry that transaction's lock too: it is what a conflicting INSERT waits on (PostgreSQL waits
//! on the inserting transaction; same effect).

use std::collections::BTreeSet;

use super::api::{SessionId, Touch};
use super::state::{Db, LockMode, Pending, Slot, Table};
use crate::value::Value;

impl Table {
    pub(super) fn visible(
        &self,
        viewer: Option<SessionId>,
    ) -> impl Iterator<Item = (&Vec<Value>, &Vec<Value>)> + '_ {
        self.rows
            .iter()
            .filter_map(move |(k, slot)| slot.visible(viewer).map(|v| (k, v)))
    }
}

impl Slot {
    pub(super) fn visible(&self, viewer: Option<SessionId>) -> Option<&Vec<Value>> {
        match &self.pending {
            Some(p) if Some(p.session) == viewer => p.values.as_ref(),
            _ => self.committed.as_ref(),
        }
    }
}

impl Db {
    /// Puts back the session's previous uncommitted versions of the rows a failed statement
    /// changed (the caller then aborts the transaction, which releases the locks).
    pub(super) fn undo(&mut self, table: usize, undo: &[(Vec<Value>, Option<Pending>)]) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        for (key, before) in undo.iter().rev() {
            if let Some(slot) = t.rows.get_mut(key) {
                slot.pending = before.clone();
            }
        }
    }

    /// Records `s`'s uncommitted new version (None = deleted) of a row, taking its lock.
    pub(super) fn write(
        &mut self,
        s: SessionId,
        table: usize,
        key: &[Value],
        values: Option<Vec<Value>>,
        mode: LockMode,
        touches: &mut BTreeSet<Touch>,
    ) {
        self.lock_row(s, table, key, mode);
        let t = &mut self.tables[table];
        touches.insert(Touch::WriteRow {
            table: t.name.clone(),
            key: t.key_string(key),
        });
        if let Some(slot) = t.rows.get_mut(key) {
            slot.pending = Some(Pending { session: s, values });
        }
    }
}
