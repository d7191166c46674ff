//! Bound expressions ([`B`], what `bind` makes of the IR's expressions) and their evaluation on
//! a row, with SQL's three-valued logic.

use super::error::{err, SqlError};
use super::prepare::{BinOp, SqlType};
use super::types::{cast_value, compare, int_range, num_err, text_of, Ty};
use crate::datetime::{add_interval, DtErr, Interval};
use crate::numeric::Numeric;
use crate::value::Value;

/// A bound (resolved, typed) expression.
#[derive(Clone, Debug)]
pub(super) enum B {
    Const(Value),
    Col(usize),
    Neg(Box<B>, Ty),
    Arith(BinOp, Box<B>, Box<B>, Ty),
    Concat(Box<B>, Box<B>),
    Cmp(BinOp, Box<B>, Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
    Not(Box<B>),
    IsNull(Box<B>, bool),
    /// An explicit (`::t`) or assignment cast; `explicit` truncates varchar(n) silently.
    Cast(Box<B>, SqlType, bool),
    /// The first non-NULL argument.
    Coalesce(Vec<B>),
    /// `round(numeric[, digits])`.
    Round(Box<B>, Option<Box<B>>),
}

/// Arithmetic on numerics (an integer operand is converted first).
fn numeric_arith(op: BinOp, l: Value, r: Value) -> Result<Value, SqlError> {
    let num = |v: Value| match v {
        Value::Num(n) => Ok(n),
        Value::Int(i) => Ok(Numeric::from_int(i)),
        _ => Err(internal("numeric arithmetic on a non-number")),
    };
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    let (x, y) = (num(l)?, num(r)?);
    let out = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => x.checked_div(y),
        BinOp::Mod => x.checked_rem(y),
        _ => return Err(internal("arithmetic operator")),
    };
    out.map(Value::Num).map_err(num_err)
}

pub(super) fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

pub(super) fn internal(what: &str) -> SqlError {
    err("XX000", format!("simulator internal error: {what}"))
}

pub(super) fn eval(b: &B, row: &[Value]) -> Result<Value, SqlError> {
    Ok(match b {
        B::Const(v) => v.clone(),
        B::Col(i) => row
            .get(*i)
            .cloned()
            .ok_or_else(|| internal("column index"))?,
        B::Neg(x, ty) => match eval(x, row)? {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(int_range(-i128::from(i), ty.sql())?),
            Value::Num(n) => Value::Num(n.negate()),
            v @ Value::Interval(_) => negate_interval(v)?,
            _ => return Err(internal("negation of a non-integer")),
        },
        B::Arith(op, l, r, ty) => {
            let (l, r) = (eval(l, row)?, eval(r, row)?);
            if *ty == Ty::Numeric {
                return numeric_arith(*op, l, r);
            }
            if ty.is_time() || *ty == Ty::Interval {
                return eval_time_arith(*op, l, r);
            }
            let (x, y) = match (l, r) {
                (Value::Int(x), Value::Int(y)) => (i128::from(x), i128::from(y)),
                (Value::Null, _) | (_, Value::Null) => return Ok(Value::Null),
                _ => return Err(internal("arithmetic on non-integers")),
            };
            let n = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div | BinOp::Mod if y == 0 => return Err(err("22012", "division by zero")),
                BinOp::Div => x / y,
                BinOp::Mod => x % y,
                _ => return Err(internal("arithmetic operator")),
            };
            Value::Int(int_range(n, ty.sql())?)
        }
        B::Concat(l, r) => match (eval(l, row)?, eval(r, row)?) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            (a, b) => Value::Text(format!("{}{}", text_of(&a), text_of(&b))),
        },
        B::Cmp(op, l, r) => {
            let (l, r) = (eval(l, row)?, eval(r, row)?);
            if l.is_null() || r.is_null() {
                return Ok(Value::Null);
            }
            let o = compare(&l, &r).ok_or_else(|| internal("comparison of different types"))?;
            use std::cmp::Ordering::*;
            Value::Bool(match op {
                BinOp::Eq => o == Equal,
                BinOp::NotEq => o != Equal,
                BinOp::Lt => o == Less,
                BinOp::LtEq => o != Greater,
                BinOp::Gt => o == Greater,
                BinOp::GtEq => o != Less,
                _ => return Err(internal("comparison operator")),
            })
        }
        B::And(l, r) => match eval(l, row)? {
            Value::Bool(false) => Value::Bool(false),
            lv => match (lv, eval(r, row)?) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Null,
            },
        },
        B::Or(l, r) => match eval(l, row)? {
            Value::Bool(true) => Value::Bool(true),
            lv => match (lv, eval(r, row)?) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Null,
            },
        },
        B::Not(x) => match eval(x, row)? {
            Value::Bool(v) => Value::Bool(!v),
            _ => Value::Null,
        },
        B::IsNull(x, negated) => Value::Bool(eval(x, row)?.is_null() != *negated),
        B::Cast(x, to, explicit) => cast_value(eval(x, row)?, *to, *explicit)?,
        B::Round(x, digits) => {
            let d = match digits {
                Some(d) => match eval(d, row)? {
                    Value::Int(i) => i32::try_from(i).unwrap_or(if i < 0 { -1000 } else { 1000 }),
                    _ => return Ok(Value::Null),
                },
                None => 0,
            };
            match eval(x, row)? {
                Value::Num(n) => Value::Num(n.round(d.clamp(-1000, 1000)).map_err(num_err)?),
                _ => Value::Null,
            }
        }
        B::Coalesce(args) => {
            for a in args {
                let v = eval(a, row)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
    })
}

