//! A ZooKeeper-like lock service (seed 003): sessions that expire, locks as ephemeral sequential
//! nodes queued in order, and a fencing token with every grant.
//!
//! - Each client has a session. Its library heartbeats in the background while the process
//!   runs — also during a script's `sleep` (the process is alive, waiting). A process that is
//!   paused (a sleep fault: a GC pause, a stopped VM) or dead (an exit fault) sends nothing: its
//!   session expires once the session timeout has passed without a heartbeat, and the server
//!   then deletes its ephemeral nodes — the locks it held or waited for.
//! - `token = zk LOCK /locks/x` creates the client's sequential node under the path: the lowest
//!   node holds the lock. The call returns at once when it is the lowest, else it waits until
//!   every node before it is gone. Each grant takes the next fencing token (1, 2, 3, …): a write
//!   elsewhere can require a token newer than the last one it saw.
//! - `zk UNLOCK /locks/x` deletes the client's node; `held = zk HOLDS /locks/x` says whether the
//!   client's session still holds the lock (it may have expired during a pause: that is why
//!   fencing tokens exist).
//! - Calls of a client whose session expired fail with `SESSION_EXPIRED`.

pub mod request;
pub mod view;

use crate::service::api::{
    wrong_service, Call, ConnId, Done, Exec, Fired, LineError, Mode, Reply, Request, Resource,
    Service, ServiceId, ServiceView, Touch, Wait, Wake, ZkReply,
};
use crate::value::Value;
use request::{Op, ZkRequest};
use std::collections::BTreeMap;
use view::{ZkLockView, ZkView};

/// The session timeout when a lesson does not set `[timing] session_timeout`.
pub const DEFAULT_SESSION_TIMEOUT_MS: u64 = 10_000;

const SPACE: &str = "zookeeper locks";

pub fn parse(text: &str) -> Result<Call, LineError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let op = match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
        Some("LOCK") => Op::Lock,
        Some("TRYLOCK") => Op::TryLock,
        Some("UNLOCK") => Op::Unlock,
        Some("HOLDS") => Op::Holds,
        _ => {
            return Err(LineError {
                col: 0,
                message: "a zk line is LOCK, TRYLOCK, UNLOCK or HOLDS with a path, like `zk LOCK /locks/balance-1` (other ZooKeeper operations are not supported by the simulator)".into(),
            })
        }
    };
    match words.as_slice() {
        [_, path] if path.starts_with('/') => Ok(Call {
            request: Request::Zk(ZkRequest {
                op,
                path: path.to_string(),
            }),
            params: Vec::new(),
            no_values: None,
        }),
        _ => Err(LineError {
            col: 0,
            message: "write one path after the operation, like `zk LOCK /locks/balance-1`".into(),
        }),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// When the session expires unless a heartbeat arrives first (set when the client goes
    /// silent: paused or dead).
    pub expires_at: Option<u64>,
    pub expired: bool,
}

/// One lock path: its nodes in creation order (the first holds the lock) and the holder's token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct LockQueue {
    pub nodes: Vec<ConnId>,
    pub token: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Zk {
    pub timeout: u64,
    pub next_token: u64,
    pub sessions: BTreeMap<ConnId, Session>,
    pub locks: BTreeMap<String, LockQueue>,
}

impl Zk {
    pub fn new(timeout: u64) -> Zk {
        Zk {
            timeout,
            next_token: 1,
            sessions: BTreeMap::new(),
            locks: BTreeMap::new(),
        }
    }

    fn session(&mut self, conn: ConnId) -> &mut Session {
        self.sessions.entry(conn).or_insert(Session {
            expires_at: None,
            expired: false,
        })
    }

    fn grant(&mut self, path: &str) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        if let Some(q) = self.locks.get_mut(path) {
            q.token = token;
        }
        token
    }

    /// Removes a connection's node from one lock; if it held the lock, the next node's client
    /// gets it (and a new token).
    fn remove_node(&mut self, id: ServiceId, conn: ConnId, path: &str) -> Option<Wake> {
        let q = self.locks.get_mut(path)?;
        let pos = q.nodes.iter().position(|c| *c == conn)?;
        q.nodes.remove(pos);
        let next = q.nodes.first().copied().filter(|_| pos == 0);
        if q.nodes.is_empty() {
            self.locks.remove(path);
        }
        let next = next?;
        let token = self.grant(path);
        Some(Wake {
            conn: next,
            reply: Reply::Zk(ZkReply::Granted { token }),
            touches: vec![touch(id, path)],
        })
    }

    /// Removes every node of a connection (its session expired).
    fn remove_nodes(&mut self, id: ServiceId, conn: ConnId) -> (Vec<Touch>, Vec<Wake>) {
        let paths: Vec<String> = self
            .locks
            .iter()
            .filter(|(_, q)| q.nodes.contains(&conn))
            .map(|(p, _)| p.clone())
            .collect();
        let woken = paths
            .iter()
            .filter_map(|p| self.remove_node(id, conn, p))
            .collect();
        (paths.iter().map(|p| touch(id, p)).collect(), woken)
    }

    fn run(&mut self, id: ServiceId, conn: ConnId, req: &ZkRequest) -> Exec {
        let path = req.path.as_str();
        let done = |reply, woken| {
            Exec::Done(Done {
                reply: Reply::Zk(reply),
                touches: vec![touch(id, path)],
                woken,
            })
        };
        if self.session(conn).expired {
            let e = ZkReply::error(
                "SESSION_EXPIRED",
                "the session has expired; its lock nodes are gone",
            );
            return done(e, Vec::new());
        }
        let nodes = self
            .locks
            .get(path)
            .map(|q| q.nodes.clone())
            .unwrap_or_default();
        let pos = nodes.iter().position(|c| *c == conn);
        match (&req.op, pos) {
            (Op::TryLock, None) if !nodes.is_empty() => done(ZkReply::NotAcquired, Vec::new()),
            (Op::Lock | Op::TryLock, Some(_)) => done(
                ZkReply::error(
                    "ALREADY_LOCKED",
                    "this client already has a node on this lock",
                ),
                Vec::new(),
            ),
            (Op::Lock | Op::TryLock, None) => {
                self.locks
                    .entry(path.to_string())
                    .or_default()
                    .nodes
                    .push(conn);
                match nodes.last() {
                    None => done(
                        ZkReply::Granted {
                            token: self.grant(path),
                        },
                        Vec::new(),
                    ),
                    Some(&ahead) => Exec::Blocked {
                        wait: Wait::ZkLock {
                            path: path.to_string(),
                            holder: nodes.first().copied(),
                            ahead,
                        },
                        touches: vec![touch(id, path)],
                    },
                }
            }
            (Op::Unlock, None) => done(
                ZkReply::error("NOT_LOCKED", "this client holds no node on this lock"),
                Vec::new(),
            ),
            (Op::Unlock, Some(_)) => {
                let woken = self.remove_node(id, conn, path).into_iter().collect();
                done(ZkReply::Released, woken)
            }
            (Op::Holds, pos) => done(ZkReply::Holds(pos == Some(0)), Vec::new()),
        }
    }
}

