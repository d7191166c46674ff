//! AST → IR for expressions: literals, columns, operators, casts, and the functions modelled
//! (count(*)).

use sqlparser::ast;

use super::common::{ident, ns};
use super::ddl::data_type;
use super::ir::{BinOp, Expr, UnOp};
use crate::sql::error::SqlError;

fn number(s: &str, negate: bool) -> Result<Expr, SqlError> {
    if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
        return ns(format!(
            "the numeric literal {s} (only integers are modelled)"
        ));
    }
    let v: i128 = match s.parse() {
        Ok(v) => v,
        Err(_) => return ns(format!("the numeric literal {s} (beyond bigint)")),
    };
    let v = if negate { -v } else { v };
    match i64::try_from(v) {
        Ok(v) => Ok(Expr::Int(v)),
        Err(_) => ns(format!("the numeric literal {s} (beyond bigint)")),
    }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

pub(super) fn expr(e: &ast::Expr) -> Result<Expr, SqlError> {
    use ast::Expr as E;
    Ok(match e {
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

/// `-x`, `+x`, `NOT x`; a minus before a number literal is part of the literal.
fn unary(op: &ast::UnaryOperator, x: &ast::Expr) -> Result<Expr, SqlError> {
    Ok(match op {
        ast::UnaryOperator::Minus => match x {
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::Number(s, _),
                ..
            }) => number(s, true)?,
            _ => Expr::Unary {
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
        E::TypedString(_) => ns(format!("the typed literal {e}")),
        E::Tuple(_) => ns("row constructors"),
        other => ns(format!("the expression {other}")),
    }
}

fn function(f: &ast::Function) -> Result<Expr, SqlError> {
    let name = f.name.to_string().to_lowercase();
    let is_star = match &f.args {
        ast::FunctionArguments::List(l) => {
            l.duplicate_treatment.is_none()
                && l.clauses.is_empty()
                && matches!(
                    l.args.as_slice(),
                    [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
                )
        }
        _ => false,
    };
    let plain = f.filter.is_none()
        && f.null_treatment.is_none()
        && f.over.is_none()
        && f.within_group.is_empty()
        && matches!(f.parameters, ast::FunctionArguments::None);
    if name == "count" && is_star && plain {
        return Ok(Expr::CountStar);
    }
    if f.over.is_some() {
        return ns("window functions");
    }
    let aggregate = [
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "array_agg",
        "string_agg",
    ];
    if aggregate.contains(&name.as_str()) {
        return ns(format!(
            "the aggregate function {name}() (only count(*) is modelled)"
        ));
    }
    ns(format!("the function {name}()"))
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