/// Evaluates a date/time operator bound by [`bind_time_arith`].
fn eval_time_arith(op: BinOp, l: Value, r: Value) -> Result<Value, SqlError> {
    let range = |e: DtErr| match e {
        DtErr::Overflow | DtErr::Range => err("22008", "timestamp out of range"),
        _ => internal("timestamp arithmetic"),
    };
    let iv_range = || err("22008", "interval out of range");
    let neg = |i: Interval| i.checked_neg().ok_or_else(iv_range);
    Ok(match (op, l, r) {
        (_, Value::Null, _) | (_, _, Value::Null) => Value::Null,
        (BinOp::Add, Value::Timestamp(t), Value::Interval(i))
        | (BinOp::Add, Value::Interval(i), Value::Timestamp(t)) => {
            Value::Timestamp(add_interval(t, i).map_err(range)?)
        }
        (BinOp::Add, Value::TimestampTz(t), Value::Interval(i))
        | (BinOp::Add, Value::Interval(i), Value::TimestampTz(t)) => {
            Value::TimestampTz(add_interval(t, i).map_err(range)?)
        }
        (BinOp::Sub, Value::Timestamp(t), Value::Interval(i)) => {
            Value::Timestamp(add_interval(t, neg(i)?).map_err(range)?)
        }
        (BinOp::Sub, Value::TimestampTz(t), Value::Interval(i)) => {
            Value::TimestampTz(add_interval(t, neg(i)?).map_err(range)?)
        }
        (
            BinOp::Sub,
            Value::Timestamp(a) | Value::TimestampTz(a),
            Value::Timestamp(b) | Value::TimestampTz(b),
        ) => Value::Interval(Interval::between(a, b)),
        (BinOp::Add, Value::Interval(a), Value::Interval(b)) => {
            Value::Interval(a.checked_add(b).ok_or_else(iv_range)?)
        }
        (BinOp::Sub, Value::Interval(a), Value::Interval(b)) => {
            Value::Interval(a.checked_add(neg(b)?).ok_or_else(iv_range)?)
        }
        _ => return Err(internal("date/time operator")),
    })
}

/// `-interval`.
fn negate_interval(v: Value) -> Result<Value, SqlError> {
    match v {
        Value::Interval(i) => i
            .checked_neg()
            .map(Value::Interval)
            .ok_or_else(|| err("22008", "interval out of range")),
        Value::Null => Ok(Value::Null),
        _ => Err(internal("negation of a non-interval")),
    }
}