fn touch(id: ServiceId, path: &str) -> Touch {
    Touch {
        service: id,
        resource: Resource::Item {
            space: SPACE.into(),
            key: path.to_string(),
        },
        mode: Mode::Write,
    }
}

impl Service for Zk {
    fn call(
        &mut self,
        id: ServiceId,
        conn: ConnId,
        request: &Request,
        _: &[Value],
        _: u64,
    ) -> Exec {
        match request {
            Request::Zk(req) => self.run(id, conn, req),
            _ => Exec::Done(Done {
                reply: wrong_service("ZooKeeper"),
                touches: Vec::new(),
                woken: Vec::new(),
            }),
        }
    }

    /// A dead client's session expires once the timeout passes without a heartbeat.
    fn disconnect(&mut self, _: ServiceId, conn: ConnId, now: u64) -> Done {
        let timeout = self.timeout;
        let s = self.session(conn);
        if !s.expired {
            s.expires_at = Some(s.expires_at.unwrap_or(u64::MAX).min(now + timeout));
        }
        Done {
            reply: Reply::Zk(ZkReply::Released),
            touches: Vec::new(),
            woken: Vec::new(),
        }
    }

    /// A paused client sends no heartbeat: a pause as long as the timeout expires its session.
    fn pause(&mut self, _: ServiceId, conn: ConnId, from: u64, until: u64) {
        let timeout = self.timeout;
        let s = self.session(conn);
        if !s.expired && until.saturating_sub(from) >= timeout {
            s.expires_at = Some(s.expires_at.unwrap_or(u64::MAX).min(from + timeout));
        }
    }

    fn next_deadline(&self) -> Option<u64> {
        self.sessions
            .values()
            .filter(|s| !s.expired)
            .filter_map(|s| s.expires_at)
            .min()
    }

    fn fire(&mut self, id: ServiceId, now: u64, name: &dyn Fn(ConnId) -> String) -> Fired {
        let due: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| !s.expired && s.expires_at.is_some_and(|t| t <= now))
            .map(|(c, _)| *c)
            .collect();
        let mut fired = Fired::default();
        for conn in &due {
            if let Some(s) = self.sessions.get_mut(conn) {
                s.expired = true;
            }
            let (touches, woken) = self.remove_nodes(id, *conn);
            fired.touches.extend(touches);
            fired.woken.extend(woken);
        }
        let names: Vec<String> = due.iter().map(|c| name(*c)).collect();
        fired.what = match names.as_slice() {
            [] => String::new(),
            [one] => format!("{one}'s session expired; its lock nodes are deleted"),
            many => format!(
                "the sessions of {} expired; their lock nodes are deleted",
                many.join(", ")
            ),
        };
        fired
    }

    fn query(&self, _: &Request) -> Reply {
        Reply::ConnectionError("assertions do not query ZooKeeper".into())
    }

    fn locks_held(&self) -> usize {
        self.locks.values().filter(|q| !q.nodes.is_empty()).count()
    }

    fn view(&self, name: &dyn Fn(ConnId) -> String, now: u64) -> ServiceView {
        ServiceView::Zk(ZkView {
            locks: self
                .locks
                .iter()
                .map(|(path, q)| ZkLockView {
                    path: path.clone(),
                    holder: q.nodes.first().map(|c| name(*c)),
                    token: q.token,
                    waiters: q.nodes.iter().skip(1).map(|c| name(*c)).collect(),
                })
                .collect(),
            sessions: self
                .sessions
                .iter()
                .filter_map(|(c, s)| {
                    let who = name(*c);
                    match (s.expired, s.expires_at) {
                        (true, _) => Some(format!("{who}: session expired")),
                        (false, Some(t)) => Some(format!(
                            "{who}: no heartbeat, session expires in {} ms",
                            t.saturating_sub(now)
                        )),
                        (false, None) => None,
                    }
                })
                .collect(),
            next_token: self.next_token,
        })
    }
}
