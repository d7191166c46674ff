//! INSERT: planning (target columns, assignment casts), the unique check (waiting on another
//! transaction's uncommitted row with the same key), and writing the new rows.

use std::collections::BTreeSet;

use super::outcome::{project, with_returning, Outcome};
use crate::sql::api::{SessionId, Touch};
use crate::sql::bind::assign;
use crate::sql::error::{err, SqlError};
use crate::sql::eval::{eval, internal, B};
use crate::sql::prepare::Insert;
use crate::sql::ssi::WriteTarget;
use crate::sql::state::{Db, Lock, LockMode, Pending, Place, Progress, Table, View};
use crate::sql::types::{key_form, store};
use crate::value::Value;

/// A VALUES row bound: each (column, value) given or defaulted.
pub(in crate::service::postgres::sql) type BoundRow = Vec<(usize, B)>;

pub(in crate::service::postgres::sql) struct InsertPlan {
    pub(in crate::service::postgres::sql) table: usize,
    pub(in crate::service::postgres::sql) rows: Vec<BoundRow>,
    pub(in crate::service::postgres::sql) returning: Option<Vec<(String, B)>>,
}

impl Db {
    pub(in crate::service::postgres::sql) fn plan_insert(
        &self,
        ins: &Insert,
        params: Option<&[Value]>,
    ) -> Result<InsertPlan, SqlError> {
        let (ti, rows) = self.plan_values(ins, params)?;
        let scope = self.scope(Some((ti, &ins.table)), params);
        let returning = ins.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        Ok(InsertPlan {
            table: ti,
            rows,
            returning,
        })
    }

    /// The target table and the VALUES rows, each bound as (column, value) with the omitted
    /// columns' defaults.
    pub(super) fn plan_values(
        &self,
        ins: &Insert,
        params: Option<&[Value]>,
    ) -> Result<(usize, Vec<BoundRow>), SqlError> {
        let ti = self.table_index(&ins.table.name)?;
        let t = &self.tables[ti];
        let targets: Vec<usize> = match &ins.columns {
            None => (0..t.columns.len()).collect(),
            Some(cols) => {
                let mut out: Vec<usize> = Vec::new();
                for c in cols {
                    let Some(i) = t.column(c) else {
                        return Err(err(
                            "42703",
                            format!("column \"{c}\" of relation \"{}\" does not exist", t.name),
                        ));
                    };
                    if out.contains(&i) {
                        return Err(err(
                            "42701",
                            format!("column \"{c}\" specified more than once"),
                        ));
                    }
                    out.push(i);
                }
                out
            }
        };
        let values_scope = self.scope(None, params);
        let mut rows = Vec::new();
        for row in &ins.rows {
            if row.len() > targets.len() {
                return Err(err(
                    "42601",
                    "INSERT has more expressions than target columns",
                ));
            }
            if row.len() < targets.len() && ins.columns.is_some() {
                return Err(err(
                    "42601",
                    "INSERT has more target columns than expressions",
                ));
            }
            let mut bound = Vec::new();
            for (e, &c) in row.iter().zip(&targets) {
                bound.push(match e {
                    Some(e) => {
                        let (b, ty) = values_scope.bind(e)?;
                        (c, assign(b, ty, &t.columns[c])?)
                    }
                    None => (c, t.default_of(&t.columns[c], self.stmt_clock)?),
                });
            }
            // Columns not given take their defaults.
            for (c, col) in t.columns.iter().enumerate() {
                if col.default.is_some() && !bound.iter().any(|(x, _)| *x == c) {
                    bound.push((c, t.default_of(col, self.stmt_clock)?));
                }
            }
            rows.push(bound);
        }
        Ok((ti, rows))
    }

    /// A plain INSERT, one VALUES row at a time as PostgreSQL does: each row's constraints,
    /// its heap insert, then its unique check, which may wait for the transaction writing the
    /// same key. A wait keeps the rows inserted so far (they hold their keys while it waits).
    pub(in crate::service::postgres::sql) fn exec_insert(
        &mut self,
        s: SessionId,
        ins: &Insert,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_insert(ins, Some(params))?;
        let ti = plan.table;
        let mut prog = resume.unwrap_or_default();
        while let Some(bound) = plan.rows.get(prog.next_row) {
            match self.insert_one(s, &plan, bound, &mut prog, touches) {
                Ok(None) => prog.next_row += 1,
                Ok(Some((key, holder))) => {
                    return Ok(Outcome::Wait {
                        table: ti,
                        key,
                        mode: LockMode::Update,
                        holder,
                        progress: Some(prog),
                        on_tx: true,
                    })
                }
                Err(e) => {
                    self.undo(ti, &prog.undo);
                    return Err(e);
                }
            }
        }
        let returned = plan.returning.is_some().then_some(prog.out);
        Ok(Outcome::Rows(with_returning(
            format!("INSERT 0 {}", prog.done),
            plan.returning.as_ref(),
            returned,
        )))
    }

