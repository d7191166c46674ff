//! Types and values: the static types of planning ([`Ty`]), integer ranges, the checks when a
//! value is stored, parsing and casts, text output, and comparison and sort order.

use super::error::{err, SqlError};
use super::prepare::SqlType;
use super::state::Column;
use crate::datetime::{
    format_timestamp, parse_interval, parse_timestamp, round_to_precision, DtErr,
};
use crate::numeric::{NumErr, Numeric};
use crate::value::Value;

/// A value as PostgreSQL's output functions print it (keys, `::text`, `||`).
pub(super) fn pg_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(true) => "t".to_string(),
        Value::Bool(false) => "f".to_string(),
        Value::Int(i) => i.to_string(),
        Value::Text(s) => s.clone(),
        Value::Num(n) => n.to_string(),
        Value::Timestamp(t) => format_timestamp(*t, false),
        Value::TimestampTz(t) => format_timestamp(*t, true),
        Value::Interval(i) => i.to_string(),
    }
}

/// A static type during planning. `Unknown` is PostgreSQL's type of an untyped literal
/// (`'500'`, NULL) before its context decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ty {
    Int2,
    Int4,
    Int8,
    Text,
    Varchar,
    Bool,
    Numeric,
    Timestamp,
    TimestampTz,
    Interval,
    Unknown,
}

impl Ty {
    pub(super) fn name(self) -> &'static str {
        match self {
            Ty::Int2 => "smallint",
            Ty::Int4 => "integer",
            Ty::Int8 => "bigint",
            Ty::Text => "text",
            Ty::Varchar => "character varying",
            Ty::Bool => "boolean",
            Ty::Numeric => "numeric",
            Ty::Timestamp => "timestamp without time zone",
            Ty::TimestampTz => "timestamp with time zone",
            Ty::Interval => "interval",
            Ty::Unknown => "unknown",
        }
    }

    pub(super) fn is_int(self) -> bool {
        matches!(self, Ty::Int2 | Ty::Int4 | Ty::Int8)
    }

    /// An integer or numeric: arithmetic applies.
    pub(super) fn is_num(self) -> bool {
        self.is_int() || self == Ty::Numeric
    }

    pub(super) fn is_str(self) -> bool {
        matches!(self, Ty::Text | Ty::Varchar)
    }

    pub(super) fn of(t: SqlType) -> Ty {
        match t {
            SqlType::Int2 => Ty::Int2,
            SqlType::Int4 => Ty::Int4,
            SqlType::Int8 => Ty::Int8,
            SqlType::Text => Ty::Text,
            SqlType::Varchar(_) => Ty::Varchar,
            SqlType::Bool => Ty::Bool,
            SqlType::Numeric(_) => Ty::Numeric,
            SqlType::Timestamp(_) => Ty::Timestamp,
            SqlType::TimestampTz(_) => Ty::TimestampTz,
            SqlType::Interval => Ty::Interval,
        }
    }

    /// A timestamp, with or without time zone.
    pub(super) fn is_time(self) -> bool {
        matches!(self, Ty::Timestamp | Ty::TimestampTz)
    }

    pub(super) fn int_literal(i: i64) -> Ty {
        if i32::try_from(i).is_ok() {
            Ty::Int4
        } else {
            Ty::Int8
        }
    }

    /// The SQL type a value of this static type is parsed as.
    pub(super) fn sql(self) -> SqlType {
        match self {
            Ty::Int2 => SqlType::Int2,
            Ty::Int4 => SqlType::Int4,
            Ty::Int8 => SqlType::Int8,
            Ty::Bool => SqlType::Bool,
            Ty::Numeric => SqlType::Numeric(None),
            Ty::Varchar => SqlType::Varchar(None),
            Ty::Timestamp => SqlType::Timestamp(None),
            Ty::TimestampTz => SqlType::TimestampTz(None),
            Ty::Interval => SqlType::Interval,
            Ty::Text | Ty::Unknown => SqlType::Text,
        }
    }
}

