//! SERIALIZABLE: serializable snapshot isolation, as PostgreSQL 15's `predicate.c` does it.
//!
//! A SERIALIZABLE transaction is REPEATABLE READ (one snapshot, 40001 on a concurrent update)
//! plus a record ([`Sxact`]) of what it read and of the read/write dependencies between it and
//! other serializable transactions:
//! - **SIREAD locks** record reads. What a read locks follows PostgreSQL's plan for the small
//!   tables of lessons: a sequential scan locks the whole table; an index scan (a condition on
//!   the primary key's leading column, or ORDER BY it without WHERE) locks the index's one leaf
//!   page and each visible tuple it fetched — more than two tuple locks on a heap page become a
//!   lock on the page (`max_pred_locks_per_page`).
//! - **rw-conflicts** `R → W` ("R read what W wrote, without seeing it"): found when R reads a
//!   tuple W changed or inserted concurrently (conflict out), and when W writes what R holds a
//!   SIREAD lock on (conflict in: UPDATE/DELETE check the tuple, its page and the table; INSERT
//!   the table and the index page — also just before a unique violation).
//! - **Dangerous structures** `T0 → T1 → T2` where T2 committed first make one transaction
//!   fail with 40001 `could not serialize access due to read/write dependencies among
//!   transactions`: the one writing at once, another later (it is "doomed": its next read,
//!   write or its COMMIT fails), or the one committing. The checks are PostgreSQL's
//!   (`OnConflict_CheckForSerializationFailure`, `PreCommit_CheckForSerializationFailure`), with
//!   its commit sequence numbers, its read-only optimisations (a READ ONLY transaction that
//!   starts with no writable serializable transaction running, or that becomes safe, stops
//!   tracking), and its clean-up of committed transactions nobody running overlaps any more.
//!
//! Transactions at other levels take no SIREAD locks and create no conflicts, as in PostgreSQL
//! (so write skew between SERIALIZABLE and READ COMMITTED goes undetected).

use std::collections::BTreeSet;

use super::api::SessionId;
use super::error::{err, SqlError};
use super::eval::B;
use super::prepare::BinOp;
use super::state::{Db, ScanOrder, Sireads, Snap, Ssi, SxId, Sxact, Table};

use crate::value::Value;

/// How a statement reads a table, as PostgreSQL's planner picks it for lesson-sized tables.
pub(super) enum Access<'a> {
    /// A sequential scan: every tuple is examined; the table is locked.
    Seq,
    /// An index scan on the primary key: the tuples whose key passes `cond` (None: all of them)
    /// are fetched.
    Index(Option<&'a B>),
}

/// Which SIREAD locks a write checks.
#[derive(Clone, Copy)]
pub(super) enum WriteTarget<'a> {
    /// UPDATE or DELETE of this key's tuple: the tuple, the heap page, the table.
    Tuple(&'a [Value]),
    /// INSERT, heap side: the table.
    Relation,
    /// INSERT, index side: the primary key's leaf page.
    IndexPage,
}

fn failure(reason: &str) -> SqlError {
    err(
        "40001",
        "could not serialize access due to read/write dependencies among transactions",
    )
    .with_detail(format!("Reason code: {reason}."))
    .with_hint("The transaction might succeed if retried.")
}

/// How a statement with this WHERE (and, without WHERE, ORDER BY on the primary key) reads
/// `t`: an index scan when a condition on the primary key's leading column can use the index.
pub(super) fn access<'a>(t: &Table, filter: Option<&'a B>, ordered_by_pk: bool) -> Access<'a> {
    let Some(&lead) = t.pk.first() else {
        return Access::Seq;
    };
    match filter {
        None if ordered_by_pk => Access::Index(None),
        None => Access::Seq,
        Some(f) if indexable(f, lead) => Access::Index(Some(f)),
        Some(_) => Access::Seq,
    }
}

impl Access<'_> {
    /// The order this scan returns rows in: a condition on the key without ORDER BY on it is
    /// a bitmap index scan, which visits the heap in order.
    pub(super) fn order(&self, ordered_by_pk: bool) -> ScanOrder {
        match self {
            Access::Seq => ScanOrder::Heap,
            Access::Index(None) => ScanOrder::Key,
            Access::Index(Some(_)) if ordered_by_pk => ScanOrder::Key,
            Access::Index(Some(_)) => ScanOrder::Root,
        }
    }
}

