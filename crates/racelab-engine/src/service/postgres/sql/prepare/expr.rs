//! AST → IR for expressions: literals, columns, operators, casts, and the functions modelled
//! (aggregates, coalesce).

use sqlparser::ast;

use super::common::{ident, ns};
use super::data_type::data_type;
use super::ir::{AggFunc, BinOp, ClockFn, Expr, Func, UnOp};
use crate::numeric::Numeric;
use crate::sql::error::SqlError;

/// A number literal: an integer that fits in bigint is an integer, anything else (`100.5`,
/// larger integers) a numeric.
fn number(s: &str, negate: bool) -> Result<Expr, SqlError> {
    let is_int = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if is_int {
        if let Ok(v) = s.parse::<i128>() {
            let v = if negate { -v } else { v };
            if let Ok(v) = i64::try_from(v) {
                return Ok(Expr::Int(v));
            }
        }
    }
    match Numeric::parse(s) {
        Some(n) if s.len() <= 38 => Ok(Expr::Num(if negate { n.negate() } else { n })),
        _ => ns(format!("the numeric literal {s}")),
    }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

pub(super) fn expr(e: &ast::Expr) -> Result<Expr, SqlError> {
    use ast::Expr as E;
    Ok(match e {
        // sqlparser reads the keyword DEFAULT as a name; INSERT and UPDATE take it before here.
        E::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default") => {
            return Err(SqlError::error(
                "42601",
                "DEFAULT is not allowed in this context",
            ))
        }
        E::Identifier(i) => Expr::Column {
            table: None,
            name: ident(i),
        },
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, c] => Expr::Column {
                table: Some(ident(t)),
                name: ident(c),
            },
            _ => return ns(format!("the column reference {e}")),
        },
        E::Nested(inner) => expr(inner)?,
        E::Value(v) => value(&v.value)?,
        E::IsNull(x) => Expr::IsNull {
            expr: bx(expr(x)?),
            negated: false,
        },
        E::IsNotNull(x) => Expr::IsNull {
            expr: bx(expr(x)?),
            negated: true,
        },
        E::InList {
            expr: x,
            list,
            negated,
        } => Expr::InList {
            expr: bx(expr(x)?),
            list: list.iter().map(expr).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        E::Between {
            expr: x,
            negated,
            low,
            high,
        } => Expr::Between {
            expr: bx(expr(x)?),
            low: bx(expr(low)?),
            high: bx(expr(high)?),
            negated: *negated,
        },
        E::BinaryOp { left, op, right } => Expr::Binary {
            op: binary_op(op)?,
            left: bx(expr(left)?),
            right: bx(expr(right)?),
        },
        E::UnaryOp { op, expr: x } => unary(op, x)?,
        E::Cast {
            kind,
            expr: x,
            data_type: dt,
            format,
        } => cast(e, kind, x, dt, format.is_some())?,
        E::Function(f) => function(f)?,
        E::TypedString(ts) => typed_literal(e, &ts.data_type, &ts.value.value)?,
        E::Interval(iv) => interval_literal(e, iv)?,
        other => return refused(other),
    })
}

fn binary_op(op: &ast::BinaryOperator) -> Result<BinOp, SqlError> {
    use ast::BinaryOperator as B;
    Ok(match op {
        B::Plus => BinOp::Add,
        B::Minus => BinOp::Sub,
        B::Multiply => BinOp::Mul,
        B::Divide => BinOp::Div,
        B::Modulo => BinOp::Mod,
        B::StringConcat => BinOp::Concat,
        B::Eq => BinOp::Eq,
        B::NotEq => BinOp::NotEq,
        B::Lt => BinOp::Lt,
        B::LtEq => BinOp::LtEq,
        B::Gt => BinOp::Gt,
        B::GtEq => BinOp::GtEq,
        B::And => BinOp::And,
        B::Or => BinOp::Or,
        other => return ns(format!("the operator {other}")),
    })
}

