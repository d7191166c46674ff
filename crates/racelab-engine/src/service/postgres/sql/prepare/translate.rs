//! AST → IR: the dispatch by statement kind, and the transaction statements.

use sqlparser::ast;

use super::common::ns;
use super::ddl::create_table;
use super::dml::{delete, insert, update};
use super::ir::Stmt;
use super::select::select;
use crate::sql::error::SqlError;

pub(super) fn translate(stmt: ast::Statement) -> Result<Stmt, SqlError> {
    use ast::Statement as S;
    match stmt {
        S::Query(q) => Ok(Stmt::Select(select(&q)?)),
        S::Insert(i) => Ok(Stmt::Insert(insert(&i)?)),
        S::Update(u) => Ok(Stmt::Update(update(&u)?)),
        S::Delete(d) => Ok(Stmt::Delete(delete(&d)?)),
        S::CreateTable(c) => Ok(Stmt::CreateTable(create_table(&c)?)),
        S::StartTransaction {
            modes,
            begin,
            modifier,
            statements,
            exception,
            has_end_keyword,
            ..
        } => {
            if modifier.is_some()
                || !statements.is_empty()
                || exception.is_some()
                || has_end_keyword
            {
                return ns("this form of BEGIN");
            }
            let mut read_only = false;
            for mode in &modes {
                match mode {
                    ast::TransactionMode::IsolationLevel(
                        ast::TransactionIsolationLevel::ReadCommitted,
                    ) => {}
                    ast::TransactionMode::IsolationLevel(level) => {
                        return ns(format!(
                            "ISOLATION LEVEL {level} (only READ COMMITTED is modelled)"
                        ))
                    }
                    ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {
                        read_only = false
                    }
                    ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                        read_only = true
                    }
                }
            }
            Ok(Stmt::Begin {
                start: !begin,
                read_only,
            })
        }
        S::Commit {
            chain, modifier, ..
        } => {
            if chain {
                return ns("COMMIT AND CHAIN");
            }
            if modifier.is_some() {
                return ns("this form of COMMIT");
            }
            Ok(Stmt::Commit)
        }
        S::Rollback { chain, savepoint } => {
            if chain {
                return ns("ROLLBACK AND CHAIN");
            }
            if savepoint.is_some() {
                return ns("ROLLBACK TO SAVEPOINT");
            }
            Ok(Stmt::Rollback)
        }
        other => {
            let text = other.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            let what = match words.as_slice() {
                [a, b] if ["CREATE", "DROP", "ALTER", "SET", "SHOW", "LOCK"].contains(a) => {
                    format!("{a} {b}")
                }
                [a, ..] => a.to_string(),
                [] => "this statement".to_string(),
            };
            ns(what)
        }
    }
}
