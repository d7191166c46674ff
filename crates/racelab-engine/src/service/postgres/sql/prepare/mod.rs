//! Parsing: SQL text → the simulator's own small statement IR.
//!
//! The grammar is sqlparser's (PostgreSQL dialect); this module only translates the parts of its
//! AST that the simulator models and rejects everything else with [`SqlError::not_supported`],
//! naming the construct. Names are resolved later, at execution, against the catalog of the
//! moment (as PostgreSQL's parse analysis does), so a `Prepared` can be made before its tables
//! exist.
//!
//! Files, from the bottom up: `ir` holds [`Prepared`] and the IR; `common` the helpers every
//! translating file shares (names, the not-supported refusal, syntax-error wording); `advisory`
//! (a SELECT that only calls an advisory-lock function); `ddl`
//! (CREATE TABLE, types), `expr`, `select` and `dml` (INSERT, UPDATE, DELETE) translate their
//! parts of the AST; `params` lists the `$n` a statement mentions; `translate` dispatches the AST by statement kind (and handles the
//! transaction statements); `parse` runs sqlparser and words syntax errors as PostgreSQL does.
//! This one only holds the entry points.

mod advisory;
mod common;
mod data_type;
mod ddl;
mod dml;
mod expr;
mod ir;
mod params;
mod parse;
mod select;
mod translate;

use std::sync::Arc;

use super::error::SqlError;
use ir::Inner;
use parse::parse_all;

pub(crate) use ir::{
    show_millis, AdvisoryArg, AdvisoryCall, AdvisoryOp, AggFunc, BinOp, CheckDef, ClockFn,
    ConflictTarget, CreateTable, Delete, DoUpdate, Expr, Func, Insert, LockWait, OnConflict,
    OrderItem, Select, SelectItem, Setting, SettingValue, SqlType, Stmt, Strength, TableRef,
    TxModes, UnOp, Update,
};
pub use ir::{Isolation, Prepared};

/// Parses exactly one statement (a trailing `;` is fine). Placeholders are `$1`, `$2`, ...
pub fn prepare(sql: &str) -> Result<Prepared, SqlError> {
    let mut stmts = parse_all(sql)?;
    match stmts.len() {
        0 => Err(SqlError::not_supported("an empty query")),
        1 => match stmts.pop() {
            Some((_, p)) => Ok(Prepared {
                inner: Arc::new(Inner {
                    stmt: p.inner.stmt.clone(),
                    text: sql.to_string(),
                    params: p.inner.params.clone(),
                }),
            }),
            None => Err(SqlError::not_supported("an empty query")),
        },
        _ => Err(SqlError::error(
            "42601",
            "cannot insert multiple commands into a prepared statement",
        )),
    }
}

/// Parses a multi-statement script (lesson setup). Returns each statement with the 1-based line
/// of `sql` on which it starts; errors carry position relative to the whole `sql` text.
pub fn prepare_script(sql: &str) -> Result<Vec<(usize, Prepared)>, SqlError> {
    parse_all(sql)
}
