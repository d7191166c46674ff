//! INSERT … ON CONFLICT: planning (the arbiter, DO UPDATE's SET and WHERE over the existing row
//! and `EXCLUDED`) and execution one VALUES row at a time, as PostgreSQL 15's `ExecInsert` and
//! `ExecOnConflictUpdate` do:
//!
//! 1. The proposed row is computed and its NOT NULL and CHECK constraints tested.
//! 2. The pre-check looks for the key among all row versions (PostgreSQL's dirty snapshot):
//!    another transaction's uncommitted insert, update or delete of it makes the statement wait
//!    for that transaction (not for the row lock: a locker does not hold it up), then check
//!    the row again.
//! 3. No row has the key: the row is inserted (what a plain INSERT does, SERIALIZABLE checks
//!    included).
//! 4. A row has it (committed, or this transaction's own): DO NOTHING skips it; DO UPDATE
//!    locks it FOR NO KEY UPDATE (waiting in its queue; after the wait READ COMMITTED checks the
//!    row again, REPEATABLE READ fails with 40001 if the row changed), tests its WHERE (false:
//!    the row stays locked) and updates it from the existing row and `EXCLUDED`. A row this
//!    command inserted or updated fails DO UPDATE with 21000.
//!
//! Under REPEATABLE READ and SERIALIZABLE, a conflicting row the snapshot does not show (and
//! this transaction did not write) fails both actions with 40001. The check takes no SIREAD
//! lock (PostgreSQL's dirty snapshot is not an MVCC one). A wait keeps what the statement did
//! so far in its [`Progress`]: the VALUES rows done, the rows inserted or updated (undone if it
//! fails), RETURNING output and the tag's count.

use std::collections::BTreeSet;

use super::insert::{new_row, InsertPlan};
use super::outcome::{project, with_returning, Outcome};
use super::rows::bind_sets;
use crate::sql::api::{SessionId, Touch};
use crate::sql::bind::Excluded;
use crate::sql::error::{err, SqlError};
use crate::sql::eval::{eval, internal, truthy, B};
use crate::sql::prepare::{ConflictTarget, DoUpdate, Insert, OnConflict};
use crate::sql::ssi::WriteTarget;
use crate::sql::state::{Db, LockMode, Pending, Progress, Table, View};
use crate::sql::types::{key_form, store};
use crate::value::Value;

pub(in crate::service::postgres::sql) struct UpsertPlan {
    insert: InsertPlan,
    update: Option<UpdatePart>,
}

/// DO UPDATE's SET and WHERE, bound over the existing row followed by `EXCLUDED`.
struct UpdatePart {
    sets: Vec<(usize, B)>,
    filter: Option<B>,
}

/// What the pre-check found for a proposed row's key.
enum Found {
    /// No row has it.
    Free,
    /// A committed row, or this transaction's own.
    Row,
    /// Another transaction is writing the key: wait for it to end.
    Writer(SessionId),
}

/// Where a row of the statement must wait: for `holder`'s transaction (`on_tx`) or, in `mode`,
/// in the row's lock queue.
struct RowWait {
    key: Vec<Value>,
    holder: SessionId,
    mode: LockMode,
    on_tx: bool,
}

impl Db {
    /// Plans INSERT … ON CONFLICT, with PostgreSQL's errors in its order: the VALUES, the
    /// conflict target, DO UPDATE's SET and WHERE, RETURNING, then (the planner's) a target
    /// that names no unique index.
    pub(in crate::service::postgres::sql) fn plan_upsert(
        &self,
        ins: &Insert,
        params: Option<&[Value]>,
    ) -> Result<UpsertPlan, SqlError> {
        let Some(oc) = &ins.on_conflict else {
            return Err(internal("INSERT without ON CONFLICT"));
        };
        let (ti, rows) = self.plan_values(ins, params)?;
        let t = &self.tables[ti];
        let arbiter = arbiter(t, oc)?;
        let update = match &oc.update {
            Some(u) => Some(self.plan_do_update(ti, ins, u, params)?),
            None => None,
        };
        let mut scope = self.scope(Some((ti, &ins.table)), params);
        if update.is_some() {
            scope.excluded = Excluded::Hidden;
        }
        let returning = ins.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        if !arbiter {
            return Err(err(
                "42P10",
                "there is no unique or exclusion constraint matching the ON CONFLICT specification",
            ));
        }
        Ok(UpsertPlan {
            insert: InsertPlan {
                table: ti,
                rows,
                returning,
            },
            update,
        })
    }

