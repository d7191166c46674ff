//! AST → IR for advisory-lock calls: `SELECT pg_advisory_lock(1)` and its kin, alone in a
//! SELECT without FROM (anything more around the call is refused).

use sqlparser::ast;

use super::common::{ident, ns};
use super::expr::expr;
use super::ir::{AdvisoryArg, AdvisoryCall, AdvisoryOp, Expr, Stmt};
use super::select::select;
use crate::sql::error::SqlError;

/// The advisory function a name calls: what it does, shared or exclusive, transaction level.
fn function(name: &str) -> Option<(AdvisoryOp, bool, bool)> {
    let rest = name.strip_prefix("pg_")?;
    if rest == "advisory_unlock_all" {
        return Some((AdvisoryOp::UnlockAll, false, false));
    }
    let (op, rest) = if let Some(r) = rest.strip_prefix("try_advisory_") {
        (AdvisoryOp::TryLock, r)
    } else if let Some(r) = rest.strip_prefix("advisory_unlock") {
        (AdvisoryOp::Unlock, r)
    } else {
        (AdvisoryOp::Lock, rest.strip_prefix("advisory_")?)
    };
    let (xact, rest) = match rest.strip_prefix("xact_") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = match op {
        AdvisoryOp::Unlock => rest,
        _ => rest.strip_prefix("lock")?,
    };
    let shared = match rest {
        "" => false,
        "_shared" => true,
        _ => return None,
    };
    // There is no pg_advisory_xact_unlock: transaction-level locks end with the transaction.
    if op == AdvisoryOp::Unlock && xact {
        return None;
    }
    Some((op, shared, xact))
}

/// The function call and its alias when `projection` is one function call.
fn call(projection: &[ast::SelectItem]) -> Option<(&ast::Function, Option<String>)> {
    let (e, alias) = match projection {
        [ast::SelectItem::UnnamedExpr(e)] => (e, None),
        [ast::SelectItem::ExprWithAlias { expr, alias }] => (expr, Some(ident(alias))),
        _ => return None,
    };
    match e {
        ast::Expr::Function(f) => Some((f, alias)),
        _ => None,
    }
}

/// `SELECT pg_advisory_…(…) [AS name]`: Some(statement); None when the query is not such a
/// call (it is translated as a SELECT).
///
/// When it is such a call, `q`'s projection is replaced by a constant (the call is moved out,
/// not cloned: a `Query::clone` here costs 11 KB of the gzipped wasm, measured).
pub(super) fn advisory(q: &mut ast::Query) -> Result<Option<Stmt>, SqlError> {
    let ast::SetExpr::Select(sel) = q.body.as_mut() else {
        return Ok(None);
    };
    let name = match call(&sel.projection) {
        Some((f, _)) => f.name.to_string().to_lowercase(),
        None => return Ok(None),
    };
    let Some((op, shared, xact)) = function(&name) else {
        return Ok(None);
    };
    // The rest of the query must be plain: translate it with the call replaced by a constant.
    let projection = std::mem::replace(
        &mut sel.projection,
        vec![ast::SelectItem::UnnamedExpr(ast::Expr::value(
            ast::Value::Number("1".to_string(), false),
        ))],
    );
    let Some((f, alias)) = call(&projection) else {
        return Ok(None);
    };
    let s = select(q)?;
    if s.from.is_some()
        || s.filter.is_some()
        || !s.order_by.is_empty()
        || s.limit.is_some()
        || s.offset.is_some()
        || s.lock.is_some()
    {
        return ns(format!("{name}() in a SELECT with more than the call"));
    }
    let plain_call = f.filter.is_none()
        && f.null_treatment.is_none()
        && f.over.is_none()
        && f.within_group.is_empty()
        && matches!(f.parameters, ast::FunctionArguments::None);
    let args: Vec<&ast::FunctionArg> = match &f.args {
        ast::FunctionArguments::List(l)
            if l.duplicate_treatment.is_none() && l.clauses.is_empty() =>
        {
            l.args.iter().collect()
        }
        ast::FunctionArguments::None => Vec::new(),
        _ => return ns(format!("this call of {name}()")),
    };
    if !plain_call {
        return ns(format!("this call of {name}()"));
    }
    let wanted = if op == AdvisoryOp::UnlockAll {
        0..=0
    } else {
        1..=2
    };
    if !wanted.contains(&args.len()) {
        return ns(format!("{name}() with {} arguments", args.len()));
    }
    let pair = args.len() == 2;
    let mut out = Vec::new();
    for a in args {
        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
            return ns(format!("the argument {a} of {name}()"));
        };
        out.push(match expr(e)? {
            Expr::Int(i) if !pair || i32::try_from(i).is_ok() => AdvisoryArg::Const(i),
            Expr::Param(n) => AdvisoryArg::Param(n),
            _ => {
                return ns(format!(
                    "the argument {e} of {name}() (integer constants and $n only)"
                ))
            }
        });
    }
    Ok(Some(Stmt::Advisory(AdvisoryCall {
        op,
        shared,
        xact,
        args: out,
        column: alias.unwrap_or(name),
    })))
}