/// A number literal under minus signs and parentheses, with whether an odd number of minus
/// signs negates it: PostgreSQL's grammar folds such minus signs into the constant (so
/// `-(-2147483648)` is the bigint 2147483648, not an int4 negated twice).
fn signed_literal(x: &ast::Expr, negative: bool) -> Option<(&str, bool)> {
    match x {
        ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::Number(s, _),
            ..
        }) => Some((s, negative)),
        ast::Expr::Nested(inner) => signed_literal(inner, negative),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => signed_literal(expr, !negative),
        _ => None,
    }
}

/// `-x`, `+x`, `NOT x`; a minus before a number literal is part of the literal.
fn unary(op: &ast::UnaryOperator, x: &ast::Expr) -> Result<Expr, SqlError> {
    Ok(match op {
        ast::UnaryOperator::Minus => match signed_literal(x, true) {
            Some((s, negative)) => number(s, negative)?,
            None => Expr::Unary {
                op: UnOp::Neg,
                expr: bx(expr(x)?),
            },
        },
        ast::UnaryOperator::Plus => Expr::Unary {
            op: UnOp::Plus,
            expr: bx(expr(x)?),
        },
        ast::UnaryOperator::Not => Expr::Unary {
            op: UnOp::Not,
            expr: bx(expr(x)?),
        },
        other => return ns(format!("the operator {other}")),
    })
}

/// `CAST(x AS t)` and `x::t` (`e` is the whole cast expression, for messages).
fn cast(
    e: &ast::Expr,
    kind: &ast::CastKind,
    x: &ast::Expr,
    dt: &ast::DataType,
    has_format: bool,
) -> Result<Expr, SqlError> {
    match kind {
        ast::CastKind::Cast | ast::CastKind::DoubleColon => {}
        _ => return ns(format!("{e}")),
    }
    if has_format {
        return ns("CAST … FORMAT");
    }
    Ok(Expr::Cast {
        expr: bx(expr(x)?),
        ty: data_type(dt)?,
    })
}

/// `timestamp '2024-01-01 10:00'` and the like: a cast of an untyped literal.
fn typed_literal(e: &ast::Expr, dt: &ast::DataType, v: &ast::Value) -> Result<Expr, SqlError> {
    match v {
        ast::Value::SingleQuotedString(s) => Ok(Expr::Cast {
            expr: bx(Expr::Str(s.clone())),
            ty: data_type(dt)?,
        }),
        _ => ns(format!("the typed literal {e}")),
    }
}

/// `interval '90 minutes'` (without SQL's field qualifiers such as `interval '1' hour`).
fn interval_literal(e: &ast::Expr, iv: &ast::Interval) -> Result<Expr, SqlError> {
    let plain = iv.leading_field.is_none()
        && iv.leading_precision.is_none()
        && iv.last_field.is_none()
        && iv.fractional_seconds_precision.is_none();
    match iv.value.as_ref() {
        ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::SingleQuotedString(s),
            ..
        }) if plain => Ok(Expr::Cast {
            expr: bx(Expr::Str(s.clone())),
            ty: super::ir::SqlType::Interval,
        }),
        _ => ns(format!("the interval literal {e}")),
    }
}

/// Expressions outside the modelled subset, named.
fn refused<T>(e: &ast::Expr) -> Result<T, SqlError> {
    use ast::Expr as E;
    match e {
        E::Subquery(_) | E::Exists { .. } | E::InSubquery { .. } => ns("subqueries"),
        E::Case { .. } => ns("CASE"),
        E::Like { .. } | E::ILike { .. } => ns("LIKE"),
        E::IsDistinctFrom(..) | E::IsNotDistinctFrom(..) => ns("IS [NOT] DISTINCT FROM"),
        E::IsTrue(_) | E::IsNotTrue(_) | E::IsFalse(_) | E::IsNotFalse(_) => {
            ns("IS [NOT] TRUE/FALSE")
        }
        E::Tuple(_) => ns("row constructors"),
        other => ns(format!("the expression {other}")),
    }
}

