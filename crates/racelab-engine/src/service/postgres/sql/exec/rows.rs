//! UPDATE, DELETE, and the row-by-row processing they share with SELECT … FOR UPDATE: each row
//! is re-read (EvalPlanQual), locked and changed when reached, and a row another transaction
//! holds makes the statement wait there with its [`Progress`].

use std::collections::BTreeSet;

use super::outcome::{project, with_returning, Outcome};
use crate::sql::api::{SessionId, Touch};
use crate::sql::bind::assign;
use crate::sql::bind::Scope;
use crate::sql::error::{err, SqlError};
use crate::sql::eval::{eval, truthy, B};
use crate::sql::locks::conflicts;
use crate::sql::prepare::{Delete, Expr, LockWait, Update};
use crate::sql::ssi::{access, WriteTarget};
use crate::sql::state::{Db, KeyedRow, LockMode, Progress, Table, View};
use crate::sql::types::store;
use crate::value::Value;

/// What a row-by-row scan does to each row it reaches.
pub(in crate::service::postgres::sql) enum RowAction<'a> {
    /// SELECT … FOR UPDATE / FOR SHARE: lock the row in `mode`; at a row another transaction
    /// holds, wait, fail (NOWAIT) or skip it (SKIP LOCKED).
    Lock {
        mode: LockMode,
        wait: LockWait,
    },
    Update(&'a [(usize, B)]),
    Delete,
}

impl RowAction<'_> {
    /// The row-lock mode the action takes: an UPDATE takes FOR NO KEY UPDATE (it never changes
    /// a key column: the simulator refuses that), a DELETE FOR UPDATE.
    pub(in crate::service::postgres::sql) fn mode(&self) -> LockMode {
        match self {
            RowAction::Lock { mode, .. } => *mode,
            RowAction::Update(_) => LockMode::NoKeyUpdate,
            RowAction::Delete => LockMode::Update,
        }
    }

    /// REPEATABLE READ's error for a row changed (`deleted`: deleted) by a transaction that
    /// committed after the snapshot. Worded as PostgreSQL 15 words it: a locking SELECT always
    /// says "update".
    fn serialization_failure(&self, deleted: bool) -> SqlError {
        let what = match self {
            RowAction::Update(_) | RowAction::Delete if deleted => "delete",
            _ => "update",
        };
        err(
            "40001",
            format!("could not serialize access due to concurrent {what}"),
        )
    }

    fn wait(&self) -> LockWait {
        match self {
            RowAction::Lock { wait, .. } => *wait,
            RowAction::Update(_) | RowAction::Delete => LockWait::Wait,
        }
    }
}

pub(in crate::service::postgres::sql) struct UpdatePlan {
    pub(in crate::service::postgres::sql) table: usize,
    pub(in crate::service::postgres::sql) filter: Option<B>,
    pub(in crate::service::postgres::sql) sets: Vec<(usize, B)>,
    pub(in crate::service::postgres::sql) returning: Option<Vec<(String, B)>>,
}

/// What an UPDATE or DELETE works on: its table, WHERE and RETURNING.
pub(in crate::service::postgres::sql) struct RowTarget<'a> {
    pub(in crate::service::postgres::sql) table: usize,
    pub(in crate::service::postgres::sql) filter: Option<&'a B>,
    pub(in crate::service::postgres::sql) returning: Option<&'a Vec<(String, B)>>,
}

pub(in crate::service::postgres::sql) struct DeletePlan {
    pub(in crate::service::postgres::sql) table: usize,
    pub(in crate::service::postgres::sql) filter: Option<B>,
    pub(in crate::service::postgres::sql) returning: Option<Vec<(String, B)>>,
}

impl Db {
    pub(in crate::service::postgres::sql) fn plan_update(
        &self,
        upd: &Update,
        params: Option<&[Value]>,
    ) -> Result<UpdatePlan, SqlError> {
        let ti = self.table_index(&upd.table.name)?;
        let t = &self.tables[ti];
        let scope = self.scope(Some((ti, &upd.table)), params);
        let filter = upd
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        let returning = upd.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        let sets = bind_sets(t, &scope, &upd.sets, "UPDATE")?;
        Ok(UpdatePlan {
            table: ti,
            filter,
            sets,
            returning,
        })
    }

