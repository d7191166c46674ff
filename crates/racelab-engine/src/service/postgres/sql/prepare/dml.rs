//! AST → IR for INSERT, UPDATE and DELETE.

use sqlparser::ast;

use super::common::{ident, ns, object_name};
use super::expr::expr;
use super::ir::{ConflictTarget, Delete, DoUpdate, Expr, Insert, OnConflict, TableRef, Update};
use super::select::{returning, table_factor};
use crate::sql::error::SqlError;

pub(super) fn insert(i: &ast::Insert) -> Result<Insert, SqlError> {
    if i.or.is_some()
        || i.ignore
        || i.overwrite
        || !i.assignments.is_empty()
        || i.partitioned.is_some()
        || !i.after_columns.is_empty()
        || i.output.is_some()
        || i.replace_into
        || i.priority.is_some()
        || i.insert_alias.is_some()
        || i.settings.is_some()
        || i.format_clause.is_some()
        || i.multi_table_insert_type.is_some()
    {
        return ns("this form of INSERT");
    }
    let on_conflict = i.on.as_ref().map(on_conflict).transpose()?;
    let name = match &i.table {
        ast::TableObject::TableName(n) => object_name(n)?,
        _ => return ns("INSERT into a table function"),
    };
    let alias = i.table_alias.as_ref().map(|a| ident(&a.alias));
    let columns = if i.columns.is_empty() {
        None
    } else {
        let mut cols = Vec::new();
        for c in &i.columns {
            match c.0.as_slice() {
                [ast::ObjectNamePart::Identifier(id)] => cols.push(ident(id)),
                _ => return ns(format!("the insert column {c}")),
            }
        }
        Some(cols)
    };
    let Some(source) = &i.source else {
        // INSERT … DEFAULT VALUES: one row of defaults.
        return Ok(Insert {
            table: TableRef { name, alias },
            columns,
            rows: vec![Vec::new()],
            returning: returning(&i.returning)?,
            on_conflict,
        });
    };
    if source.with.is_some() {
        return ns("WITH (common table expressions)");
    }
    if source.order_by.is_some() || source.limit_clause.is_some() || !source.locks.is_empty() {
        return ns("this INSERT source");
    }
    let rows = values_rows(source.body.as_ref())?;
    Ok(Insert {
        table: TableRef { name, alias },
        columns,
        rows,
        returning: returning(&i.returning)?,
        on_conflict,
    })
}

/// `ON CONFLICT [target] DO NOTHING | DO UPDATE SET … [WHERE …]` (MySQL's ON DUPLICATE KEY
/// UPDATE is a syntax error, as in PostgreSQL).
fn on_conflict(on: &ast::OnInsert) -> Result<OnConflict, SqlError> {
    let ast::OnInsert::OnConflict(oc) = on else {
        return Err(SqlError::error(
            "42601",
            "syntax error at or near \"DUPLICATE\"",
        ));
    };
    let target = match &oc.conflict_target {
        None => None,
        Some(ast::ConflictTarget::Columns(cols)) => {
            Some(ConflictTarget::Columns(cols.iter().map(ident).collect()))
        }
        Some(ast::ConflictTarget::OnConstraint(name)) => {
            Some(ConflictTarget::Constraint(object_name(name)?))
        }
    };
    let update = match &oc.action {
        ast::OnConflictAction::DoNothing => None,
        ast::OnConflictAction::DoUpdate(u) => {
            let sets = assignments(&u.assignments)?;
            let filter = u.selection.as_ref().map(expr).transpose()?;
            if filter.as_ref().is_some_and(Expr::contains_agg) {
                return Err(SqlError::error(
                    "42803",
                    "aggregate functions are not allowed in WHERE",
                ));
            }
            Some(DoUpdate { sets, filter })
        }
    };
    Ok(OnConflict { target, update })
}

/// `SET col = expr, …` of UPDATE and ON CONFLICT DO UPDATE (None: `col = DEFAULT`).
fn assignments(list: &[ast::Assignment]) -> Result<Vec<(String, Option<Expr>)>, SqlError> {
    let mut sets = Vec::new();
    for a in list {
        let col = match &a.target {
            ast::AssignmentTarget::ColumnName(n) => match n.0.as_slice() {
                [ast::ObjectNamePart::Identifier(id)] => ident(id),
                _ => return ns(format!("the assignment target {n}")),
            },
            ast::AssignmentTarget::Tuple(_) => return ns("UPDATE … SET (a, b) = …"),
        };
        if is_default(&a.value) {
            sets.push((col, None));
            continue;
        }
        let e = expr(&a.value)?;
        if e.contains_agg() {
            return Err(SqlError::error(
                "42803",
                "aggregate functions are not allowed in UPDATE",
            ));
        }
        sets.push((col, Some(e)));
    }
    Ok(sets)
}

/// The rows of `INSERT … VALUES`, all of one width.
fn values_rows(body: &ast::SetExpr) -> Result<Vec<Vec<Option<Expr>>>, SqlError> {
    match body {
        ast::SetExpr::Values(v) => {
            let mut rows = Vec::new();
            for row in &v.rows {
                let mut out = Vec::new();
                for e in &row.content {
                    out.push(if is_default(e) { None } else { Some(expr(e)?) });
                }
                rows.push(out);
            }
            let width = rows.first().map(Vec::len).unwrap_or(0);
            if rows.iter().any(|r| r.len() != width) {
                return Err(SqlError::error(
                    "42601",
                    "VALUES lists must all be the same length",
                ));
            }
            if rows.iter().flatten().flatten().any(Expr::contains_agg) {
                return Err(SqlError::error(
                    "42803",
                    "aggregate functions are not allowed in VALUES",
                ));
            }
            Ok(rows)
        }
        ast::SetExpr::Select(_) => ns("INSERT … SELECT"),
        _ => ns("this INSERT source"),
    }
}

/// The keyword `DEFAULT` in VALUES or SET (sqlparser reads it as an identifier).
fn is_default(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id)
        if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

pub(super) fn update(u: &ast::Update) -> Result<Update, SqlError> {
    if u.from.is_some() {
        return ns("UPDATE … FROM");
    }
    if u.output.is_some() || u.or.is_some() || !u.order_by.is_empty() || u.limit.is_some() {
        return ns("this form of UPDATE");
    }
    let table = table_factor(&u.table)?;
    let sets = assignments(&u.assignments)?;
    let filter = u.selection.as_ref().map(expr).transpose()?;
    if filter.as_ref().is_some_and(Expr::contains_agg) {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in WHERE",
        ));
    }
    Ok(Update {
        table,
        sets,
        filter,
        returning: returning(&u.returning)?,
    })
}

pub(super) fn delete(d: &ast::Delete) -> Result<Delete, SqlError> {
    if !d.tables.is_empty() || d.output.is_some() || !d.order_by.is_empty() || d.limit.is_some() {
        return ns("this form of DELETE");
    }
    if d.using.is_some() {
        return ns("DELETE … USING");
    }
    let from = match &d.from {
        ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
    };
    let table = match from.as_slice() {
        [one] => table_factor(one)?,
        _ => return ns("DELETE from several tables"),
    };
    let filter = d.selection.as_ref().map(expr).transpose()?;
    if filter.as_ref().is_some_and(Expr::contains_agg) {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in WHERE",
        ));
    }
    Ok(Delete {
        table,
        filter,
        returning: returning(&d.returning)?,
    })
}