    /// DO UPDATE's SET and WHERE, where `EXCLUDED.col` is the proposed row.
    fn plan_do_update(
        &self,
        ti: usize,
        ins: &Insert,
        u: &DoUpdate,
        params: Option<&[Value]>,
    ) -> Result<UpdatePart, SqlError> {
        if ins.table.alias.as_deref() == Some("excluded") {
            return Err(SqlError::not_supported(
                "a target table alias named EXCLUDED in INSERT … ON CONFLICT DO UPDATE",
            ));
        }
        let mut scope = self.scope(Some((ti, &ins.table)), params);
        scope.excluded = Excluded::Visible;
        let sets = bind_sets(&self.tables[ti], &scope, &u.sets, "ON CONFLICT DO UPDATE")?;
        let filter = u
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        Ok(UpdatePart { sets, filter })
    }

    pub(in crate::service::postgres::sql) fn exec_upsert(
        &mut self,
        s: SessionId,
        ins: &Insert,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_upsert(ins, Some(params))?;
        let ti = plan.insert.table;
        let mut prog = resume.unwrap_or_default();
        let mut step = self.after_lock_wait(s, ti, &mut prog);
        while step.is_ok() {
            let Some(bound) = plan.insert.rows.get(prog.next_row) else {
                break;
            };
            match self.upsert_row(s, &plan, bound, &mut prog, touches) {
                Ok(None) => prog.next_row += 1,
                Ok(Some(w)) => {
                    return Ok(Outcome::Wait {
                        table: ti,
                        key: w.key,
                        mode: w.mode,
                        holder: w.holder,
                        progress: Some(prog),
                        on_tx: w.on_tx,
                    })
                }
                Err(e) => step = Err(e),
            }
        }
        if let Err(e) = step {
            self.undo(ti, &prog.undo);
            return Err(e);
        }
        Ok(Outcome::Rows(with_returning(
            format!("INSERT 0 {}", prog.done),
            plan.insert.returning.as_ref(),
            Some(prog.out),
        )))
    }

    /// Woken after DO UPDATE waited to lock the conflicting row (kept in `todo`): REPEATABLE
    /// READ and SERIALIZABLE fail if a transaction committed a change of it meanwhile
    /// (PostgreSQL's TM_Updated / TM_Deleted); otherwise the row is done again from its
    /// pre-check (READ COMMITTED's retry; after a lock-only holder, the same row again).
    fn after_lock_wait(
        &self,
        s: SessionId,
        ti: usize,
        prog: &mut Progress,
    ) -> Result<(), SqlError> {
        let Some((key, _, _)) = prog.todo.pop_front() else {
            return Ok(());
        };
        let read_at = std::mem::take(&mut prog.read_at);
        if self.view(s).snap.is_none() {
            return Ok(());
        }
        match self.tables[ti]
            .rows
            .get(&key)
            .and_then(|slot| slot.changed_since(read_at))
        {
            Some(deleted) => Err(serialization_failure(deleted)),
            None => Ok(()),
        }
    }