    pub(in crate::service::postgres::sql) fn plan_delete(
        &self,
        del: &Delete,
        params: Option<&[Value]>,
    ) -> Result<DeletePlan, SqlError> {
        let ti = self.table_index(&del.table.name)?;
        let scope = self.scope(Some((ti, &del.table)), params);
        let filter = del
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        let returning = del.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        Ok(DeletePlan {
            table: ti,
            filter,
            returning,
        })
    }

    /// The holder `s` must wait for before `action` on a row, if any. A row changed since the
    /// snapshot is another tuple version than the holders locked, unless they locked the older
    /// version too (FOR KEY SHARE past a no-key update): PostgreSQL then reports the change
    /// (40001) at once, without waiting; FOR KEY SHARE itself waits, following the update chain.
    fn row_blocker(
        &self,
        s: SessionId,
        table: usize,
        key: &[Value],
        action: &RowAction<'_>,
    ) -> Option<SessionId> {
        let slot = self.tables[table].rows.get(key)?;
        let lock = slot.lock.as_ref()?;
        let holder = lock.blocker(s, action.mode())?;
        let own = slot.pending.as_ref().is_some_and(|p| p.session == s);
        let changed = !own
            && self
                .view(s)
                .snap
                .is_some_and(|stamp| slot.changed_since(stamp).is_some());
        let early = lock
            .holders
            .iter()
            .any(|&(h, m)| h != s && conflicts(action.mode(), m) && lock.early.contains(&h));
        (!changed || early || action.mode() == LockMode::KeyShare).then_some(holder)
    }

    /// `s` locked the row's version its statement read, older than the newest: it holds the
    /// newer ones too (see [`Lock::early`]).
    fn mark_early_locker(&mut self, s: SessionId, table: usize, key: &[Value]) {
        let lock = self.tables[table]
            .rows
            .get_mut(key)
            .and_then(|slot| slot.lock.as_mut());
        if let Some(lock) = lock.filter(|l| !l.early.contains(&s)) {
            lock.early.push(s);
        }
    }

    /// A row a transaction committed a change of after the statement read it: FOR KEY SHARE
    /// past updates that left the key alone locks and returns the version read (`Ok(true)`);
    /// otherwise REPEATABLE READ and SERIALIZABLE fail with 40001, and READ COMMITTED goes on
    /// with the newest version (`Ok(false)`, EvalPlanQual).
    fn snapshot_check(
        &self,
        s: SessionId,
        (table, key, gen): (usize, &[Value], u32),
        read_at: u64,
        action: &RowAction<'_>,
    ) -> Result<bool, SqlError> {
        let Some(sl) = self.tables[table].rows.get(key) else {
            return Ok(false);
        };
        if sl
            .pending
            .as_ref()
            .is_some_and(|p| p.session == s && p.gen == gen)
        {
            // This transaction's own version: nobody changed it since.
            return Ok(false);
        }
        if action.mode() == LockMode::KeyShare && sl.key_share_passes(read_at, gen) {
            return Ok(true);
        }
        let Some(stamp) = self.view(s).snap else {
            return Ok(false);
        };
        match sl.changed_since(stamp) {
            Some(deleted) => Err(action.serialization_failure(deleted)),
            None => Ok(false),
        }
    }

