//! The catalog: tables and their columns, CREATE TABLE (validation and creation), CHECK
//! constraints (naming and testing), column DEFAULTs, and how row keys are rendered (in the UI,
//! in touches, in lock-wait messages).

use std::collections::{BTreeMap, BTreeSet};

use super::api::{tag_only, QueryResult, Touch};
use super::bind::{assign, Excluded, Scope};
use super::error::{err, SqlError};
use super::eval::{eval, B};
use super::prepare::{CheckDef, CreateTable, Expr, TableRef};
use super::state::{Check, Column, Db, StmtClock, Table};

use super::types::pg_text;
use crate::value::Value;

impl Db {
    pub(super) fn table_index(&self, name: &str) -> Result<usize, SqlError> {
        self.tables
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| err("42P01", format!("relation \"{name}\" does not exist")))
    }

    /// Validates a CREATE TABLE; `Ok(None)` = IF NOT EXISTS and the table exists.
    pub(super) fn plan_create(&self, ct: &CreateTable) -> Result<Option<Table>, SqlError> {
        if self.tables.iter().any(|t| t.name == ct.name) {
            if ct.if_not_exists {
                return Ok(None);
            }
            return Err(err(
                "42P07",
                format!("relation \"{}\" already exists", ct.name),
            ));
        }
        let mut columns: Vec<Column> = Vec::new();
        for c in &ct.columns {
            if columns.iter().any(|x| x.name == c.name) {
                return Err(err(
                    "42701",
                    format!("column \"{}\" specified more than once", c.name),
                ));
            }
            columns.push(Column {
                name: c.name.clone(),
                ty: c.ty,
                not_null: c.not_null,
                default: c.default.clone(),
            });
        }
        let mut pk = Vec::new();
        let mut pk_name = format!("{}_pkey", ct.name);
        if let Some((cols, name)) = &ct.primary_key {
            for c in cols {
                let Some(i) = columns.iter().position(|x| &x.name == c) else {
                    return Err(err(
                        "42703",
                        format!("column \"{c}\" named in key does not exist"),
                    ));
                };
                if pk.contains(&i) {
                    return Err(err(
                        "42701",
                        format!("column \"{c}\" appears twice in primary key constraint"),
                    ));
                }
                pk.push(i);
                columns[i].not_null = true;
            }
            if let Some(n) = name {
                pk_name = n.clone();
            }
        }
        let mut table = Table {
            name: ct.name.clone(),
            columns,
            pk,
            pk_name,
            rows: BTreeMap::new(),
            next_rowid: 1,
            next_pos: 0,
            checks: Vec::new(),
        };
        for c in &table.columns {
            table.default_of(c, self.stmt_clock)?;
        }
        table.checks = check_constraints(&table, &ct.checks)?;
        Ok(Some(table))
    }

    pub(super) fn create_table(
        &mut self,
        ct: &CreateTable,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<QueryResult, SqlError> {
        touches.insert(Touch::ReadTable {
            table: ct.name.clone(),
        });
        let mut result = tag_only("CREATE TABLE");
        match self.plan_create(ct)? {
            Some(t) => self.tables.push(t),
            None => {
                let mut notice = SqlError::warning(
                    "42P07",
                    format!("relation \"{}\" already exists, skipping", ct.name),
                );
                notice.severity = "NOTICE";
                result.notices.push(notice);
            }
        }
        Ok(result)
    }
}

/// Validates the CHECK constraints of a new table and names them as PostgreSQL does: an
/// unnamed one is `table_column_check` when its condition uses exactly one column, else
/// `table_check`, with a number appended (1, 2, ...) while the name is taken. Returns them in
/// name order.
fn check_constraints(t: &Table, defs: &[CheckDef]) -> Result<Vec<Check>, SqlError> {
    let r = TableRef {
        name: t.name.clone(),
        alias: None,
    };
    let scope = t.own_scope(&r);
    let mut out: Vec<Check> = Vec::new();
    for d in defs {
        scope.condition(&d.expr, "CHECK")?;
        let taken = |n: &str| out.iter().any(|c| c.name == n);
        let name = match &d.name {
            Some(n) if taken(n) => {
                return Err(err(
                    "42710",
                    format!("check constraint \"{n}\" already exists"),
                ))
            }
            Some(n) => n.clone(),
            None => {
                let mut cols = Vec::new();
                columns_of(&d.expr, &mut cols);
                let base = match cols.as_slice() {
                    [one] => format!("{}_{one}_check", t.name),
                    _ => format!("{}_check", t.name),
                };
                let mut name = base.clone();
                let mut i = 0;
                while taken(&name) {
                    i += 1;
                    name = format!("{base}{i}");
                }
                name
            }
        };
        out.push(Check {
            name,
            expr: d.expr.clone(),
        });
    }
    out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(out)
}

