//! The lesson file as serde reads it, before validation. Spans are kept for located errors.

use crate::value::Value;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLesson {
    pub title: String,
    pub source: Option<String>,
    pub intro: Option<String>,
    /// The services the clients talk to; `["postgres"]` when absent.
    pub services: Option<Spanned<Vec<Spanned<String>>>>,
    /// Milliseconds per step: `compute`, and one entry per service (`sql` is PostgreSQL's).
    #[serde(default)]
    pub timing: BTreeMap<Spanned<String>, Spanned<u64>>,
    /// PostgreSQL's setup SQL.
    pub setup: Option<Spanned<String>>,
    /// Redis commands run before any client, one per line.
    pub redis_setup: Option<Spanned<String>>,
    /// CQL statements (CREATE TABLE, INSERT) run before any client, one per line.
    pub cassandra_setup: Option<Spanned<String>>,
    /// Aerospike writes (`PUT balance:1 500`) run before any client, one per line.
    pub aerospike_setup: Option<Spanned<String>>,
    pub scripts: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(rename = "client")]
    pub clients: Vec<RawClient>,
    #[serde(rename = "variant", default)]
    pub variants: Vec<RawVariant>,
    #[serde(rename = "assert", default)]
    pub asserts: Vec<RawAssert>,
    #[serde(rename = "observe", default)]
    pub observes: Vec<RawObserve>,
    #[serde(rename = "goal", default)]
    pub goals: Vec<RawGoal>,
    /// Prose in other languages, by language tag (`[translations.ru]`).
    #[serde(default)]
    pub translations: BTreeMap<Spanned<String>, RawTranslation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClient {
    pub name: Spanned<String>,
    pub script: Spanned<String>,
    #[serde(default)]
    pub vars: BTreeMap<String, RawValue>,
    pub start: Option<Spanned<u64>>,
    /// The client's PostgreSQL isolation level (its session's default).
    pub isolation: Option<Spanned<String>>,
    /// A group of this many clients running the same script (`count = 100`), named NAME1…
    pub count: Option<Spanned<i64>>,
    /// A long-lived process: its script handles one request, arriving at each of these times.
    pub arrivals: Option<Spanned<Vec<i64>>>,
    /// A long-lived process serving this many requests back to back (from `start`).
    pub requests: Option<Spanned<i64>>,
    /// Clients (or groups) that must have ended before this one takes its first step.
    #[serde(default)]
    pub after: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVariant {
    pub name: Spanned<String>,
    /// Every client's PostgreSQL isolation level in this variant.
    pub isolation: Option<Spanned<String>>,
    #[serde(default)]
    pub explain: String,
    #[serde(default)]
    pub scripts: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub expect: BTreeMap<Spanned<String>, Spanned<String>>,
    /// The variant's case table: which faults, and the tally the author expects.
    pub explore: Option<RawExplore>,
    /// Faults that are part of the variant's story (`down=redis@OPS:2`): every run has them.
    #[serde(default)]
    pub faults: Vec<Spanned<String>>,
}

/// `[variant.explore]`: `faults = "exit,error"`, `max_faults = 1`, `tally = "3 ok / 4 bad"`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExplore {
    pub faults: Option<Spanned<String>>,
    pub max_faults: Option<usize>,
    /// The clients (or groups) faults are placed on (default: every client).
    pub clients: Option<Vec<Spanned<String>>>,
    pub tally: Option<Spanned<String>>,
    /// The source document's own tally of this case table, printed beside Racelab's.
    pub document: Option<String>,
    /// Each client group is explored with at most this many members (default 3).
    pub group_limit: Option<Spanned<i64>>,
}

/// A `[[goal]]`: a challenge for the student, "break it" or "fix it".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGoal {
    pub kind: Spanned<String>,
    pub variant: Spanned<String>,
    /// Break goals: the assertion the student makes fail.
    pub assert: Option<Spanned<String>>,
    /// Break goals: the fault kinds the student may place (none: the schedule alone).
    pub faults: Option<Spanned<String>>,
    pub says: String,
    #[serde(default)]
    pub hints: Vec<String>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum RawValue {
    Bool(bool),
    Int(i64),
    Text(String),
}

impl From<RawValue> for Value {
    fn from(v: RawValue) -> Value {
        match v {
            RawValue::Bool(b) => Value::Bool(b),
            RawValue::Int(i) => Value::Int(i),
            RawValue::Text(s) => Value::Text(s),
        }
    }
}

/// An `[[assert]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAssert {
    pub id: Spanned<String>,
    pub says: String,
    pub at: Option<Spanned<String>>,
    pub sql: Option<Spanned<String>>,
    pub redis: Option<Spanned<String>>,
    pub aerospike: Option<Spanned<String>>,
    pub cql: Option<Spanned<String>>,
    pub var: Option<Spanned<String>>,
    pub counter: Option<Spanned<String>>,
    pub equals_sql: Option<Spanned<String>>,
    pub missing_ok: Option<bool>,
    pub equals: Option<RawValue>,
    pub finish_within_ms: Option<u64>,
    pub clients: Option<Vec<Spanned<String>>>,
    pub no_locks_held: Option<bool>,
}

/// An `[[observe]]` entry as written: what the case table reports about each execution's end.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObserve {
    pub id: Spanned<String>,
    pub says: Option<String>,
    pub sql: Option<Spanned<String>>,
    pub redis: Option<Spanned<String>>,
    pub aerospike: Option<Spanned<String>>,
    pub cql: Option<Spanned<String>>,
    pub var: Option<Spanned<String>>,
    pub counter: Option<Spanned<String>>,
    pub locks: Option<bool>,
    pub equals_sql: Option<Spanned<String>>,
    /// What each observed value is called (`"500" = "DB unchanged"`; `"*"` for any other).
    #[serde(default)]
    pub words: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTranslation {
    pub title: Option<String>,
    pub intro: Option<String>,
    /// By the variant's name (or slug).
    #[serde(default)]
    pub variant: BTreeMap<Spanned<String>, RawVariantText>,
    /// By assertion or observation id.
    #[serde(default)]
    pub says: BTreeMap<Spanned<String>, String>,
    /// By observation id: observed value → words.
    #[serde(default)]
    pub words: BTreeMap<Spanned<String>, BTreeMap<String, String>>,
    /// One per `[[goal]]`, in order.
    #[serde(default)]
    pub goal: Vec<RawGoalText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVariantText {
    pub name: Option<String>,
    pub explain: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGoalText {
    pub says: Option<String>,
    #[serde(default)]
    pub hints: Vec<String>,
}