    /// Processes the statement's remaining rows one at a time, in order: waits (returning the
    /// row and its holder) at the first row another transaction has locked, keeping what was
    /// done so far; otherwise re-reads the row (EvalPlanQual: a row changed since the
    /// snapshot by a committed transaction is re-checked on its newest version, skipped if it
    /// is gone or no longer matches), takes its lock and applies `action`. Stops after `limit`
    /// rows. On error, the rows changed so far are undone.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::service::postgres::sql) fn scan_rows(
        &mut self,
        s: SessionId,
        table: usize,
        filter: Option<&B>,
        action: &RowAction<'_>,
        output: Option<&[(String, B)]>,
        limit: usize,
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Option<(Vec<Value>, SessionId)>, SqlError> {
        while prog.done < limit {
            let Some((key, snap, gen)) = prog.todo.front().cloned() else {
                break;
            };
            if let Some(holder) = self.row_blocker(s, table, &key, action) {
                match action.wait() {
                    LockWait::Wait => {
                        return Ok(Some((key, holder)));
                    }
                    LockWait::SkipLocked => {
                        prog.todo.pop_front();
                        continue;
                    }
                    LockWait::NoWait => {
                        self.undo(table, &prog.undo);
                        return Err(SqlError::error(
                            "55P03",
                            format!(
                                "could not obtain lock on row in relation \"{}\"",
                                self.tables[table].name
                            ),
                        ));
                    }
                }
            }
            let keep_snapshot_version =
                match self.snapshot_check(s, (table, &key, gen), prog.read_at, action) {
                    Ok(keep) => keep,
                    Err(e) => {
                        self.undo(table, &prog.undo);
                        return Err(e);
                    }
                };
            let slot = self.tables[table].rows.get(&key);
            let newest = View {
                session: Some(s),
                snap: None,
            };
            // The row's newest version, if it is still the tuple the statement read (an
            // INSERT after a DELETE is another tuple: the row read is gone).
            let current = if keep_snapshot_version {
                Some(snap.clone())
            } else {
                slot.and_then(|sl| sl.visible_gen(newest))
                    .filter(|&(_, g)| g == gen)
                    .map(|(v, _)| v.clone())
            };
            prog.todo.pop_front();
            if let Err(e) = self.scan_row(
                s,
                table,
                filter,
                action,
                output,
                key.clone(),
                snap,
                current,
                prog,
                touches,
            ) {
                self.undo(table, &prog.undo);
                return Err(e);
            }
            if keep_snapshot_version {
                self.mark_early_locker(s, table, &key);
            }
        }
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    pub(in crate::service::postgres::sql) fn scan_row(
        &mut self,
        s: SessionId,
        table: usize,
        filter: Option<&B>,
        action: &RowAction<'_>,
        output: Option<&[(String, B)]>,
        key: Vec<Value>,
        snap: Vec<Value>,
        current: Option<Vec<Value>>,
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<(), SqlError> {
        let Some(row) = current else {
            // Deleted since the snapshot by a committed transaction.
            return Ok(());
        };
        if row != snap {
            // EvalPlanQual: PostgreSQL locks the newest version first, then re-checks the
            // WHERE on it; a row that no longer matches is skipped but stays locked until the
            // transaction ends.
            self.lock_row(s, table, &key, action.mode());
            if let Some(f) = filter {
                if !truthy(&eval(f, &row)?) {
                    let t = &self.tables[table];
                    touches.insert(Touch::WriteRow {
                        table: t.name.clone(),
                        key: t.key_string(&key),
                    });
                    return Ok(());
                }
            }
        }
        match action {
            RowAction::Lock { .. } => {
                if let Some(items) = output {
                    prog.out.push(project(items, &row)?);
                }
                self.lock_row(s, table, &key, action.mode());
                let t = &self.tables[table];
                touches.insert(Touch::WriteRow {
                    table: t.name.clone(),
                    key: t.key_string(&key),
                });
            }
            RowAction::Update(sets) => {
                self.ssi_write(s, table, WriteTarget::Tuple(&key))?;
                let t = &self.tables[table];
                let mut new = row.clone();
                for (c, b) in sets.iter() {
                    new[*c] = store(eval(b, &row)?, &t.columns[*c])?;
                }
                t.check_not_null(&new)?;
                t.check_constraints(&new)?;
                if let Some(items) = output {
                    prog.out.push(project(items, &new)?);
                }
                let before = t.rows.get(&key).and_then(|sl| sl.pending.clone());
                prog.undo.push((key.clone(), before));
                self.write(s, table, &key, Some(new), action.mode(), touches);
            }
            RowAction::Delete => {
                self.ssi_write(s, table, WriteTarget::Tuple(&key))?;
                if let Some(items) = output {
                    prog.out.push(project(items, &row)?);
                }
                let t = &self.tables[table];
                let before = t.rows.get(&key).and_then(|sl| sl.pending.clone());
                prog.undo.push((key.clone(), before));
                self.write(s, table, &key, None, action.mode(), touches);
            }
        }
        prog.done += 1;
        Ok(())
    }

    /// The visible rows of `table` that pass `filter`, in scan order.
    pub(in crate::service::postgres::sql) fn matching(
        &self,
        s: SessionId,
        table: usize,
        filter: Option<&B>,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Vec<KeyedRow>, SqlError> {
        let t = &self.tables[table];
        touches.insert(Touch::ReadTable {
            table: t.name.clone(),
        });
        let mut out = Vec::new();
        let order = access(t, filter, false).order(false);
        for (k, row, gen) in t.scan(self.view(s), order) {
            if let Some(f) = filter {
                if !truthy(&eval(f, row)?) {
                    continue;
                }
            }
            touches.insert(Touch::ReadRow {
                table: t.name.clone(),
                key: t.key_string(k),
            });
            out.push((k.clone(), row.clone(), gen));
        }
        Ok(out)
    }

    pub(in crate::service::postgres::sql) fn exec_update(
        &mut self,
        s: SessionId,
        upd: &Update,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_update(upd, Some(params))?;
        let action = RowAction::Update(&plan.sets);
        let target = RowTarget {
            table: plan.table,
            filter: plan.filter.as_ref(),
            returning: plan.returning.as_ref(),
        };
        self.exec_row_by_row(s, "UPDATE", target, &action, touches, resume)
    }

    pub(in crate::service::postgres::sql) fn exec_delete(
        &mut self,
        s: SessionId,
        del: &Delete,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_delete(del, Some(params))?;
        let target = RowTarget {
            table: plan.table,
            filter: plan.filter.as_ref(),
            returning: plan.returning.as_ref(),
        };
        self.exec_row_by_row(s, "DELETE", target, &RowAction::Delete, touches, resume)
    }

    /// UPDATE and DELETE: the snapshot's matching rows (or the saved progress of a woken
    /// statement), then row by row until done or a row another transaction holds.
    pub(in crate::service::postgres::sql) fn exec_row_by_row(
        &mut self,
        s: SessionId,
        command: &str,
        RowTarget {
            table: ti,
            filter,
            returning,
        }: RowTarget<'_>,
        action: &RowAction<'_>,
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let mut prog = match resume {
            Some(p) => p,
            None => {
                self.ssi_read(s, ti, access(&self.tables[ti], filter, false))?;
                Progress {
                    todo: self.matching(s, ti, filter, touches)?.into(),
                    read_at: self.read_stamp(s),
                    ..Progress::default()
                }
            }
        };
        if let Some((key, holder)) = self.scan_rows(
            s,
            ti,
            filter,
            action,
            returning.map(|r| r.as_slice()),
            usize::MAX,
            &mut prog,
            touches,
        )? {
            return Ok(Outcome::Wait {
                table: ti,
                key,
                mode: action.mode(),
                holder,
                progress: Some(prog),
                on_tx: false,
            });
        }
        Ok(Outcome::Rows(with_returning(
            format!("{command} {}", prog.done),
            returning,
            Some(prog.out),
        )))
    }
}

/// `SET col = expr, …` (None: DEFAULT) of UPDATE and of ON CONFLICT DO UPDATE (`command`), bound
/// in `scope` with assignment casts to each column; a primary-key column is refused.
pub(super) fn bind_sets(
    t: &Table,
    scope: &Scope<'_>,
    list: &[(String, Option<Expr>)],
    command: &str,
) -> Result<Vec<(usize, B)>, SqlError> {
    let mut sets: Vec<(usize, B)> = Vec::new();
    for (col, e) in list {
        let Some(c) = t.column(col) else {
            return Err(err(
                "42703",
                format!("column \"{col}\" of relation \"{}\" does not exist", t.name),
            ));
        };
        if sets.iter().any(|(x, _)| *x == c) {
            return Err(err(
                "42601",
                format!("multiple assignments to same column \"{col}\""),
            ));
        }
        let b = match e {
            Some(e) => {
                let (b, ty) = scope.bind(e)?;
                assign(b, ty, &t.columns[c])?
            }
            None => t.default_of(&t.columns[c], scope.clock.unwrap_or_default())?,
        };
        if t.pk.contains(&c) {
            return Err(SqlError::not_supported(format!(
                "{command} of the primary-key column \"{col}\""
            )));
        }
        sets.push((c, b));
    }
    Ok(sets)
}
