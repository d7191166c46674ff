//! Redis's state as the page and the command line show it. A leaf.

use super::store::Stats;
use std::collections::BTreeMap;

/// A hash as one line: `{field: value, …}`.
pub fn render_hash(h: &BTreeMap<String, String>) -> String {
    let fields: Vec<String> = h.iter().map(|(f, v)| format!("{f}: {v}")).collect();
    format!("{{{}}}", fields.join(", "))
}

/// Redis's state as students see it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedisView {
    pub keys: Vec<RedisKey>,
    pub stats: Stats,
    /// "T1 watches balance:1 · MULTI, 2 queued".
    pub transactions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedisKey {
    pub key: String,
    pub value: String,
    /// "string" or "hash".
    pub kind: &'static str,
    /// Time left before the key expires (None: no expiry).
    pub ttl_ms: Option<u64>,
}
