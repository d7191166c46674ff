//! Date/time operators and the clock functions: which operand types PostgreSQL 15 accepts and
//! what they give (binding), and their evaluation. The clock functions read the virtual clock
//! of the statement ([`StmtClock`]): `now()` is the transaction's start.

use super::bind::{bx, coerce, no_operator};
use super::error::{err, SqlError};
use super::eval::{internal, B};
use super::prepare::{BinOp, ClockFn};
use super::types::Ty;
use crate::datetime::{add_interval, DtErr, Interval, USECS_PER_SEC, VIRTUAL_EPOCH};
use crate::value::Value;

/// The virtual times a statement's clock functions read, in ms.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StmtClock {
    /// When the transaction began (BEGIN, or the statement itself outside a block).
    pub(super) xact: u64,
    /// When the statement began (before any lock wait).
    pub(super) stmt: u64,
    /// Now.
    pub(super) now: u64,
}

/// Derived from the world's time at each call, like [`super::state::Now`]: not server state.
impl PartialEq for StmtClock {
    fn eq(&self, _: &StmtClock) -> bool {
        true
    }
}

impl Eq for StmtClock {}

impl std::hash::Hash for StmtClock {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

fn micros(ms: u64) -> i64 {
    VIRTUAL_EPOCH + i64::try_from(ms).unwrap_or(i64::MAX / 2000) * (USECS_PER_SEC / 1000)
}

/// A clock function's value (None: a context without a clock, such as a CHECK constraint).
pub(super) fn clock_value(f: ClockFn, clock: Option<StmtClock>) -> Result<(B, Ty), SqlError> {
    let Some(c) = clock else {
        return Err(SqlError::not_supported(
            "a clock function in a CHECK constraint",
        ));
    };
    Ok(match f {
        ClockFn::Now | ClockFn::TransactionTimestamp | ClockFn::CurrentTimestamp => (
            B::Const(Value::TimestampTz(micros(c.xact))),
            Ty::TimestampTz,
        ),
        ClockFn::StatementTimestamp => (
            B::Const(Value::TimestampTz(micros(c.stmt))),
            Ty::TimestampTz,
        ),
        ClockFn::ClockTimestamp => (B::Const(Value::TimestampTz(micros(c.now))), Ty::TimestampTz),
        ClockFn::LocalTimestamp => (B::Const(Value::Timestamp(micros(c.xact))), Ty::Timestamp),
    })
}

fn is_time_ty(t: Ty) -> bool {
    t.is_time() || t == Ty::Interval
}

/// `+ - * / %` with a date/time operand (None: no operand is one). An untyped literal is
/// taken as the other operand's type where PostgreSQL has that operator, else as an interval.
pub(super) fn bind_time_arith(
    op: BinOp,
    (l, lt): (B, Ty),
    (r, rt): (B, Ty),
) -> Option<Result<(B, Ty), SqlError>> {
    if !is_time_ty(lt) && !is_time_ty(rt) {
        return None;
    }
    Some(bind_time_pair(op, (l, lt), (r, rt)))
}

fn bind_time_pair(op: BinOp, (l, lt): (B, Ty), (r, rt): (B, Ty)) -> Result<(B, Ty), SqlError> {
    let guess = |known: Ty| {
        if op == BinOp::Sub || known == Ty::Interval {
            known
        } else {
            Ty::Interval
        }
    };
    let (l, lt) = match lt {
        Ty::Unknown => (coerce(l, lt, guess(rt))?, guess(rt)),
        _ => (l, lt),
    };
    let (r, rt) = match rt {
        Ty::Unknown => (coerce(r, rt, guess(lt))?, guess(lt)),
        _ => (r, rt),
    };
    let out = match (op, lt, rt) {
        (BinOp::Add, t, Ty::Interval) | (BinOp::Sub, t, Ty::Interval) if t.is_time() => t,
        (BinOp::Add, Ty::Interval, t) if t.is_time() => t,
        (BinOp::Add | BinOp::Sub, Ty::Interval, Ty::Interval) => Ty::Interval,
        (BinOp::Sub, a, b) if a.is_time() && b.is_time() => Ty::Interval,
        (BinOp::Mul | BinOp::Div, Ty::Interval, n) | (BinOp::Mul, n, Ty::Interval)
            if n.is_num() =>
        {
            return Err(SqlError::not_supported(
                "multiplying or dividing an interval",
            ))
        }
        _ => return Err(no_operator(lt, op.symbol(), rt)),
    };
    Ok((B::Arith(op, bx(l), bx(r), out), out))
}

/// Evaluates a date/time operator bound by [`bind_time_arith`].
pub(super) fn eval_time_arith(op: BinOp, l: Value, r: Value) -> Result<Value, SqlError> {
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
pub(super) fn negate_interval(v: Value) -> Result<Value, SqlError> {
    match v {
        Value::Interval(i) => i
            .checked_neg()
            .map(Value::Interval)
            .ok_or_else(|| err("22008", "interval out of range")),
        Value::Null => Ok(Value::Null),
        _ => Err(internal("negation of a non-interval")),
    }
}