fn function(f: &ast::Function) -> Result<Expr, SqlError> {
    let name = f.name.to_string().to_lowercase();
    if f.over.is_some() {
        return ns("window functions");
    }
    if f.filter.is_some()
        || f.null_treatment.is_some()
        || !f.within_group.is_empty()
        || !matches!(f.parameters, ast::FunctionArguments::None)
    {
        return ns(format!("this call of {name}()"));
    }
    let (args, distinct, star) = match &f.args {
        ast::FunctionArguments::None => (Vec::new(), false, false),
        ast::FunctionArguments::Subquery(_) => return ns("subqueries"),
        ast::FunctionArguments::List(l) => {
            if !l.clauses.is_empty() {
                return ns(format!("ORDER BY or other clauses in {name}()"));
            }
            let distinct = matches!(
                l.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            );
            let mut args = Vec::new();
            let mut star = false;
            for a in &l.args {
                match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => args.push(expr(e)?),
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => star = true,
                    _ => return ns(format!("this argument of {name}()")),
                }
            }
            (args, distinct, star)
        }
    };
    let agg = match name.as_str() {
        "count" => Some(AggFunc::Count),
        "sum" => Some(AggFunc::Sum),
        "avg" => Some(AggFunc::Avg),
        "min" => Some(AggFunc::Min),
        "max" => Some(AggFunc::Max),
        _ => None,
    };
    if let Some(func) = agg {
        return match (func, star, distinct, args.len()) {
            (AggFunc::Count, true, false, 0) => Ok(Expr::Agg {
                func,
                arg: None,
                distinct: false,
            }),
            (_, false, _, 1) => {
                let arg = args.into_iter().next().map(Box::new);
                if arg.as_ref().is_some_and(|a| a.contains_agg()) {
                    return Err(SqlError::error(
                        "42803",
                        "aggregate function calls cannot be nested",
                    ));
                }
                Ok(Expr::Agg {
                    func,
                    arg,
                    distinct,
                })
            }
            _ => ns(format!("this call of {name}()")),
        };
    }
    if star || distinct {
        return ns(format!("this call of {name}()"));
    }
    let func = match name.as_str() {
        "now"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp"
        | "current_timestamp"
        | "localtimestamp"
            if args.is_empty() =>
        {
            Func::Clock(match name.as_str() {
                "now" => ClockFn::Now,
                "transaction_timestamp" => ClockFn::TransactionTimestamp,
                "statement_timestamp" => ClockFn::StatementTimestamp,
                "clock_timestamp" => ClockFn::ClockTimestamp,
                "current_timestamp" => ClockFn::CurrentTimestamp,
                _ => ClockFn::LocalTimestamp,
            })
        }
        "current_date" | "current_time" | "localtime" | "timeofday" | "date_trunc" | "extract"
        | "date_part" | "age" | "to_timestamp" | "to_char" | "make_interval" | "justify_hours"
        | "justify_days" | "pg_sleep" => return ns(format!("the function {name}()")),
        "coalesce" if !args.is_empty() => Func::Coalesce,
        "round" if (1..=2).contains(&args.len()) => Func::Round,
        "array_agg" | "string_agg" | "bool_and" | "bool_or" | "every" => {
            return ns(format!("the aggregate function {name}()"))
        }
        _ => return ns(format!("the function {name}()")),
    };
    Ok(Expr::Func { func, args })
}

fn value(v: &ast::Value) -> Result<Expr, SqlError> {
    use ast::Value as V;
    Ok(match v {
        V::Number(s, _) => number(s, false)?,
        V::SingleQuotedString(s) | V::EscapedStringLiteral(s) | V::UnicodeStringLiteral(s) => {
            Expr::Str(s.clone())
        }
        V::DollarQuotedString(d) => Expr::Str(d.value.clone()),
        V::Boolean(b) => Expr::Bool(*b),
        V::Null => Expr::Null,
        V::Placeholder(p) => match p.strip_prefix('$').map(str::parse::<usize>) {
            Some(Ok(n)) => Expr::Param(n),
            _ => return ns(format!("the placeholder {p} (use $1, $2, ...)")),
        },
        other => return ns(format!("the literal {other}")),
    })
}
