//! The lock service's state as the page and the command line show it. A leaf.

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZkView {
    pub locks: Vec<ZkLockView>,
    /// Sessions that are not simply alive: "T1: session expired", "T1: no heartbeat, …".
    pub sessions: Vec<String>,
    /// The token the next grant gets.
    pub next_token: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZkLockView {
    pub path: String,
    pub holder: Option<String>,
    /// The holder's fencing token.
    pub token: u64,
    /// Waiting clients, in node order.
    pub waiters: Vec<String>,
}
