//! A prepared `zk` line. A leaf.

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Lock,
    Unlock,
    Holds,
}

/// A prepared `zk` line: the operation and the lock's path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZkRequest {
    pub op: Op,
    pub path: String,
}
