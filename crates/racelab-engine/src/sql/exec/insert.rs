//! INSERT: planning (target columns, assignment casts), the unique check (waiting on another
//! transaction's uncommitted row with the same key), and writing the new rows.

use std::collections::BTreeSet;

use super::{project, with_returning, Outcome};
use crate::sql::bind::{assign, B};
use crate::sql::db::{err, Db};
use crate::sql::error::SqlError;
use crate::sql::eval::eval;
use crate::sql::locks::Lock;
use crate::sql::prepare::Insert;
use crate::sql::storage::Pending;
use crate::sql::types::store;
use crate::sql::{SessionId, Touch};
use crate::value::Value;

pub(in crate::sql) struct InsertPlan {
    pub(in crate::sql) table: usize,
    pub(in crate::sql) rows: Vec<Vec<(usize, B)>>,
    pub(in crate::sql) returning: Option<Vec<(String, B)>>,
}

impl Db {
    pub(in crate::sql) fn plan_insert(
        &self,
        ins: &Insert,
        params: Option<&[Value]>,
    ) -> Result<InsertPlan, SqlError> {
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
                let (b, ty) = values_scope.bind(e)?;
                bound.push((c, assign(b, ty, &t.columns[c])?));
            }
            rows.push(bound);
        }
        let scope = self.scope(Some((ti, &ins.table)), params);
        let returning = ins.returning.as_ref().map(|r| scope.items(r)).transpose()?;
        Ok(InsertPlan {
            table: ti,
            rows,
            returning,
        })
    }

    pub(in crate::sql) fn exec_insert(
        &mut self,
        s: SessionId,
        ins: &Insert,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_insert(ins, Some(params))?;
        let ti = plan.table;
        let t = &self.tables[ti];
        let mut new_rows = Vec::new();
        for bound in &plan.rows {
            let mut row = vec![Value::Null; t.columns.len()];
            for (c, b) in bound {
                row[*c] = store(eval(b, &[])?, &t.columns[*c])?;
            }
            t.check_not_null(&row)?;
            new_rows.push(row);
        }
        // Unique check against the rows this session can see, waiting where another open
        // transaction has an uncommitted write on the same key.
        let mut keys: Vec<Vec<Value>> = Vec::new();
        if !t.pk.is_empty() {
            for row in &new_rows {
                let key: Vec<Value> = t.pk.iter().map(|&i| row[i].clone()).collect();
                let duplicate = err(
                    "23505",
                    format!(
                        "duplicate key value violates unique constraint \"{}\"",
                        t.pk_name
                    ),
                );
                if keys.contains(&key) {
                    return Err(duplicate);
                }
                if let Some(slot) = t.rows.get(&key) {
                    if let Some(p) = slot.pending.as_ref().filter(|p| p.session != s) {
                        return Ok(Outcome::Wait {
                            table: ti,
                            key,
                            holder: p.session,
                            progress: None,
                        });
                    }
                    if slot.visible(Some(s)).is_some() {
                        touches.insert(Touch::ReadRow {
                            table: t.name.clone(),
                            key: t.key_string(&key),
                        });
                        return Err(duplicate);
                    }
                    if let Some(l) = slot.lock.as_ref().filter(|l| l.holder != s) {
                        return Ok(Outcome::Wait {
                            table: ti,
                            key,
                            holder: l.holder,
                            progress: None,
                        });
                    }
                }
                keys.push(key);
            }
        } else {
            for i in 0..new_rows.len() {
                let id = i64::try_from(i).unwrap_or(i64::MAX);
                keys.push(vec![Value::Int(t.next_rowid.saturating_add(id))]);
            }
        }
        let returned = match &plan.returning {
            Some(items) => Some(
                new_rows
                    .iter()
                    .map(|r| project(items, r))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let t = &mut self.tables[ti];
        if t.pk.is_empty() {
            let n = i64::try_from(new_rows.len()).unwrap_or(i64::MAX);
            t.next_rowid = t.next_rowid.saturating_add(n);
        }
        let n = new_rows.len();
        for (key, row) in keys.iter().zip(new_rows) {
            touches.insert(Touch::WriteRow {
                table: t.name.clone(),
                key: t.key_string(key),
            });
            let slot = t.rows.entry(key.clone()).or_default();
            slot.pending = Some(Pending {
                session: s,
                values: Some(row),
            });
            if slot.lock.is_none() {
                slot.lock = Some(Lock {
                    holder: s,
                    waiters: Vec::new(),
                });
            }
        }
        Ok(Outcome::Rows(with_returning(
            format!("INSERT 0 {n}"),
            plan.returning.as_ref(),
            returned,
        )))
    }
}
