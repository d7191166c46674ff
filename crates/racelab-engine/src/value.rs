//! Values shared by the script language and the simulated PostgreSQL.

use std::fmt;

use crate::datetime::format_timestamp;
pub use crate::datetime::Interval;
pub use crate::numeric::Numeric;

/// A value a script variable can hold, a SQL parameter, or a cell of a query result.
///
/// Integers are `i64` here; the SQL side keeps its own column types (int4/int8) and checks
/// ranges when it stores or computes, as PostgreSQL does.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    /// An exact decimal (SQL `numeric`), shown with its scale: `100.50`.
    Num(Numeric),
    /// SQL `timestamp`: microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
    /// SQL `timestamptz`: microseconds since 1970-01-01 00:00:00 UTC (shown in UTC).
    TimestampTz(i64),
    /// SQL `interval`.
    Interval(Interval),
}

impl Value {
    /// The name students see in error messages ("integer", "text", ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Text(_) => "text",
            Value::Num(_) => "numeric",
            Value::Timestamp(_) => "timestamp",
            Value::TimestampTz(_) => "timestamptz",
            Value::Interval(_) => "interval",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a table cell or a cache shows it: text without quotes, `NULL` for null.
    pub fn plain(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Null => "NULL".to_string(),
            other => other.to_string(),
        }
    }
}

/// Displays as a student expects to read it: `500`, `'FOOD'`, `true`, `null`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Value::Num(n) => write!(f, "{n}"),
            Value::Timestamp(t) => f.write_str(&format_timestamp(*t, false)),
            Value::TimestampTz(t) => f.write_str(&format_timestamp(*t, true)),
            Value::Interval(i) => write!(f, "{i}"),
        }
    }
}