    /// One VALUES row: inserted, or where it must wait first (the key and the writer).
    fn insert_one(
        &mut self,
        s: SessionId,
        plan: &InsertPlan,
        bound: &[(usize, B)],
        prog: &mut Progress,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Option<(Vec<Value>, SessionId)>, SqlError> {
        let ti = plan.table;
        let t = &self.tables[ti];
        let row = new_row(t, bound)?;
        let key = row_keys(t, std::slice::from_ref(&row))
            .pop()
            .ok_or_else(|| internal("a row without a key"))?;
        // SERIALIZABLE: the heap insert checks the table's SIREAD locks, the index insert (or,
        // before a unique violation, the unique check) the index page's.
        self.ssi_write(s, ti, WriteTarget::Relation)?;
        match self.check_unique(s, ti, &key, touches) {
            Ok(Some(holder)) => return Ok(Some((key, holder))),
            Ok(None) => {}
            Err(e) if e.code == "23505" => {
                self.ssi_write(s, ti, WriteTarget::IndexPage)?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        if !self.tables[ti].pk.is_empty() {
            self.ssi_write(s, ti, WriteTarget::IndexPage)?;
        }
        if let Some(items) = &plan.returning {
            prog.out.push(project(items, &row)?);
        }
        let before = self.tables[ti]
            .rows
            .get(&key)
            .and_then(|slot| slot.pending.clone())
            .filter(|p| p.session == s);
        prog.undo.push((key.clone(), before));
        self.insert_rows(s, ti, vec![key], vec![row], touches);
        prog.done += 1;
        Ok(None)
    }

    /// The unique check of one key against every committed row and this session's own writes
    /// (23505), or the session whose uncommitted write of the key it must wait for.
    fn check_unique(
        &self,
        s: SessionId,
        ti: usize,
        key: &[Value],
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Option<SessionId>, SqlError> {
        let t = &self.tables[ti];
        let Some(slot) = t.rows.get(key).filter(|_| !t.pk.is_empty()) else {
            return Ok(None);
        };
        if let Some(p) = slot.pending.as_ref().filter(|p| p.session != s) {
            return Ok(Some(p.session));
        }
        // The key is taken when the newest committed version (or this session's own write,
        // also one of this statement's earlier rows) has it, whatever the snapshot sees:
        // PostgreSQL's unique index checks against every committed row, so a REPEATABLE READ
        // inserter gets 23505 for a row its snapshot does not show.
        let newest = View {
            session: Some(s),
            snap: None,
        };
        if slot.visible(newest).is_some() {
            touches.insert(Touch::ReadRow {
                table: t.name.clone(),
                key: t.key_string(key),
            });
            return Err(err(
                "23505",
                format!(
                    "duplicate key value violates unique constraint \"{}\"",
                    t.pk_name
                ),
            ));
        }
        Ok(slot
            .lock
            .as_ref()
            .and_then(|l| l.blocker(s, LockMode::Update)))
    }

    /// Writes the new rows as `s`'s uncommitted versions, each with `s`'s lock.
    pub(super) fn insert_rows(
        &mut self,
        s: SessionId,
        ti: usize,
        keys: Vec<Vec<Value>>,
        new_rows: Vec<Vec<Value>>,
        touches: &mut BTreeSet<Touch>,
    ) {
        let sx = self.sessions[s].sx;
        for key in &keys {
            self.note_before(s, ti, key);
        }
        let t = &mut self.tables[ti];
        if t.pk.is_empty() {
            let n = i64::try_from(new_rows.len()).unwrap_or(i64::MAX);
            t.next_rowid = t.next_rowid.saturating_add(n);
        }
        for (key, row) in keys.iter().zip(new_rows) {
            touches.insert(Touch::WriteRow {
                table: t.name.clone(),
                key: t.key_string(key),
            });
            let pos = t.take_pos();
            let slot = t.rows.entry(key.clone()).or_default();
            let gen = slot.next_gen();
            // After this transaction's own UPDATE and DELETE of the key, the committed version
            // was still replaced by an update (the re-insert is a new tuple).
            let updated = slot
                .pending
                .as_ref()
                .is_some_and(|p| p.session == s && p.updated);
            slot.pending = Some(Pending {
                session: s,
                values: Some(row),
                gen,
                sx,
                updated,
                // Another tuple: no FOR KEY SHARE of the key's earlier tuple passes it.
                strong: true,
                place: Place { pos, root: pos },
            });
            if slot.lock.is_none() {
                slot.lock = Some(Lock::new(s, LockMode::Update));
            }
        }
    }
}

/// A VALUES row as stored: its values evaluated and assigned to their columns (NULL where
/// nothing is given), NOT NULL and CHECK constraints tested.
pub(super) fn new_row(t: &Table, bound: &[(usize, B)]) -> Result<Vec<Value>, SqlError> {
    let mut row = vec![Value::Null; t.columns.len()];
    for (c, b) in bound {
        row[*c] = store(eval(b, &[])?, &t.columns[*c])?;
    }
    t.check_not_null(&row)?;
    t.check_constraints(&row)?;
    Ok(row)
}

/// The keys of new rows: their primary-key values, or the next internal row ids.
pub(super) fn row_keys(t: &Table, new_rows: &[Vec<Value>]) -> Vec<Vec<Value>> {
    if t.pk.is_empty() {
        (0..new_rows.len())
            .map(|i| {
                let id = i64::try_from(i).unwrap_or(i64::MAX);
                vec![Value::Int(t.next_rowid.saturating_add(id))]
            })
            .collect()
    } else {
        new_rows
            .iter()
            .map(|row| t.pk.iter().map(|&i| key_form(&row[i])).collect())
            .collect()
    }
}