/// Whether `b` fixes every primary-key column with `=` in a top-level conjunct (at most one
/// row matches).
pub(super) fn pins_key(t: &Table, b: &B) -> bool {
    !t.pk.is_empty() && t.pk.iter().all(|&c| pins_column(b, c))
}

fn pins_column(b: &B, c: usize) -> bool {
    match b {
        B::And(l, r) => pins_column(l, c) || pins_column(r, c),
        B::Cmp(BinOp::Eq, l, r) => {
            (is_col(l, c) && column_free(r)) || (is_col(r, c) && column_free(l))
        }
        _ => false,
    }
}

/// Whether some top-level conjunct of `b` is a btree condition on column `lead`.
fn indexable(b: &B, lead: usize) -> bool {
    match b {
        B::And(l, r) => indexable(l, lead) || indexable(r, lead),
        B::Or(l, r) => on_column(l, lead) && on_column(r, lead),
        other => on_column(other, lead),
    }
}

/// `lead op constant` (=, <, <=, >, >=) or an OR of such: what a btree index can answer.
fn on_column(b: &B, lead: usize) -> bool {
    match b {
        B::Or(l, r) => on_column(l, lead) && on_column(r, lead),
        B::And(l, r) => on_column(l, lead) && on_column(r, lead),
        B::Cmp(op, l, r) => {
            let ops = [BinOp::Eq, BinOp::Lt, BinOp::LtEq, BinOp::Gt, BinOp::GtEq];
            ops.contains(op)
                && ((is_col(l, lead) && column_free(r)) || (is_col(r, lead) && column_free(l)))
        }
        _ => false,
    }
}

fn is_col(b: &B, c: usize) -> bool {
    match b {
        B::Col(i) => *i == c,
        B::Cast(x, _, false) => is_col(x, c),
        _ => false,
    }
}

