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
use super::prepare::Isolation;

use super::state::{
    Db, LockMode, Pending, Place, ScanOrder, Slot, Snap, SxId, Table, Version, View,
};
use crate::value::Value;

impl Table {
    /// The rows `view` sees, in the order a scan of this kind returns them.
    pub(super) fn scan(
        &self,
        view: View,
        order: ScanOrder,
    ) -> Vec<(&Vec<Value>, &Vec<Value>, u32)> {
        let mut rows: Vec<_> = self
            .rows
            .iter()
            .flat_map(|(k, slot)| {
                let older = slot.shadowed(view);
                let seen = slot.visible_place(view);
                older
                    .into_iter()
                    .chain(seen)
                    .map(move |(v, g, p)| (k, v, g, p))
            })
            .collect();
        match order {
            ScanOrder::Key => {}
            ScanOrder::Root => rows.sort_by_key(|r| r.3.root),
            ScanOrder::Heap => rows.sort_by_key(|r| r.3.pos),
        }
        rows.into_iter().map(|(k, v, g, _)| (k, v, g)).collect()
    }

    /// Takes the next heap position.
    pub(super) fn take_pos(&mut self) -> u32 {
        let pos = self.next_pos;
        self.next_pos = pos.saturating_add(1);
        pos
    }

    /// Renumbers the heap positions densely, keeping their order.
    fn normalize_places(&mut self) {
        let mut all: Vec<u32> = self
            .rows
            .values()
            .flat_map(|slot| {
                let versions = slot.versions.iter().map(|v| v.place);
                versions.chain(slot.pending.as_ref().map(|p| p.place))
            })
            .flat_map(|p| [p.pos, p.root])
            .collect();
        all.sort_unstable();
        all.dedup();
        let rank = |x: u32| u32::try_from(all.partition_point(|&y| y < x)).unwrap_or(u32::MAX);
        for slot in self.rows.values_mut() {
            let pending = slot.pending.as_mut().map(|p| &mut p.place);
            for place in slot
                .versions
                .iter_mut()
                .map(|v| &mut v.place)
                .chain(pending)
            {
                place.pos = rank(place.pos);
                place.root = rank(place.root);
            }
        }
        self.next_pos = u32::try_from(all.len()).unwrap_or(u32::MAX);
    }
}

impl Slot {
    /// The version `view` sees: its session's uncommitted one, else the newest committed one
    /// its snapshot includes. None: no row (not yet inserted, or deleted, for this view).
    pub(super) fn visible(&self, view: View) -> Option<&Vec<Value>> {
        self.visible_gen(view).map(|(v, _)| v)
    }

    /// [`Slot::visible`] with the version's tuple generation.
    pub(super) fn visible_gen(&self, view: View) -> Option<(&Vec<Value>, u32)> {
        self.visible_place(view).map(|(v, g, _)| (v, g))
    }

    /// A snapshot's version of an earlier tuple of the key that this session's own new tuple
    /// (an INSERT after a committed DELETE the snapshot does not see) does not replace:
    /// PostgreSQL shows both rows.
    pub(super) fn shadowed(&self, view: View) -> Option<(&Vec<Value>, u32, Place)> {
        let own = self
            .pending
            .as_ref()
            .filter(|p| Some(p.session) == view.session)?;
        view.snap?;
        let old = self.version_at(view.snap)?;
        let values = old.values.as_ref()?;
        // Only a deletion another transaction committed after the snapshot leaves the old row
        // in it (this transaction's own DELETE before its INSERT removed it).
        let deleted_since = self.versions.last().is_some_and(|v| !std::ptr::eq(v, old));
        (deleted_since && old.gen != own.gen).then_some((values, old.gen, old.place))
    }

    /// [`Slot::visible_gen`] with the version's heap place.
    pub(super) fn visible_place(&self, view: View) -> Option<(&Vec<Value>, u32, Place)> {
        match &self.pending {
            Some(p) if Some(p.session) == view.session => {
                p.values.as_ref().map(|v| (v, p.gen, p.place))
            }
            _ => self
                .version_at(view.snap)
                .and_then(|v| v.values.as_ref().map(|x| (x, v.gen, v.place))),
        }
    }

    /// The committed version a snapshot sees (None: the newest).
    fn version_at(&self, snap: Option<u64>) -> Option<&Version> {
        match snap {
            None => self.versions.last(),
            Some(s) => self.versions.iter().rev().find(|v| v.stamp <= s),
        }
    }

