//! AST → IR for CREATE TABLE (columns, PRIMARY KEY, NOT NULL, CHECK) and column types.

use sqlparser::ast;

use super::common::{ident, ns, object_name};
use super::data_type::data_type;
use super::expr::expr;
use super::ir::{CheckDef, ColumnDef, CreateTable};
use crate::sql::error::SqlError;

pub(super) fn create_table(c: &ast::CreateTable) -> Result<CreateTable, SqlError> {
    if c.or_replace
        || c.temporary
        || c.unlogged
        || c.external
        || c.query.is_some()
        || c.like.is_some()
        || c.clone.is_some()
        || c.inherits.is_some()
        || c.partition_by.is_some()
        || c.partition_of.is_some()
        || c.on_commit.is_some()
    {
        return ns(
            "this form of CREATE TABLE (only column definitions and constraints are modelled)",
        );
    }
    let name = object_name(&c.name)?;
    let mut columns = Vec::new();
    let mut primary_key: Option<(Vec<String>, Option<String>)> = None;
    let mut checks = Vec::new();
    for col in &c.columns {
        columns.push(column_def(col, &name, &mut primary_key, &mut checks)?);
    }
    for constraint in &c.constraints {
        match constraint {
            ast::TableConstraint::PrimaryKey(pk) => {
                if primary_key.is_some() {
                    return Err(multiple_pk(&name));
                }
                let mut cols = Vec::new();
                for ic in &pk.columns {
                    match &ic.column.expr {
                        ast::Expr::Identifier(i) => cols.push(ident(i)),
                        other => return ns(format!("the key expression {other}")),
                    }
                }
                primary_key = Some((cols, pk.name.as_ref().map(ident)));
            }
            ast::TableConstraint::Unique(_) => return ns("UNIQUE constraints"),
            ast::TableConstraint::ForeignKey(_) => return ns("FOREIGN KEY constraints"),
            ast::TableConstraint::Check(ck) => checks.push(check(ck)?),
            other => return ns(format!("the table constraint {other}")),
        }
    }
    Ok(CreateTable {
        name,
        if_not_exists: c.if_not_exists,
        columns,
        primary_key,
        checks,
    })
}

fn check(c: &ast::CheckConstraint) -> Result<CheckDef, SqlError> {
    if c.no_inherit || c.enforced.is_some() {
        return ns("CHECK … NO INHERIT");
    }
    let e = expr(&c.expr)?;
    if e.contains_agg() {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in check constraints",
        ));
    }
    Ok(CheckDef {
        name: c.name.as_ref().map(ident),
        expr: e,
    })
}

/// One column definition; a column-level PRIMARY KEY is recorded in `primary_key`.
fn column_def(
    col: &ast::ColumnDef,
    table: &str,
    primary_key: &mut Option<(Vec<String>, Option<String>)>,
    checks: &mut Vec<CheckDef>,
) -> Result<ColumnDef, SqlError> {
    let col_name = ident(&col.name);
    let ty = data_type(&col.data_type)?;
    let mut not_null = false;
    let mut default = None;
    for opt in &col.options {
        match &opt.option {
            ast::ColumnOption::Null => {}
            ast::ColumnOption::NotNull => not_null = true,
            ast::ColumnOption::PrimaryKey(_) => {
                if primary_key.is_some() {
                    return Err(multiple_pk(table));
                }
                *primary_key = Some((vec![col_name.clone()], opt.name.as_ref().map(ident)));
            }
            ast::ColumnOption::Default(e) => {
                let e = expr(e)?;
                if e.contains_agg() {
                    return Err(SqlError::error(
                        "42803",
                        "aggregate functions are not allowed in DEFAULT expressions",
                    ));
                }
                default = Some(e);
            }
            ast::ColumnOption::Unique(_) => return ns("UNIQUE constraints"),
            ast::ColumnOption::ForeignKey(_) => return ns("REFERENCES (foreign keys)"),
            ast::ColumnOption::Check(ck) => {
                let mut def = check(ck)?;
                def.name = def.name.or_else(|| opt.name.as_ref().map(ident));
                checks.push(def);
            }
            ast::ColumnOption::Generated { .. } | ast::ColumnOption::Identity(_) => {
                return ns("generated/identity columns")
            }
            other => return ns(format!("the column option {other}")),
        }
    }
    Ok(ColumnDef {
        name: col_name,
        ty,
        not_null,
        default,
    })
}

fn multiple_pk(table: &str) -> SqlError {
    SqlError::error(
        "42P16",
        format!("multiple primary keys for table \"{table}\" are not allowed"),
    )
}
