//! What every translating file shares: the not-supported refusal, PostgreSQL's folding of
//! identifiers and its (public-schema) object names, and its wording of a syntax error at a token.

use std::fmt;

use sqlparser::ast;
use sqlparser::tokenizer::Location;

use crate::sql::error::SqlError;

pub(super) fn ns<T>(what: impl fmt::Display) -> Result<T, SqlError> {
    Err(SqlError::not_supported(what))
}

/// PostgreSQL folds unquoted identifiers to lower case.
pub(super) fn ident(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

pub(super) fn object_name(name: &ast::ObjectName) -> Result<String, SqlError> {
    let mut parts = Vec::new();
    for part in &name.0 {
        match part {
            ast::ObjectNamePart::Identifier(i) => parts.push(ident(i)),
            ast::ObjectNamePart::Function(_) => return ns(format!("the name {name}")),
        }
    }
    match parts.as_slice() {
        [one] => Ok(one.clone()),
        [schema, one] if schema == "public" => Ok(one.clone()),
        _ => ns(format!(
            "the qualified name {name} (schemas other than public)"
        )),
    }
}

pub(super) fn syntax_error_near(found: &str, loc: Location) -> SqlError {
    let message = if found == "EOF" {
        "syntax error at end of input".to_string()
    } else {
        format!("syntax error at or near \"{found}\"")
    };
    let err = SqlError::error("42601", message);
    match (usize::try_from(loc.line), usize::try_from(loc.column)) {
        (Ok(l), Ok(c)) if l > 0 && c > 0 => err.at(l, c),
        _ => err,
    }
}