    /// The SERIALIZABLE transactions whose writes of this row a reader (session `me`, snapshot
    /// `snap`) does not see: the writers of committed versions newer than its snapshot, and
    /// another session's uncommitted writer.
    pub(super) fn concurrent_writers(&self, snap: Option<u64>, me: SessionId) -> Vec<SxId> {
        let newer = self
            .versions
            .iter()
            .filter(|v| snap.is_some_and(|s| v.stamp > s))
            .flat_map(|v| v.sx.iter().copied());
        let pending = self
            .pending
            .as_ref()
            .filter(|p| p.session != me)
            .and_then(|p| p.sx);
        newer.chain(pending).collect()
    }

    /// The generation an INSERT of this key starts: the next one after any the slot has.
    pub(super) fn next_gen(&self) -> u32 {
        let latest = self
            .pending
            .as_ref()
            .map(|p| p.gen)
            .into_iter()
            .chain(self.versions.iter().map(|v| v.gen))
            .max();
        latest.map_or(0, |g| g + 1)
    }

    /// The newest committed values (None: never committed, or deleted).
    pub(super) fn committed(&self) -> Option<&Vec<Value>> {
        self.versions.last().and_then(|v| v.values.as_ref())
    }

    /// FOR KEY SHARE of the version of generation `gen` read at stamp `read_at`: every change
    /// committed since is an update that left the key alone and did not hold FOR UPDATE, so
    /// PostgreSQL locks the version read (and returns it) instead of reporting the update.
    pub(super) fn key_share_passes(&self, read_at: u64, gen: u32) -> bool {
        let mut since = self
            .versions
            .iter()
            .filter(|v| v.stamp > read_at)
            .peekable();
        since.peek().is_some()
            && since.all(|v| v.values.is_some() && v.updated && !v.strong && v.gen == gen)
    }

    /// Whether a transaction committed after snapshot `snap` changed the row: Some(true) if it
    /// deleted it, Some(false) if it updated it, None if not.
    pub(super) fn changed_since(&self, snap: u64) -> Option<bool> {
        // The first change after the snapshot decides: an update (even one its transaction
        // then deleted), or a deletion (a re-insert of the key is a new tuple: for the version
        // the snapshot saw, a deletion).
        self.versions
            .iter()
            .find(|v| v.stamp > snap)
            .map(|v| !v.updated)
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
        self.note_before(s, table, key);
        let held_for_update = self.tables[table]
            .rows
            .get(key)
            .and_then(|slot| slot.lock.as_ref())
            .is_some_and(|l| l.holders.contains(&(s, LockMode::Update)));
        self.lock_row(s, table, key, mode);
        let sx = self.sessions[s].sx;
        let t = &mut self.tables[table];
        // An UPDATE writes a new tuple at the end of the heap; a DELETE writes none.
        let pos = values.is_some().then(|| t.take_pos());
        touches.insert(Touch::WriteRow {
            table: t.name.clone(),
            key: t.key_string(key),
        });
        if let Some(slot) = t.rows.get_mut(key) {
            let own = View {
                session: Some(s),
                snap: None,
            };
            let (gen, seen) = slot
                .visible_place(own)
                .map_or((0, Place::default()), |(_, g, p)| (g, p));
            let place = match pos {
                Some(pos) => Place {
                    pos,
                    root: seen.root,
                },
                None => seen,
            };
            // An UPDATE, or a DELETE after this transaction's own UPDATE, replaces the committed
            // version by an update (what PostgreSQL's update chain says to later writers).
            let (updated, strong_before) = match &slot.pending {
                Some(p) if p.session == s => (p.updated, p.strong),
                _ => (values.is_some(), false),
            };
            let strong = strong_before || held_for_update || values.is_none();
            slot.pending = Some(Pending {
                session: s,
                values,
                gen,
                sx,
                updated,
                strong,
                place,
            });
        }
    }
}

impl Db {
    /// What session `s`'s next statement sees.
    pub(super) fn view(&self, s: SessionId) -> View {
        View {
            session: Some(s),
            snap: match self.sessions.get(s).map(|x| x.snapshot) {
                Some(Snap::At(stamp)) => Some(stamp),
                _ => None,
            },
        }
    }

    /// The commit stamp `s`'s statement reads at: its transaction's snapshot, or (READ
    /// COMMITTED) every commit so far.
    pub(super) fn read_stamp(&self, s: SessionId) -> u64 {
        self.view(s).snap.unwrap_or(self.commits)
    }