/// PostgreSQL's type categories (integers and numeric are both "numeric").
#[derive(PartialEq, Eq)]
pub(super) enum Category {
    Int,
    Str,
    Bool,
    DateTime,
    Timespan,
    Unknown,
}

pub(super) fn category(t: Ty) -> Category {
    match t {
        Ty::Int2 | Ty::Int4 | Ty::Int8 | Ty::Numeric => Category::Int,
        Ty::Text | Ty::Varchar => Category::Str,
        Ty::Bool => Category::Bool,
        Ty::Timestamp | Ty::TimestampTz => Category::DateTime,
        Ty::Interval => Category::Timespan,
        Ty::Unknown => Category::Unknown,
    }
}

pub(super) fn wider(a: Ty, b: Ty) -> Ty {
    if a == Ty::Numeric || b == Ty::Numeric {
        Ty::Numeric
    } else if a == Ty::Int8 || b == Ty::Int8 {
        Ty::Int8
    } else if a == Ty::Int4 || b == Ty::Int4 {
        Ty::Int4
    } else {
        Ty::Int2
    }
}

pub(super) fn int_range(n: i128, t: SqlType) -> Result<i64, SqlError> {
    let (lo, hi, msg) = match t {
        SqlType::Int2 => (
            i128::from(i16::MIN),
            i128::from(i16::MAX),
            "smallint out of range",
        ),
        SqlType::Int4 => (
            i128::from(i32::MIN),
            i128::from(i32::MAX),
            "integer out of range",
        ),
        _ => (
            i128::from(i64::MIN),
            i128::from(i64::MAX),
            "bigint out of range",
        ),
    };
    if n < lo || n > hi {
        return Err(err("22003", msg));
    }
    i64::try_from(n).map_err(|_| err("22003", msg))
}

/// The final check when a value goes into a column: integer range, varchar length.
pub(super) fn store(v: Value, col: &Column) -> Result<Value, SqlError> {
    match (&v, col.ty) {
        (Value::Int(i), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            Ok(Value::Int(int_range(i128::from(*i), t)?))
        }
        (Value::Num(x), SqlType::Numeric(Some((p, s)))) => Ok(Value::Num(fit(*x, p, s)?)),
        (Value::Timestamp(t), SqlType::Timestamp(Some(p))) => {
            Ok(Value::Timestamp(round_to_precision(*t, p)))
        }
        (Value::TimestampTz(t), SqlType::TimestampTz(Some(p))) => {
            Ok(Value::TimestampTz(round_to_precision(*t, p)))
        }
        (Value::Text(s), SqlType::Varchar(Some(n))) => {
            if s.chars().count() > n as usize {
                Err(err(
                    "22001",
                    format!("value too long for type character varying({n})"),
                ))
            } else {
                Ok(v)
            }
        }
        _ => Ok(v),
    }
}

pub(super) fn parse_int(s: &str, t: SqlType) -> Result<i64, SqlError> {
    let name = t.pg_name();
    let trimmed = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = trimmed
        .strip_prefix('-')
        .or_else(|| trimmed.strip_prefix('+'))
        .unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(
            "22P02",
            format!("invalid input syntax for type {name}: \"{s}\""),
        ));
    }
    let out_of_range = || {
        err(
            "22003",
            format!("value \"{s}\" is out of range for type {name}"),
        )
    };
    let n: i128 = trimmed
        .trim_start_matches('+')
        .parse()
        .map_err(|_| out_of_range())?;
    int_range(n, t).map_err(|_| out_of_range())
}

