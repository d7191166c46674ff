//! Redis replies, as the RESP2 protocol carries them (what redis-py and redis-cli get from a
//! Redis 7 server that was not switched to RESP3).

use crate::value::Value;

#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Resp {
    /// `+OK`, `+QUEUED`, `+PONG`.
    Simple(String),
    /// `-ERR …`, `-WRONGTYPE …`, `-EXECABORT …`: the whole line after `-`.
    Error(String),
    Int(i64),
    Bulk(String),
    /// `$-1`: no value.
    Nil,
    Array(Vec<Resp>),
    /// `*-1`: EXEC of a transaction whose watched keys changed.
    NilArray,
}

impl Resp {
    pub fn ok() -> Resp {
        Resp::Simple("OK".into())
    }

    /// An `ERR …` error.
    pub fn err(message: impl Into<String>) -> Resp {
        Resp::Error(format!("ERR {}", message.into()))
    }

    pub fn wrong_type() -> Resp {
        Resp::Error("WRONGTYPE Operation against a key holding the wrong kind of value".into())
    }

    pub fn not_integer() -> Resp {
        Resp::err("value is not an integer or out of range")
    }

    pub fn syntax() -> Resp {
        Resp::err("syntax error")
    }

    pub fn bulk_or_nil(v: Option<&String>) -> Resp {
        v.map_or(Resp::Nil, |s| Resp::Bulk(s.clone()))
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_))
    }

    /// The value a script variable gets: text for a string, an integer, null for nil; an array
    /// gives its first element (bind several names to take several).
    pub fn value(&self) -> Value {
        match self {
            Resp::Simple(s) | Resp::Bulk(s) => Value::Text(s.clone()),
            Resp::Int(i) => Value::Int(*i),
            Resp::Nil | Resp::NilArray | Resp::Error(_) => Value::Null,
            Resp::Array(items) => items.first().map_or(Value::Null, Resp::value),
        }
    }

    /// The reply as redis-cli prints it, on one line: `OK`, `(nil)`, `(integer) 1`, `"500"`,
    /// `1) "a" 2) "b"`, `(error) ERR …`.
    pub fn render(&self) -> String {
        match self {
            Resp::Simple(s) => s.clone(),
            Resp::Error(e) => format!("(error) {e}"),
            Resp::Int(i) => format!("(integer) {i}"),
            Resp::Bulk(s) => format!("{s:?}"),
            Resp::Nil | Resp::NilArray => "(nil)".into(),
            Resp::Array(items) if items.is_empty() => "(empty array)".into(),
            Resp::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, r)| format!("{}) {}", i + 1, r.render()))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}
