//! AST → IR: the dispatch by statement kind, and the transaction statements.

use sqlparser::ast;

use super::advisory::advisory;
use super::common::{ident, ns};
use super::ddl::create_table;
use super::dml::{delete, insert, update};
use super::ir::{Isolation, Setting, SettingValue, Stmt, TxModes};
use super::select::select;
use crate::sql::error::SqlError;

pub(super) fn translate(stmt: ast::Statement) -> Result<Stmt, SqlError> {
    use ast::Statement as S;
    match stmt {
        S::Query(mut q) => match advisory(&mut q)? {
            Some(call) => Ok(call),
            None => Ok(Stmt::Select(select(&q)?)),
        },
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
            Ok(Stmt::Begin {
                start: !begin,
                modes: tx_modes(&modes)?,
            })
        }
        S::Set(ast::Set::SetTransaction {
            modes,
            snapshot,
            session,
        }) => {
            if snapshot.is_some() {
                return ns("SET TRANSACTION SNAPSHOT");
            }
            Ok(Stmt::SetTransaction {
                modes: tx_modes(&modes)?,
                session,
            })
        }
        S::Set(ast::Set::SingleAssignment {
            scope,
            hivevar: false,
            variable,
            values,
        }) => {
            let local = match scope {
                None | Some(ast::ContextModifier::Session) => false,
                Some(ast::ContextModifier::Local) => true,
                Some(_) => return ns("this form of SET"),
            };
            set_variable(&variable.to_string(), &values, local)
        }
        S::ShowVariable { variable } => {
            let name = variable
                .iter()
                .map(|i| i.value.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            match setting(&name) {
                Some(s) => Ok(Stmt::Show(s)),
                None => ns(format!("SHOW {name}")),
            }
        }
        S::Commit {
            chain, modifier, ..
        } => {
            if modifier.is_some() {
                return ns("this form of COMMIT");
            }
            Ok(Stmt::Commit { chain })
        }
        S::Rollback { chain, savepoint } => match savepoint {
            Some(_) if chain => ns("ROLLBACK TO SAVEPOINT … AND CHAIN"),
            Some(name) => Ok(Stmt::RollbackTo(ident(&name))),
            None => Ok(Stmt::Rollback { chain }),
        },
        S::Savepoint { name } => Ok(Stmt::Savepoint(ident(&name))),
        S::ReleaseSavepoint { name } => Ok(Stmt::Release(ident(&name))),
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

/// The transaction modes of BEGIN / SET TRANSACTION (the last of each kind wins, as in
/// PostgreSQL).
fn tx_modes(modes: &[ast::TransactionMode]) -> Result<TxModes, SqlError> {
    let mut out = TxModes::default();
    for mode in modes {
        match mode {
            ast::TransactionMode::IsolationLevel(level) => out.isolation = Some(isolation(level)?),
            ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {
                out.read_only = Some(false)
            }
            ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                out.read_only = Some(true)
            }
        }
    }
    Ok(out)
}

fn isolation(level: &ast::TransactionIsolationLevel) -> Result<Isolation, SqlError> {
    use ast::TransactionIsolationLevel as L;
    match level {
        L::ReadUncommitted => Ok(Isolation::ReadUncommitted),
        L::ReadCommitted => Ok(Isolation::ReadCommitted),
        L::RepeatableRead => Ok(Isolation::RepeatableRead),
        L::Serializable => Ok(Isolation::Serializable),
        other => ns(format!("ISOLATION LEVEL {other}")),
    }
}

fn setting(name: &str) -> Option<Setting> {
    Setting::ALL.into_iter().find(|s| s.name() == name)
}

/// `SET [LOCAL] name = value` for the settings the simulator models.
fn set_variable(name: &str, values: &[ast::Expr], local: bool) -> Result<Stmt, SqlError> {
    let lower = name.to_ascii_lowercase();
    let Some(setting) = setting(&lower) else {
        return ns(format!("SET {lower}"));
    };
    let value = match values {
        [ast::Expr::Identifier(i)] if i.value.eq_ignore_ascii_case("default") => {
            SettingValue::Default
        }
        [v] => {
            let text = match v {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    ast::Value::Boolean(b) => b.to_string(),
                    other => other.to_string(),
                },
                ast::Expr::Identifier(i) => i.value.clone(),
                other => other.to_string(),
            };
            setting_value(setting, &text)?
        }
        _ => return ns(format!("SET {lower} to a list")),
    };
    Ok(Stmt::Set {
        name: setting,
        value,
        local,
    })
}

fn setting_value(setting: Setting, text: &str) -> Result<SettingValue, SqlError> {
    let invalid = || {
        Err(SqlError::error(
            "22023",
            format!(
                "invalid value for parameter \"{}\": \"{text}\"",
                setting.name()
            ),
        ))
    };
    match setting {
        Setting::TransactionIsolation | Setting::DefaultTransactionIsolation => {
            match Isolation::from_name(text) {
                Some(i) => Ok(SettingValue::Isolation(i)),
                None => invalid(),
            }
        }
        Setting::DeadlockTimeout
        | Setting::LockTimeout
        | Setting::StatementTimeout
        | Setting::IdleInTransactionSessionTimeout
        | Setting::IdleSessionTimeout => millis(setting, text).map(SettingValue::Millis),
        Setting::TransactionReadOnly => match text.to_ascii_lowercase().as_str() {
            "on" | "true" | "yes" | "1" => Ok(SettingValue::Bool(true)),
            "off" | "false" | "no" | "0" => Ok(SettingValue::Bool(false)),
            _ => invalid(),
        },
    }
}

/// A time setting's value as PostgreSQL reads it: a number, optionally followed by a unit
/// (`us`, `ms`, `s`, `min`, `h`, `d`; none: milliseconds), rounded to whole milliseconds.
fn millis(setting: Setting, text: &str) -> Result<u64, SqlError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim());
    let invalid = |hint: bool| {
        let e = SqlError::error(
            "22023",
            format!(
                "invalid value for parameter \"{}\": \"{text}\"",
                setting.name()
            ),
        );
        if hint {
            e.with_hint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".")
        } else {
            e
        }
    };
    let Ok(n) = number.parse::<f64>() else {
        return Err(invalid(false));
    };
    let scale = match unit {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return Err(invalid(true)),
    };
    let ms = (n * scale).round();
    if !(0.0..=2_147_483_647.0).contains(&ms) {
        return Err(SqlError::error(
            "22023",
            format!(
                "{} ms is outside the valid range for parameter \"{}\" (0 .. 2147483647)",
                ms,
                setting.name()
            ),
        ));
    }
    Ok(ms as u64)
}
