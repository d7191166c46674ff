//! Aerospike's state as the page and the command line show it. A leaf.

/// Every record with its generation and the time it has left.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AsView {
    pub records: Vec<AsRecordView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AsRecordView {
    pub key: String,
    pub value: String,
    pub generation: u32,
    /// Time left before the record expires (None: no TTL).
    pub ttl_ms: Option<u64>,
}