/// The distinct column names an expression mentions, in order.
fn columns_of(e: &Expr, out: &mut Vec<String>) {
    if let Expr::Column { name, .. } = e {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    for c in e.children() {
        columns_of(c, out);
    }
}

impl Table {
    pub(super) fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub(super) fn check_not_null(&self, row: &[Value]) -> Result<(), SqlError> {
        for (c, v) in self.columns.iter().zip(row) {
            if c.not_null && v.is_null() {
                return Err(err(
                    "23502",
                    format!(
                        "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                        c.name, self.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The CHECK constraints, in name order: a row fails the first whose condition is false
    /// (NULL passes), with PostgreSQL's 23514.
    pub(super) fn check_constraints(&self, row: &[Value]) -> Result<(), SqlError> {
        if self.checks.is_empty() {
            return Ok(());
        }
        let r = TableRef {
            name: self.name.clone(),
            alias: None,
        };
        let scope = self.own_scope(&r);
        for c in &self.checks {
            let b = scope.condition(&c.expr, "CHECK")?;
            if matches!(eval(&b, row)?, Value::Bool(false)) {
                let shown: Vec<String> = row.iter().map(pg_text).collect();
                return Err(err(
                    "23514",
                    format!(
                        "new row for relation \"{}\" violates check constraint \"{}\"",
                        self.name, c.name
                    ),
                )
                .with_detail(format!("Failing row contains ({}).", shown.join(", "))));
            }
        }
        Ok(())
    }

    /// A column's DEFAULT, bound and cast to the column's type (NULL when it has none). A
    /// DEFAULT cannot use columns (0A000, as PostgreSQL) nor parameters.
    pub(super) fn default_of(&self, c: &Column, clock: StmtClock) -> Result<B, SqlError> {
        let Some(e) = &c.default else {
            return Ok(B::Const(Value::Null));
        };
        let mut cols = Vec::new();
        columns_of(e, &mut cols);
        if !cols.is_empty() {
            return Err(err(
                "0A000",
                "cannot use column reference in DEFAULT expression",
            ));
        }
        let scope = Scope {
            table: None,
            params: Some(&[]),
            slots: Vec::new(),
            clock: Some(clock),
            excluded: Excluded::Absent,
        };
        let (b, ty) = scope.bind(e)?;
        assign(b, ty, c).map_err(|e| {
            if e.code == "42804" {
                err(
                    "42804",
                    format!(
                        "column \"{}\" is of type {} but default expression is of type {}",
                        c.name,
                        c.ty.pg_name(),
                        ty.name()
                    ),
                )
            } else {
                e
            }
        })
    }

    /// A scope over this table's row alone (constraints, defaults): no parameters.
    fn own_scope<'a>(&'a self, r: &'a TableRef) -> Scope<'a> {
        Scope {
            table: Some((self, r)),
            params: Some(&[]),
            slots: Vec::new(),
            clock: None,
            excluded: Excluded::Absent,
        }
    }

    /// "(1, FOOD)"; "(0,n)" for a table without primary key.
    pub(super) fn key_string(&self, key: &[Value]) -> String {
        if self.pk.is_empty() {
            return match key.first() {
                Some(Value::Int(n)) => format!("(0,{n})"),
                _ => "(0,0)".to_string(),
            };
        }
        let parts: Vec<String> = key.iter().map(pg_text).collect();
        format!("({})", parts.join(", "))
    }

    /// "(account_id, category_id)=(1, FOOD)" as PostgreSQL shows keys in messages.
    pub(super) fn blocked_key_string(&self, key: &[Value]) -> String {
        if self.pk.is_empty() {
            return self.key_string(key);
        }
        let names: Vec<&str> = self
            .pk
            .iter()
            .map(|&i| self.columns[i].name.as_str())
            .collect();
        format!("({})={}", names.join(", "), self.key_string(key))
    }
}
