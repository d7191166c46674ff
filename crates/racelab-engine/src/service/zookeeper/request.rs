//! A prepared `zk` line. A leaf.

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Op {
    Lock,
    /// Curator's `acquire(0, …)`: the lock now, or nothing (null) without waiting.
    TryLock,
    Unlock,
    Holds,
}

/// A prepared `zk` line: the operation and the lock's path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ZkRequest {
    pub op: Op,
    pub path: String,
}