pub(super) fn parse_bool(s: &str) -> Result<bool, SqlError> {
    let t = s
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| t.len() >= min && word.starts_with(t.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || t == "on" || t == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || t == "0" {
        Ok(false)
    } else {
        Err(err(
            "22P02",
            format!("invalid input syntax for type boolean: \"{s}\""),
        ))
    }
}

/// A numeric error as PostgreSQL words it.
pub(super) fn num_err(e: NumErr) -> SqlError {
    match e {
        NumErr::DivisionByZero => err("22012", "division by zero"),
        NumErr::TooBig => SqlError::not_supported("a numeric value of more than 38 digits"),
    }
}

/// A numeric rounded to `numeric(p, s)`: 22003 when its integer part needs more than `p - s`
/// digits.
pub(super) fn fit(x: Numeric, p: u32, s: u32) -> Result<Numeric, SqlError> {
    let r = x.rescale(s).map_err(num_err)?;
    let max = p - s;
    if r.int_digits() > max {
        let bound = if max == 0 {
            "1".to_string()
        } else {
            format!("10^{max}")
        };
        return Err(err("22003", "numeric field overflow").with_detail(format!(
            "A field with precision {p}, scale {s} must round to an absolute value less than {bound}."
        )));
    }
    Ok(r)
}

pub(super) fn parse_numeric(s: &str) -> Result<Numeric, SqlError> {
    Numeric::parse(s).ok_or_else(|| {
        err(
            "22P02",
            format!("invalid input syntax for type numeric: \"{s}\""),
        )
    })
}

/// Casts a value to `to`; `explicit` casts truncate varchar(n) instead of failing.
pub(super) fn cast_value(v: Value, to: SqlType, explicit: bool) -> Result<Value, SqlError> {
    if let Some(out) = cast_time(&v, to)? {
        return Ok(out);
    }
    Ok(match (v, to) {
        (Value::Null, _) => Value::Null,
        (Value::Int(i), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            Value::Int(int_range(i128::from(i), t)?)
        }
        (Value::Text(s), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            Value::Int(parse_int(&s, t)?)
        }
        (Value::Bool(b), SqlType::Int2 | SqlType::Int4 | SqlType::Int8) => Value::Int(i64::from(b)),
        (Value::Num(x), t @ (SqlType::Int2 | SqlType::Int4 | SqlType::Int8)) => {
            let i = x
                .to_i64()
                .ok_or_else(|| err("22003", format!("{} out of range", t.pg_name())))?;
            Value::Int(int_range(i128::from(i), t)?)
        }
        (Value::Int(i), SqlType::Numeric(m)) => numeric_typmod(Numeric::from_int(i), m)?,
        (Value::Num(x), SqlType::Numeric(m)) => numeric_typmod(x, m)?,
        (Value::Text(s), SqlType::Numeric(m)) => numeric_typmod(parse_numeric(&s)?, m)?,
        (Value::Bool(_), SqlType::Numeric(_)) => {
            return Err(err("42846", "cannot cast type boolean to numeric"))
        }
        (Value::Num(_), SqlType::Bool) => {
            return Err(err("42846", "cannot cast type numeric to boolean"))
        }
        (Value::Bool(b), SqlType::Bool) => Value::Bool(b),
        (Value::Int(i), SqlType::Bool) => Value::Bool(i != 0),
        (Value::Text(s), SqlType::Bool) => Value::Bool(parse_bool(&s)?),
        (v, SqlType::Text) => Value::Text(text_of(&v)),
        (v, SqlType::Varchar(limit)) => {
            let s = text_of(&v);
            match limit {
                Some(n) if explicit && s.chars().count() > n as usize => {
                    Value::Text(s.chars().take(n as usize).collect())
                }
                _ => Value::Text(s),
            }
        }
        (v, t @ (SqlType::Timestamp(_) | SqlType::TimestampTz(_) | SqlType::Interval))
        | (v @ (Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_)), t) => {
            return Err(err(
                "42846",
                format!("cannot cast type {} to {}", pg_type_of(&v), t.pg_name()),
            ))
        }
    })
}

fn numeric_typmod(x: Numeric, m: Option<(u32, u32)>) -> Result<Value, SqlError> {
    Ok(Value::Num(match m {
        Some((p, s)) => fit(x, p, s)?,
        None => x,
    }))
}

