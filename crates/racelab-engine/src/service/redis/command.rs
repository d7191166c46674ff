//! A prepared Redis command: words made of literal text and script variables. A leaf.

use crate::value::Value;

/// A word of a Redis line: literal text and script variables.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Part {
    Lit(String),
    /// The value of parameter number n (an index into the call's `params`).
    Param(usize),
}

/// A prepared Redis command: its words, each made of parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Command {
    pub words: Vec<Vec<Part>>,
}

/// A variable's value as a Redis argument (what redis-py sends for it).
fn arg(v: &Value) -> Result<String, String> {
    match v {
        Value::Text(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Num(n) => Ok(n.to_string()),
        v @ (Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_)) => Ok(v.to_string()),
        Value::Bool(b) => Ok(if *b { "1" } else { "0" }.to_string()),
        Value::Null => Err("a null value cannot be sent to Redis".into()),
    }
}

impl Command {
    /// The command's words with the parameters' values filled in.
    pub fn words(&self, params: &[Value]) -> Result<Vec<String>, String> {
        self.words
            .iter()
            .map(|parts| {
                parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) => Ok(s.clone()),
                        Part::Param(i) => params.get(*i).map_or(Ok(String::new()), arg),
                    })
                    .collect()
            })
            .collect()
    }
}