    /// Takes `s`'s snapshot if its transaction has none yet: REPEATABLE READ keeps the commit
    /// stamp of now for the whole transaction; READ COMMITTED only notes that a statement ran.
    pub(super) fn take_snapshot(&mut self, s: SessionId) {
        let commits = self.commits;
        let session = &mut self.sessions[s];
        if session.snapshot == Snap::None {
            session.snapshot = if session.isolation.keeps_snapshot() {
                Snap::At(commits)
            } else {
                Snap::PerStatement
            };
            if session.isolation == Isolation::Serializable {
                let read_only = session.read_only;
                self.ssi_begin(s, read_only);
            }
        }
    }

    /// The stamps versions are seen at: transaction snapshots, and the stamps waiting
    /// statements read their rows at (what changed since matters to FOR KEY SHARE).
    fn read_stamps(&mut self) -> impl Iterator<Item = &mut u64> {
        self.sessions.iter_mut().flat_map(|s| {
            let snap = match &mut s.snapshot {
                Snap::At(x) => Some(x),
                _ => None,
            };
            let read = s
                .waiting
                .as_mut()
                .and_then(|w| w.progress.as_mut())
                .filter(|p| !p.todo.is_empty())
                .map(|p| &mut p.read_at);
            snap.into_iter().chain(read)
        })
    }

    /// Forgets what no snapshot can see any more and renumbers the commit stamps, keeping only
    /// what visibility depends on: versions that every live snapshot sees the same way
    /// collapse into the newest of them, a deletion every snapshot sees goes away, an empty
    /// slot is removed, and stamps and snapshots are renumbered densely. Two servers that
    /// differ only in their history then compare (and hash) equal.
    pub(super) fn normalize(&mut self) {
        let mut snaps: Vec<u64> = self.read_stamps().map(|x| *x).collect();
        snaps.sort_unstable();
        snaps.dedup();
        // A stamp's class: how many live snapshots are older than it. Version `c` is visible
        // to snapshot `s_j` (the j-th, from 0) exactly when class(c) <= j.
        let class = |c: u64| snaps.partition_point(|&s| s < c) as u64;
        for t in &mut self.tables {
            t.rows.retain(|_, slot| {
                let mut kept: Vec<Version> = Vec::new();
                for mut v in std::mem::take(&mut slot.versions) {
                    v.stamp = class(v.stamp);
                    if let Some(k) = kept.pop_if(|k| k.stamp == v.stamp) {
                        // Merged: the writers of both stay known (for conflicts out), and
                        // how the first of them replaced the version before.
                        v.updated = k.updated;
                        v.strong |= k.strong;
                        v.sx.extend(k.sx);
                        v.sx.sort_unstable();
                        v.sx.dedup();
                    }
                    kept.push(v);
                }
                if kept
                    .first()
                    .is_some_and(|v| v.stamp == 0 && v.values.is_none())
                {
                    kept.remove(0);
                }
                slot.versions = kept;
                !(slot.versions.is_empty() && slot.pending.is_none() && slot.lock.is_none())
            });
            t.normalize_places();
        }
        for x in self.read_stamps() {
            *x = snaps.partition_point(|&y| y < *x) as u64;
        }
        // Then number the stamps that remain 1, 2, ... and move each snapshot to the number of
        // stamps it sees: snapshots that see the same versions become equal.
        let mut stamps: Vec<u64> = self
            .tables
            .iter()
            .flat_map(|t| t.rows.values())
            .flat_map(|slot| slot.versions.iter().map(|v| v.stamp))
            .collect();
        stamps.sort_unstable();
        stamps.dedup();
        let seen = |x: u64| stamps.partition_point(|&w| w <= x) as u64;
        for slot in self.tables.iter_mut().flat_map(|t| t.rows.values_mut()) {
            for v in &mut slot.versions {
                v.stamp = seen(v.stamp);
            }
        }
        for x in self.read_stamps() {
            *x = seen(*x);
        }
        self.commits = stamps.len() as u64;
        let mut orders: Vec<u64> = self
            .sessions
            .iter()
            .filter_map(|x| x.waiting.as_ref().map(|w| w.order))
            .collect();
        orders.sort_unstable();
        for w in self.sessions.iter_mut().filter_map(|x| x.waiting.as_mut()) {
            w.order = orders.partition_point(|&o| o < w.order) as u64;
        }
        self.waits = orders.len() as u64;
        self.normalize_ssi();
    }
}