/// Text conversion as the `::text` cast does it (booleans become "true"/"false").
pub(super) fn text_of(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        other => pg_text(other),
    }
}

pub(super) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        // Without and with time zone compare in the session's zone, UTC here.
        (
            Value::Timestamp(x) | Value::TimestampTz(x),
            Value::Timestamp(y) | Value::TimestampTz(y),
        ) => Some(x.cmp(y)),
        (Value::Interval(x), Value::Interval(y)) => Some(x.cmp_value(*y)),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Num(x), Value::Num(y)) => Some(x.cmp_value(*y)),
        (Value::Num(x), Value::Int(y)) => Some(x.cmp_value(Numeric::from_int(*y))),
        (Value::Int(x), Value::Num(y)) => Some(Numeric::from_int(*x).cmp_value(*y)),
        (Value::Text(x), Value::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

pub(super) fn compare_sort(
    a: &Value,
    b: &Value,
    desc: bool,
    nulls_first: bool,
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = compare(a, b).unwrap_or(Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// The PostgreSQL type name of a value (for cast errors).
fn pg_type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "unknown",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Text(_) => "text",
        Value::Num(_) => "numeric",
        Value::Timestamp(_) => "timestamp without time zone",
        Value::TimestampTz(_) => "timestamp with time zone",
        Value::Interval(_) => "interval",
    }
}

/// Casts to and between the date/time types, and text input of them (None: not such a cast).
fn cast_time(v: &Value, to: SqlType) -> Result<Option<Value>, SqlError> {
    let round = |t: i64, p: Option<u32>| p.map_or(t, |p| round_to_precision(t, p));
    Ok(Some(match (v, to) {
        (Value::Null, _) => return Ok(None),
        (Value::Text(s), SqlType::Timestamp(p)) => Value::Timestamp(round(
            parse_timestamp(s, false).map_err(|e| dt_err(e, s, to))?,
            p,
        )),
        (Value::Text(s), SqlType::TimestampTz(p)) => Value::TimestampTz(round(
            parse_timestamp(s, true).map_err(|e| dt_err(e, s, to))?,
            p,
        )),
        (Value::Text(s), SqlType::Interval) => {
            Value::Interval(parse_interval(s).map_err(|e| dt_err(e, s, to))?)
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), SqlType::Timestamp(p)) => {
            Value::Timestamp(round(*t, p))
        }
        (Value::Timestamp(t) | Value::TimestampTz(t), SqlType::TimestampTz(p)) => {
            Value::TimestampTz(round(*t, p))
        }
        (Value::Interval(i), SqlType::Interval) => Value::Interval(*i),
        _ => return Ok(None),
    }))
}

/// A date/time input error as PostgreSQL words it.
pub(super) fn dt_err(e: DtErr, input: &str, ty: SqlType) -> SqlError {
    // The names PostgreSQL's date/time input functions use.
    let name = match ty {
        SqlType::Timestamp(_) => "timestamp",
        other => other.pg_name(),
    };
    match e {
        DtErr::Syntax => err(
            "22007",
            format!("invalid input syntax for type {name}: \"{input}\""),
        ),
        DtErr::Range if ty == SqlType::Interval => err(
            "22015",
            format!("interval field value out of range: \"{input}\""),
        ),
        DtErr::Range => err(
            "22008",
            format!("date/time field value out of range: \"{input}\""),
        ),
        DtErr::Overflow => err("22008", "timestamp out of range"),
        DtErr::Unsupported => SqlError::not_supported(format!("the {name} input \"{input}\"")),
    }
}

/// A value in the form a unique index, GROUP BY and DISTINCT compare: numerics by value
/// (`1.0` and `1.00` are one key, as in PostgreSQL), others as they are.
pub(super) fn key_form(v: &Value) -> Value {
    match v {
        Value::Num(n) => Value::Num(n.normalized()),
        other => other.clone(),
    }
}