fn column_free(b: &B) -> bool {
    match b {
        B::Const(_) => true,
        B::Col(_) => false,
        B::Neg(x, _) | B::Not(x) | B::IsNull(x, _) | B::Cast(x, _, _) => column_free(x),
        B::Arith(_, l, r, _) | B::Concat(l, r) | B::Cmp(_, l, r) | B::And(l, r) | B::Or(l, r) => {
            column_free(l) && column_free(r)
        }
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

impl Db {
    /// At a SERIALIZABLE transaction's first query: its record. A READ ONLY one that starts
    /// while no writable serializable transaction runs needs none (it cannot be part of an
    /// anomaly), as in PostgreSQL.
    pub(super) fn ssi_begin(&mut self, s: SessionId, read_only: bool) {
        let ssi = &mut self.ssi;
        let writable: Vec<SxId> = ssi
            .xacts
            .iter()
            .filter(|(_, x)| x.committed.is_none() && !x.doomed && !x.read_only)
            .map(|(&id, _)| id)
            .collect();
        if read_only && writable.is_empty() {
            return;
        }
        let id = ssi.next_id;
        ssi.next_id += 1;
        ssi.xacts.insert(
            id,
            Sxact {
                session: s,
                read_only,
                before_snapshot: ssi.last_seq,
                ..Sxact::default()
            },
        );
        if read_only {
            ssi.unsafe_pairs
                .extend(writable.into_iter().map(|w| (id, w)));
        }
        self.sessions[s].sx = Some(id);
    }

    /// The serializable record `s` reads and writes under, if any; a READ ONLY one that
    /// became safe is dropped here (it needs no more tracking).
    fn tracked(&mut self, s: SessionId) -> Option<SxId> {
        let id = self.sessions.get(s)?.sx?;
        if self.ssi.xacts.get(&id).is_some_and(|x| x.ro_safe) {
            self.ssi_forget(id);
            self.sessions[s].sx = None;
            return None;
        }
        Some(id)
    }

    /// A read of table `ti` by `s`: SIREAD locks as the plan takes them, and a conflict out to
    /// every concurrent serializable writer of a tuple the scan examines.
    pub(super) fn ssi_read(
        &mut self,
        s: SessionId,
        ti: usize,
        access: Access<'_>,
    ) -> Result<(), SqlError> {
        let Some(me) = self.tracked(s) else {
            return Ok(());
        };
        if self.ssi.xacts[&me].doomed {
            return Err(failure(
                "Canceled on identification as a pivot, during conflict out checking",
            ));
        }
        let snap = match self.sessions[s].snapshot {
            Snap::At(x) => Some(x),
            _ => None,
        };
        let t = &self.tables[ti];
        let mut writers = BTreeSet::new();
        let mut fetched = Vec::new();
        for (key, slot) in &t.rows {
            let examined = match &access {
                Access::Seq => true,
                Access::Index(None) => true,
                Access::Index(Some(cond)) => key_passes(t, key, cond),
            };
            if !examined {
                continue;
            }
            writers.extend(slot.concurrent_writers(snap, s));
            let own = slot.pending.as_ref().is_some_and(|p| p.session == s);
            let visible = slot.visible(super::state::View {
                session: Some(s),
                snap,
            });
            if visible.is_some() && !own {
                fetched.push(key.clone());
            }
        }
        let locks = self.ssi.locks.entry((me, ti)).or_default();
        match access {
            Access::Seq => locks.relation = true,
            Access::Index(_) => {
                locks.index_page = true;
                for key in fetched {
                    locks.lock_tuple(key);
                }
            }
        }
        for w in writers {
            self.conflict_out(me, w)?;
        }
        Ok(())
    }

    /// PostgreSQL's CheckForSerializableConflictOut: reader `me` read around writer `w`.
    fn conflict_out(&mut self, me: SxId, w: SxId) -> Result<(), SqlError> {
        let ssi = &self.ssi;
        let (Some(mine), Some(theirs)) = (ssi.xacts.get(&me), ssi.xacts.get(&w)) else {
            return Ok(());
        };
        if me == w || theirs.doomed {
            return Ok(());
        }
        if mine.read_only
            && theirs.committed.is_some()
            && theirs.conflict_out.is_none_or(|c| mine.before_snapshot < c)
        {
            return Ok(());
        }
        let concurrent = theirs.committed.is_none_or(|c| c > mine.before_snapshot);
        if !concurrent || ssi.conflicts.contains(&(me, w)) {
            return Ok(());
        }
        self.flag_conflict(me, w, me)
    }

    /// A write by `s`: PostgreSQL's CheckForSerializableConflictIn on `target`.
    pub(super) fn ssi_write(
        &mut self,
        s: SessionId,
        ti: usize,
        target: WriteTarget<'_>,
    ) -> Result<(), SqlError> {
        let Some(me) = self.tracked(s) else {
            return Ok(());
        };
        if self.ssi.xacts[&me].doomed {
            return Err(failure(
                "Canceled on identification as a pivot, during conflict in checking",
            ));
        }
        if let Some(x) = self.ssi.xacts.get_mut(&me) {
            x.did_write = true;
        }
        let before = self.ssi.xacts[&me].before_snapshot;
        let holders: Vec<SxId> = self
            .ssi
            .locks
            .iter()
            .filter(|((r, t), l)| *r != me && *t == ti && l.covers(target))
            .map(|((r, _), _)| *r)
            .collect();
        if let (WriteTarget::Tuple(key), true) = (target, self.sessions[s].savepoints.is_empty()) {
            // A tuple one writes needs no SIREAD lock of one's own; not inside a subtransaction,
            // whose write lock a ROLLBACK TO may release (PostgreSQL's CheckTargetForConflictsIn).
            if let Some(own) = self.ssi.locks.get_mut(&(me, ti)) {
                own.tuples.remove(key);
            }
        }
        for r in holders {
            let Some(reader) = self.ssi.xacts.get(&r) else {
                continue;
            };
            let concurrent = reader.committed.is_none_or(|c| c > before);
            if !reader.doomed && concurrent && !self.ssi.conflicts.contains(&(r, me)) {
                self.flag_conflict(r, me, me)?;
            }
        }
        Ok(())
    }

    /// FlagRWConflict: checks for a dangerous structure (OnConflict_CheckForSerializationFailure),
    /// then records `reader → writer`. `me` is the transaction whose statement is running.
    fn flag_conflict(&mut self, reader: SxId, writer: SxId, me: SxId) -> Result<(), SqlError> {
        if self.dangerous(reader, writer) {
            let w = &self.ssi.xacts[&writer];
            if me == writer {
                return Err(failure(
                    "Canceled on identification as a pivot, during write",
                ));
            }
            if w.prepared.is_some() {
                return Err(failure(&format!(
                    "Canceled on conflict out to pivot {writer}, during read"
                )));
            }
            if let Some(w) = self.ssi.xacts.get_mut(&writer) {
                w.doomed = true;
            }
        }
        self.ssi.conflicts.insert((reader, writer));
        Ok(())
    }

    fn dangerous(&self, reader: SxId, writer: SxId) -> bool {
        let x = &self.ssi.xacts;
        let (Some(r), Some(w)) = (x.get(&reader), x.get(&writer)) else {
            return false;
        };
        if w.committed.is_some() && w.conflict_out.is_some() {
            return true;
        }
        let outs = self.ssi.conflicts.iter().filter(|(a, _)| *a == writer);
        for t2 in outs.filter_map(|(_, b)| x.get(b)) {
            let Some(p) = t2.prepared else { continue };
            if r.committed.is_none_or(|c| p <= c)
                && w.committed.is_none_or(|c| p <= c)
                && (!r.read_only || p <= r.before_snapshot)
            {
                return true;
            }
        }
        let Some(wp) = w.prepared else {
            return false;
        };
        if r.read_only {
            return false;
        }
        let ins = self.ssi.conflicts.iter().filter(|(_, b)| *b == reader);
        ins.filter_map(|(a, _)| x.get(a)).any(|t0| {
            !t0.doomed
                && t0.committed.is_none_or(|c| c >= wp)
                && (!t0.read_only || t0.before_snapshot >= wp)
        })
    }

    /// At COMMIT: PreCommit_CheckForSerializationFailure, then the commit numbers.
    pub(super) fn ssi_precommit(&mut self, s: SessionId) -> Result<(), SqlError> {
        let Some(me) = self.tracked(s) else {
            return Ok(());
        };
        if self.ssi.xacts[&me].doomed {
            return Err(failure(
                "Canceled on identification as a pivot, during commit attempt",
            ));
        }
        let x = &self.ssi.xacts;
        let near: Vec<SxId> = self
            .ssi
            .conflicts
            .iter()
            .filter(|(_, w)| *w == me)
            .map(|(r, _)| *r)
            .filter(|n| x.get(n).is_some_and(|n| n.committed.is_none() && !n.doomed))
            .collect();
        let pivots: Vec<SxId> = near
            .into_iter()
            .filter(|&n| {
                self.ssi.conflicts.iter().any(|&(f, w)| {
                    w == n
                        && (f == me
                            || x.get(&f).is_some_and(|f| {
                                f.committed.is_none() && !f.read_only && !f.doomed
                            }))
                })
            })
            .collect();
        for n in pivots {
            if let Some(n) = self.ssi.xacts.get_mut(&n) {
                n.doomed = true;
            }
        }
        self.ssi.last_seq += 1;
        let seq = self.ssi.last_seq;
        if let Some(x) = self.ssi.xacts.get_mut(&me) {
            x.prepared = Some(seq);
        }
        Ok(())
    }

    /// At the end of `s`'s transaction (PostgreSQL's ReleasePredicateLocks): a commit keeps
    /// the record and its SIREAD locks while overlapping transactions run; a rollback drops
    /// them. Then committed records nobody running overlaps are cleaned up.
    pub(super) fn ssi_end(&mut self, s: SessionId, commit: bool) {
        let Some(me) = self.sessions.get_mut(s).and_then(|x| x.sx.take()) else {
            return;
        };
        if !self.ssi.xacts.contains_key(&me) {
            return;
        }
        if commit {
            self.ssi_commit(me);
        } else {
            self.release_unsafe_pairs(me, false);
            self.ssi_forget(me);
        }
        self.ssi_clean_up();
    }

    fn ssi_commit(&mut self, me: SxId) {
        self.ssi.last_seq += 1;
        let seq = self.ssi.last_seq;
        let ssi = &mut self.ssi;
        let Some(x) = ssi.xacts.get_mut(&me) else {
            return;
        };
        x.committed = Some(seq);
        if x.prepared.is_none() {
            x.prepared = Some(seq);
        }
        if !x.did_write {
            x.read_only = true;
        }
        let read_only = x.read_only;
        let outs: Vec<SxId> = ssi
            .conflicts
            .iter()
            .filter(|(r, _)| *r == me)
            .map(|(_, w)| *w)
            .collect();
        let mut earliest = ssi.xacts[&me].conflict_out;
        for w in outs {
            let wx = &ssi.xacts[&w];
            if let (false, Some(p)) = (read_only, wx.prepared.filter(|_| wx.committed.is_some())) {
                earliest = Some(earliest.map_or(p, |e| e.min(p)));
            }
            if wx.committed.is_some() {
                ssi.conflicts.remove(&(me, w));
            }
        }
        let ins: Vec<SxId> = ssi
            .conflicts
            .iter()
            .filter(|(_, w)| *w == me)
            .map(|(r, _)| *r)
            .collect();
        for r in ins {
            let rx = &ssi.xacts[&r];
            if rx.committed.is_some() || rx.read_only {
                ssi.conflicts.remove(&(r, me));
            }
        }
        if let Some(x) = ssi.xacts.get_mut(&me) {
            x.conflict_out = earliest;
        }
        self.release_unsafe_pairs(me, true);
    }

    /// A writable transaction ended: each READ ONLY one that overlapped it is unsafe (it
    /// committed with a conflict out to a transaction committed before the read-only one's
    /// snapshot) or one step closer to safe.
    fn release_unsafe_pairs(&mut self, me: SxId, commit: bool) {
        let ssi = &mut self.ssi;
        let ros: Vec<SxId> = ssi
            .unsafe_pairs
            .iter()
            .filter(|(_, w)| *w == me)
            .map(|(ro, _)| *ro)
            .collect();
        let out = ssi.xacts.get(&me).and_then(|x| x.conflict_out);
        for ro in ros {
            let before = ssi.xacts.get(&ro).map_or(0, |x| x.before_snapshot);
            if commit && out.is_some_and(|c| c <= before) {
                ssi.unsafe_pairs.retain(|(r, _)| *r != ro);
            } else {
                ssi.unsafe_pairs.remove(&(ro, me));
                if !ssi.unsafe_pairs.iter().any(|(r, _)| *r == ro) {
                    if let Some(x) = ssi.xacts.get_mut(&ro) {
                        x.ro_safe = true;
                    }
                }
            }
        }
    }

    /// Drops a record with its locks and conflicts.
    fn ssi_forget(&mut self, id: SxId) {
        let ssi = &mut self.ssi;
        ssi.xacts.remove(&id);
        ssi.conflicts.retain(|&(a, b)| a != id && b != id);
        ssi.unsafe_pairs.retain(|&(a, b)| a != id && b != id);
        ssi.locks.retain(|&(x, _), _| x != id);
    }

    /// Committed records that every running serializable transaction saw committed (its
    /// snapshot is later) can no longer take part in a conflict: dropped.
    fn ssi_clean_up(&mut self) {
        let oldest_running = self
            .ssi
            .xacts
            .values()
            .filter(|x| x.committed.is_none())
            .map(|x| x.before_snapshot)
            .min();
        let done: Vec<SxId> = self
            .ssi
            .xacts
            .iter()
            .filter(|(_, x)| {
                x.committed
                    .is_some_and(|c| oldest_running.is_none_or(|o| c <= o))
            })
            .map(|(&id, _)| id)
            .collect();
        for id in done {
            self.ssi_forget(id);
        }
    }

    /// Tuple locks on versions a commit replaced are dead (they still count for promotion).
    pub(super) fn ssi_new_version(&mut self, ti: usize, key: &[Value]) {
        for ((_, t), l) in self.ssi.locks.iter_mut() {
            if *t == ti && l.tuples.remove(key) {
                l.dead += 1;
            }
        }
    }
}

impl Sireads {
    fn lock_tuple(&mut self, key: Vec<Value>) {
        if self.relation || self.heap_page || self.tuples.contains(&key) {
            return;
        }
        self.tuples.insert(key);
        if self.tuples.len() + self.dead as usize > 2 {
            self.heap_page = true;
            self.tuples.clear();
            self.dead = 0;
        }
    }

    fn covers(&self, target: WriteTarget<'_>) -> bool {
        match target {
            WriteTarget::Tuple(key) => self.relation || self.heap_page || self.tuples.contains(key),
            WriteTarget::Relation => self.relation,
            WriteTarget::IndexPage => self.index_page,
        }
    }
}

/// Whether `key` passes the index condition `cond` (evaluated on a row holding only the key).
fn key_passes(t: &Table, key: &[Value], cond: &B) -> bool {
    let mut row = vec![Value::Null; t.columns.len()];
    for (&c, v) in t.pk.iter().zip(key) {
        row[c] = v.clone();
    }
    index_part(cond, t.pk[0])
        .is_none_or(|b| super::eval::eval(&b, &row).is_ok_and(|v| super::eval::truthy(&v)))
}

/// The part of a WHERE the index answers: its conjuncts on the leading key column.
fn index_part(b: &B, lead: usize) -> Option<B> {
    match b {
        B::And(l, r) => match (index_part(l, lead), index_part(r, lead)) {
            (Some(a), Some(b)) => Some(B::And(Box::new(a), Box::new(b))),
            (a, b) => a.or(b),
        },
        other if on_column(other, lead) => Some(other.clone()),
        _ => None,
    }
}

impl Db {
    /// Renumbers transaction ids (0, 1, ... in creation order) and sequence numbers (keeping
    /// only their order), and forgets ids of records that are gone: two servers whose
    /// serializable bookkeeping differs only in numbering are equal.
    pub(super) fn normalize_ssi(&mut self) {
        if self.ssi.xacts.is_empty() {
            // Nothing serializable is running or remembered (the common case): only stale
            // writer ids on versions can be left.
            if self.ssi != Ssi::default() {
                self.ssi = Ssi::default();
            }
            for slot in self.tables.iter_mut().flat_map(|t| t.rows.values_mut()) {
                for v in slot.versions.iter_mut().filter(|v| !v.sx.is_empty()) {
                    v.sx.clear();
                }
                if let Some(p) = slot.pending.as_mut() {
                    p.sx = None;
                }
            }
            for s in &mut self.sessions {
                s.sx = None;
            }
            return;
        }
        let ids: Vec<SxId> = self.ssi.xacts.keys().copied().collect();
        let id = |x: SxId| ids.binary_search(&x).ok().map(|i| i as SxId);
        let mut seqs: Vec<u64> = vec![self.ssi.last_seq];
        for x in self.ssi.xacts.values() {
            seqs.extend(
                [x.prepared, x.committed, x.conflict_out]
                    .into_iter()
                    .flatten(),
            );
            seqs.push(x.before_snapshot);
        }
        seqs.sort_unstable();
        seqs.dedup();
        let seq = |v: u64| seqs.partition_point(|&w| w < v) as u64;
        let ssi = std::mem::take(&mut self.ssi);
        self.ssi = Ssi {
            xacts: ssi
                .xacts
                .into_iter()
                .filter_map(|(k, mut x)| {
                    x.prepared = x.prepared.map(seq);
                    x.committed = x.committed.map(seq);
                    x.conflict_out = x.conflict_out.map(seq);
                    x.before_snapshot = seq(x.before_snapshot);
                    Some((id(k)?, x))
                })
                .collect(),
            conflicts: renumber_pairs(ssi.conflicts, &id),
            unsafe_pairs: renumber_pairs(ssi.unsafe_pairs, &id),
            locks: ssi
                .locks
                .into_iter()
                .filter_map(|((k, t), l)| Some(((id(k)?, t), l)))
                .collect(),
            last_seq: seq(ssi.last_seq),
            next_id: ids.len() as SxId,
        };
        for s in &mut self.sessions {
            s.sx = s.sx.and_then(id);
            let befores = s
                .savepoints
                .iter_mut()
                .flat_map(|sp| sp.before.values_mut());
            for p in befores.filter_map(|b| b.pending.as_mut()) {
                p.sx = p.sx.and_then(id);
            }
        }
        for slot in self.tables.iter_mut().flat_map(|t| t.rows.values_mut()) {
            for v in &mut slot.versions {
                v.sx = v.sx.iter().filter_map(|&x| id(x)).collect();
            }
            if let Some(p) = slot.pending.as_mut() {
                p.sx = p.sx.and_then(id);
            }
        }
    }
}

fn renumber_pairs(
    pairs: BTreeSet<(SxId, SxId)>,
    id: &impl Fn(SxId) -> Option<SxId>,
) -> BTreeSet<(SxId, SxId)> {
    pairs
        .into_iter()
        .filter_map(|(a, b)| Some((id(a)?, id(b)?)))
        .collect()
}