    /// One VALUES row: its constraints, the pre-check, then insert, skip or update (or where
    /// to wait first).
    fn upsert_row(
        &mut self,
        s: SessionId,
        plan: &UpsertPlan,
        bound: &[(usize, B)],
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Option<RowWait>, SqlError> {
        let ti = plan.insert.table;
        let t = &self.tables[ti];
        let row = new_row(t, bound)?;
        let key: Vec<Value> = if t.pk.is_empty() {
            vec![Value::Int(t.next_rowid)]
        } else {
            t.pk.iter().map(|&i| key_form(&row[i])).collect()
        };
        match self.pre_check(s, ti, &key) {
            Found::Writer(holder) => Ok(Some(RowWait {
                key,
                holder,
                mode: LockMode::Update,
                on_tx: true,
            })),
            Found::Free => {
                self.upsert_insert(s, plan, key, row, prog, touches)?;
                Ok(None)
            }
            Found::Row => match &plan.update {
                None => {
                    self.visible_to_snapshot(s, ti, &key)?;
                    let t = &self.tables[ti];
                    touches.insert(Touch::ReadRow {
                        table: t.name.clone(),
                        key: t.key_string(&key),
                    });
                    Ok(None)
                }
                Some(update) => self.do_update(s, plan, update, (key, row), prog, touches),
            },
        }
    }

    /// The pre-check for a conflicting row: every committed version and every uncommitted
    /// write counts, whatever the snapshot sees.
    fn pre_check(&self, s: SessionId, ti: usize, key: &[Value]) -> Found {
        let t = &self.tables[ti];
        let Some(slot) = t.rows.get(key).filter(|_| !t.pk.is_empty()) else {
            return Found::Free;
        };
        if let Some(p) = slot.pending.as_ref().filter(|p| p.session != s) {
            return Found::Writer(p.session);
        }
        let newest = View {
            session: Some(s),
            snap: None,
        };
        if slot.visible(newest).is_some() {
            return Found::Row;
        }
        // As a plain INSERT's unique check (see `check_unique`).
        match slot
            .lock
            .as_ref()
            .and_then(|l| l.blocker(s, LockMode::Update))
        {
            Some(h) => Found::Writer(h),
            None => Found::Free,
        }
    }

    /// Inserts the proposed row (no row has its key), as a plain INSERT does.
    fn upsert_insert(
        &mut self,
        s: SessionId,
        plan: &UpsertPlan,
        key: Vec<Value>,
        row: Vec<Value>,
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<(), SqlError> {
        let ti = plan.insert.table;
        // SERIALIZABLE: the heap insert checks the table's SIREAD locks, the index insert the
        // index page's.
        self.ssi_write(s, ti, WriteTarget::Relation)?;
        if !self.tables[ti].pk.is_empty() {
            self.ssi_write(s, ti, WriteTarget::IndexPage)?;
        }
        if let Some(items) = &plan.insert.returning {
            prog.out.push(project(items, &row)?);
        }
        prog.undo.push((key.clone(), self.own_pending(s, ti, &key)));
        self.insert_rows(s, ti, vec![key], vec![row], touches);
        prog.done += 1;
        Ok(())
    }

    /// DO UPDATE of the conflicting row `key` with the proposed row `excluded`.
    fn do_update(
        &mut self,
        s: SessionId,
        plan: &UpsertPlan,
        UpdatePart { sets, filter }: &UpdatePart,
        (key, excluded): (Vec<Value>, Vec<Value>),
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Option<RowWait>, SqlError> {
        let ti = plan.insert.table;
        if prog.undo.iter().any(|(k, _)| *k == key) {
            return Err(err(
                "21000",
                "ON CONFLICT DO UPDATE command cannot affect row a second time",
            )
            .with_hint(
                "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
            ));
        }
        let newest = View {
            session: Some(s),
            snap: None,
        };
        let t = &self.tables[ti];
        let slot = t.rows.get(&key);
        let Some((existing, gen)) = slot.and_then(|sl| sl.visible_gen(newest)) else {
            return Err(internal("ON CONFLICT: the conflicting row is gone"));
        };
        let existing = existing.clone();
        let mode = LockMode::NoKeyUpdate;
        if let Some(holder) = slot
            .and_then(|sl| sl.lock.as_ref())
            .and_then(|l| l.blocker(s, mode))
        {
            prog.todo = [(key.clone(), existing, gen)].into();
            prog.read_at = self.commits;
            return Ok(Some(RowWait {
                key,
                holder,
                mode,
                on_tx: false,
            }));
        }
        self.lock_row(s, ti, &key, mode);
        self.visible_to_snapshot(s, ti, &key)?;
        let t = &self.tables[ti];
        let mut both = existing.clone();
        both.extend(excluded);
        if let Some(f) = filter {
            if !truthy(&eval(f, &both)?) {
                // Skipped, but it stays locked.
                touches.insert(Touch::WriteRow {
                    table: t.name.clone(),
                    key: t.key_string(&key),
                });
                return Ok(None);
            }
        }
        let new = updated_row(t, existing, sets, &both)?;
        self.ssi_write(s, ti, WriteTarget::Tuple(&key))?;
        if let Some(items) = &plan.insert.returning {
            prog.out.push(project(items, &new)?);
        }
        prog.undo.push((key.clone(), self.own_pending(s, ti, &key)));
        self.write(s, ti, &key, Some(new), mode, touches);
        prog.done += 1;
        Ok(None)
    }

    /// REPEATABLE READ and SERIALIZABLE: the conflicting row must be visible to the snapshot,
    /// or written by this transaction (PostgreSQL's ExecCheckTupleVisible).
    fn visible_to_snapshot(&self, s: SessionId, ti: usize, key: &[Value]) -> Result<(), SqlError> {
        let Some(snap) = self.view(s).snap else {
            return Ok(());
        };
        let Some(slot) = self.tables[ti].rows.get(key) else {
            return Ok(());
        };
        let own = slot.pending.as_ref().is_some_and(|p| p.session == s);
        if !own && slot.versions.last().is_some_and(|v| v.stamp > snap) {
            return Err(serialization_failure(false));
        }
        Ok(())
    }

    /// `s`'s uncommitted version of the row, if any (what undoing the statement puts back).
    fn own_pending(&self, s: SessionId, ti: usize, key: &[Value]) -> Option<Pending> {
        self.tables[ti]
            .rows
            .get(key)
            .and_then(|slot| slot.pending.clone())
            .filter(|p| p.session == s)
    }
}

/// The conflict target, checked as PostgreSQL's parse analysis does. `Ok(false)`: it names no
/// unique index (the planner's 42P10, raised after the rest of the statement is analysed).
fn arbiter(t: &Table, oc: &OnConflict) -> Result<bool, SqlError> {
    match &oc.target {
        None if oc.update.is_some() => Err(err(
            "42601",
            "ON CONFLICT DO UPDATE requires inference specification or constraint name",
        )
        .with_hint("For example, ON CONFLICT (column_name).")),
        None => Ok(true),
        Some(ConflictTarget::Columns(cols)) => {
            let mut named = BTreeSet::new();
            for c in cols {
                match t.column(c) {
                    Some(i) => named.insert(i),
                    None => {
                        return Err(err("42703", format!("column \"{c}\" does not exist")));
                    }
                };
            }
            Ok(!t.pk.is_empty() && named == t.pk.iter().copied().collect())
        }
        Some(ConflictTarget::Constraint(name)) => {
            if !t.pk.is_empty() && *name == t.pk_name {
                Ok(true)
            } else if t.checks.iter().any(|c| c.name == *name) {
                Err(err(
                    "42809",
                    "constraint in ON CONFLICT clause has no associated index",
                ))
            } else {
                Err(err(
                    "42704",
                    format!(
                        "constraint \"{name}\" for table \"{}\" does not exist",
                        t.name
                    ),
                ))
            }
        }
    }
}

/// The existing row with DO UPDATE's SET applied (evaluated over the existing row followed by
/// `EXCLUDED`), its NOT NULL and CHECK constraints tested.
fn updated_row(
    t: &Table,
    existing: Vec<Value>,
    sets: &[(usize, B)],
    both: &[Value],
) -> Result<Vec<Value>, SqlError> {
    let mut new = existing;
    for (c, b) in sets {
        new[*c] = store(eval(b, both)?, &t.columns[*c])?;
    }
    t.check_not_null(&new)?;
    t.check_constraints(&new)?;
    Ok(new)
}

/// REPEATABLE READ's error for a conflicting row changed by a transaction that committed after
/// the snapshot (`deleted`: while DO UPDATE waited to lock it, it was deleted).
fn serialization_failure(deleted: bool) -> SqlError {
    let what = if deleted { "delete" } else { "update" };
    err(
        "40001",
        format!("could not serialize access due to concurrent {what}"),
    )
}
