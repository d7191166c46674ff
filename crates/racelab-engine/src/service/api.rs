//! The shared vocabulary of services: requests, replies, waits, footprints, views and the
//! [`Service`] trait every service implements. A leaf: it names each service's own types but
//! never a service's behaviour, so services import it without importing each other.

use super::aerospike::view::AsView;
use super::cassandra::cql::Cql;
use super::cassandra::view::CqlView;
use super::postgres::reply;
use super::postgres::sql::{Prepared, QueryResult, SqlError};
use super::postgres::view::PgView;
use super::redis::command::Command;
use super::redis::resp::Resp;
use super::redis::view::RedisView;
use super::zookeeper::request::ZkRequest;
use super::zookeeper::view::ZkView;
use crate::value::Value;
use std::fmt;

/// Index of a service in the lesson's `services` list (and in `World::services`).
pub type ServiceId = usize;

/// A client's connection to a service. Every client has one connection to every service, and
/// its id is the client's index.
pub type ConnId = usize;

/// A compiled script line for a service: the request and the script variables it reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Call {
    pub request: Request,
    /// Script variables passed as parameters, in order (`:name` in SQL becomes `$1`, ...).
    pub params: Vec<String>,
    /// Whether a reply carries values a line may assign (`x = SELECT …`); when false,
    /// `x = <call>` is refused with this explanation.
    pub no_values: Option<String>,
}

/// A request that does not fit the service's initial state (a table that does not exist, ...):
/// the 1-based (line, column) inside the request's text when known, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    pub position: Option<(usize, usize)>,
    pub message: String,
}

/// A setup line that failed: its 1-based line and column in the setup text, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A problem in a line addressed to a service: 0-based column in the line's text and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub col: usize,
    pub message: String,
}

/// A request, prepared when the lesson is checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Request {
    Sql(Prepared),
    Redis(Command),
    Aerospike(Command),
    Zk(ZkRequest),
    Cql(Cql),
    /// The test-only timer service: wait this many milliseconds.
    #[cfg(test)]
    Timer {
        wait_ms: u64,
    },
}

/// What a service answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    Sql(Result<QueryResult, SqlError>),
    Redis(Resp),
    Aerospike(AsReply),
    Zk(ZkReply),
    Cql(CqlReply),
    /// The call reached the service but no reply came in time (a timeout fault).
    Timeout(String),
    /// The client could not reach the service (or a request went to the wrong service: an
    /// engine bug, reported rather than panicking).
    ConnectionError(String),
    #[cfg(test)]
    Timer(u64),
}

impl Reply {
    /// The error text a request ends with when the reply is an error.
    pub fn error(&self) -> Option<String> {
        match self {
            Reply::Sql(Err(e)) => Some(e.to_string()),
            Reply::Sql(Ok(_)) => None,
            Reply::Redis(Resp::Error(e)) => Some(e.clone()),
            Reply::Redis(_) => None,
            Reply::Aerospike(AsReply::Error { code, message }) => {
                Some(format!("{code}: {message}"))
            }
            Reply::Aerospike(_) => None,
            Reply::Zk(ZkReply::Error { code, message }) => Some(format!("{code}: {message}")),
            Reply::Zk(_) => None,
            Reply::Cql(CqlReply::Error { code, message }) => Some(format!("{code}: {message}")),
            Reply::Cql(_) => None,
            Reply::ConnectionError(m) | Reply::Timeout(m) => Some(m.clone()),
            #[cfg(test)]
            Reply::Timer(_) => None,
        }
    }

    /// The code an `except` clause matches: the SQLSTATE (`40001`), the first word of a Redis
    /// error (`WRONGTYPE`, `ERR`), `connection` when the service could not be reached.
    pub fn code(&self) -> Option<String> {
        match self {
            Reply::Sql(Err(e)) => Some(e.code.clone()),
            Reply::Redis(Resp::Error(e)) => e.split_whitespace().next().map(String::from),
            Reply::Aerospike(AsReply::Error { code, .. }) => Some(code.clone()),
            Reply::Zk(ZkReply::Error { code, .. }) => Some(code.clone()),
            Reply::Cql(CqlReply::Error { code, .. }) => Some(code.clone()),
            Reply::ConnectionError(_) => Some("connection".into()),
            Reply::Timeout(_) => Some("timeout".into()),
            _ => None,
        }
    }

    /// The values `a, b = <call>` assigns: one per name. Errors are script errors.
    pub fn values(&self, names: &[String]) -> Result<Vec<Value>, String> {
        match self {
            Reply::Sql(Ok(r)) => reply::bind_row(r, names),
            Reply::Redis(Resp::Array(items)) if names.len() > 1 => Ok((0..names.len())
                .map(|i| items.get(i).map_or(Value::Null, Resp::value))
                .collect()),
            Reply::Redis(r) => Ok(vec![r.value(); names.len()]),
            Reply::Aerospike(r) => Ok((0..names.len()).map(|i| r.value(i)).collect()),
            Reply::Zk(r) => Ok(vec![r.value(); names.len()]),
            Reply::Cql(r) => Ok((0..names.len()).map(|i| r.value(i)).collect()),
            Reply::Sql(Err(_)) | Reply::ConnectionError(_) | Reply::Timeout(_) => {
                Err("an error reply has no values".into())
            }
            #[cfg(test)]
            Reply::Timer(t) => Ok(vec![Value::Int(*t as i64); names.len()]),
        }
    }

    /// A short rendering for the trace: `300`, `(1, 'FOOD')`, `UPDATE 1`, `no row`, an error.
    pub fn summary(&self) -> String {
        match self {
            Reply::Sql(Ok(r)) => reply::summarize(r),
            Reply::Sql(Err(e)) => e.to_string(),
            Reply::Redis(r) => r.render(),
            Reply::Aerospike(r) => r.render(),
            Reply::Zk(r) => r.render(),
            Reply::Cql(r) => r.render(),
            Reply::ConnectionError(m) => format!("connection error: {m}"),
            Reply::Timeout(m) => m.clone(),
            #[cfg(test)]
            Reply::Timer(t) => format!("woke at {t} ms"),
        }
    }
}

/// What an Aerospike-style operation answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AsReply {
    /// GET: the value (null when there is no record) and its generation (0: none).
    Record { value: Value, generation: u32 },
    /// PUT or CREATE: the record's new generation.
    Written { generation: u32 },
    /// DELETE: whether a record was removed.
    Deleted(bool),
    /// A result code (`GENERATION_ERROR`, `KEY_EXISTS_ERROR`, …) and what happened.
    Error { code: String, message: String },
}

impl AsReply {
    /// The i-th value `a, b = aerospike …` binds: GET gives value then generation.
    pub fn value(&self, i: usize) -> Value {
        match (self, i) {
            (AsReply::Record { value, .. }, 0) => value.clone(),
            (AsReply::Record { generation, .. }, _) => Value::Int(i64::from(*generation)),
            (AsReply::Written { generation }, _) => Value::Int(i64::from(*generation)),
            (AsReply::Deleted(b), _) => Value::Bool(*b),
            (AsReply::Error { .. }, _) => Value::Null,
        }
    }

    pub fn render(&self) -> String {
        match self {
            AsReply::Record { generation: 0, .. } => "no record".into(),
            AsReply::Record { value, generation } => format!("{value} (generation {generation})"),
            AsReply::Written { generation } => format!("written, generation {generation}"),
            AsReply::Deleted(true) => "deleted".into(),
            AsReply::Deleted(false) => "no record to delete".into(),
            AsReply::Error { code, message } => format!("{code}: {message}"),
        }
    }
}

/// What the lock service answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ZkReply {
    /// LOCK: the lock is the client's, with this fencing token.
    Granted {
        token: u64,
    },
    /// UNLOCK: the client's node is deleted.
    Released,
    /// TRYLOCK: another client holds or waits for the lock; nothing was created.
    NotAcquired,
    /// HOLDS: whether the client's session holds the lock now.
    Holds(bool),
    Error {
        code: String,
        message: String,
    },
}

impl ZkReply {
    pub fn error(code: &str, message: &str) -> ZkReply {
        ZkReply::Error {
            code: code.into(),
            message: message.into(),
        }
    }

    /// What `x = zk …` binds: the token, true/false, or null.
    pub fn value(&self) -> Value {
        match self {
            ZkReply::Granted { token } => Value::Int(*token as i64),
            ZkReply::Holds(b) => Value::Bool(*b),
            ZkReply::Released | ZkReply::NotAcquired | ZkReply::Error { .. } => Value::Null,
        }
    }

    pub fn render(&self) -> String {
        match self {
            ZkReply::Granted { token } => format!("locked, fencing token {token}"),
            ZkReply::Released => "unlocked".into(),
            ZkReply::NotAcquired => "not acquired (the lock is taken), null".into(),
            ZkReply::Holds(b) => b.to_string(),
            ZkReply::Error { code, message } => format!("{code}: {message}"),
        }
    }
}

/// What the Cassandra-like store answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CqlReply {
    /// A lightweight transaction: `[applied]`, and when not applied the values it compared.
    Applied {
        applied: bool,
        row: Vec<(String, Value)>,
    },
    /// SELECT: the row's selected columns, or no row.
    Row(Option<Vec<(String, Value)>>),
    /// A write without a condition.
    Done,
    Error {
        code: String,
        message: String,
    },
}

impl CqlReply {
    /// The i-th value a line binds: `[applied]` then the returned columns; a SELECT's columns.
    pub fn value(&self, i: usize) -> Value {
        match self {
            CqlReply::Applied { applied, .. } if i == 0 => Value::Bool(*applied),
            CqlReply::Applied { row, .. } => row.get(i - 1).map_or(Value::Null, |(_, v)| v.clone()),
            CqlReply::Row(Some(row)) => row.get(i).map_or(Value::Null, |(_, v)| v.clone()),
            _ => Value::Null,
        }
    }

    pub fn render(&self) -> String {
        let cols = |row: &[(String, Value)]| {
            row.iter()
                .map(|(c, v)| format!("{c} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            CqlReply::Applied { applied: true, .. } => "[applied] true".into(),
            CqlReply::Applied { row, .. } if row.is_empty() => "[applied] false".into(),
            CqlReply::Applied { row, .. } => format!("[applied] false ({})", cols(row)),
            CqlReply::Row(Some(row)) => cols(row),
            CqlReply::Row(None) => "no row".into(),
            CqlReply::Done => "done".into(),
            CqlReply::Error { code, message } => format!("{code}: {message}"),
        }
    }
}

/// Why a call waits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    /// A PostgreSQL row lock held by another connection's transaction.
    RowLock {
        table: String,
        /// The row's key as PostgreSQL shows it: `(account_id, category_id)=(1, FOOD)`.
        key: String,
        /// The connection whose transaction holds the lock (None: a session of no client).
        holder: Option<ConnId>,
    },
    /// A Redis subscriber's RECEIVE: a message on one of its channels.
    Message { channels: String },
    /// A lock of the lock service: its holder, and the node just ahead of the waiter's.
    ZkLock {
        path: String,
        holder: Option<ConnId>,
        ahead: ConnId,
    },
    #[cfg(test)]
    Timer { until: u64 },
}

/// The answer to a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exec {
    Done(Done),
    /// The client waits; its reply arrives later as a [`Wake`]. What the call touched before it
    /// waited comes with it.
    Blocked {
        wait: Wait,
        touches: Vec<Touch>,
    },
}

/// A call that finished at once, with the waiters it released.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Done {
    pub reply: Reply,
    pub touches: Vec<Touch>,
    pub woken: Vec<Wake>,
}

/// A waiting call of another connection that got its reply (a lock was released, a timer fired).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Wake {
    pub conn: ConnId,
    pub reply: Reply,
    pub touches: Vec<Touch>,
}

/// What firing a service's deadline did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fired {
    /// What happened, for the trace ("key balance:1 expired").
    pub what: String,
    pub touches: Vec<Touch>,
    pub woken: Vec<Wake>,
}

impl Fired {
    /// Items of `space` whose time ran out (`noun`: "key", "record"), as a timer reports them.
    pub fn expired(id: ServiceId, space: &str, noun: &str, gone: Vec<String>) -> Fired {
        Fired {
            what: match gone.as_slice() {
                [] => String::new(),
                [k] => format!("{noun} {k} expired"),
                many => format!("{noun}s {} expired", many.join(", ")),
            },
            touches: gone
                .into_iter()
                .map(|key| Touch {
                    service: id,
                    resource: Resource::Item {
                        space: space.to_string(),
                        key,
                    },
                    mode: Mode::Write,
                })
                .collect(),
            woken: Vec::new(),
        }
    }
}

/// What a step read or wrote: the footprint vocabulary every service shares.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Touch {
    pub service: ServiceId,
    pub resource: Resource,
    pub mode: Mode,
}

#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Resource {
    /// One item of a space: a row of a table, a key of a cache, a lock of a lock service.
    Item { space: String, key: String },
    /// A whole space (a table scan depends on every row, including rows that appear).
    Space(String),
    /// A connection's own state at the service (its transaction, its session).
    Conn(ConnId),
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Mode {
    Read,
    Write,
}

impl Touch {
    /// Whether two touches conflict: the same service and overlapping resources, at least one of
    /// them a write. A connection's state is written by every touch of it.
    pub fn conflicts(&self, other: &Touch) -> bool {
        use Resource::*;
        if self.service != other.service {
            return false;
        }
        let overlap = match (&self.resource, &other.resource) {
            (Item { space: s1, key: k1 }, Item { space: s2, key: k2 }) => s1 == s2 && k1 == k2,
            (Item { space: s1, .. }, Space(s2)) | (Space(s1), Item { space: s2, .. }) => s1 == s2,
            (Space(s1), Space(s2)) => s1 == s2,
            (Conn(c1), Conn(c2)) => return c1 == c2,
            _ => false,
        };
        overlap && (self.mode == Mode::Write || other.mode == Mode::Write)
    }
}

/// Whether two steps' footprints commute: no touch of one conflicts with a touch of the other.
/// Steps that commute give the same data in either order, which is what a partial-order
/// reduction needs to know (virtual time is another matter: see ARCHITECTURE.md).
pub fn independent(a: &[Touch], b: &[Touch]) -> bool {
    !a.iter().any(|x| b.iter().any(|y| x.conflicts(y)))
}

/// A service's state as the page and the command line show it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServiceView {
    Postgres(PgView),
    Redis(RedisView),
    Aerospike(AsView),
    Zk(ZkView),
    Cql(CqlView),
    #[cfg(test)]
    Timer(Vec<String>),
}

/// The interface every service implements. `Self::Request`, `Self::Reply` and `Self::Wait` are
/// the service's own types; [`ServiceState`] wraps them in the shared enums.
pub trait Service: Clone + fmt::Debug + PartialEq + Eq + std::hash::Hash {
    /// Sends `request` with `params` on connection `conn` at virtual time `now`.
    fn call(
        &mut self,
        id: ServiceId,
        conn: ConnId,
        request: &Request,
        params: &[Value],
        now: u64,
    ) -> Exec;
    /// The client behind `conn` died: the service drops the connection.
    fn disconnect(&mut self, id: ServiceId, conn: ConnId, now: u64) -> Done;
    /// The earliest virtual time at which the service must act by itself.
    fn next_deadline(&self) -> Option<u64> {
        None
    }
    /// The client behind `conn` is paused (a sleep fault) from `from` to `until`: its process
    /// does nothing, heartbeats included.
    fn pause(&mut self, _id: ServiceId, _conn: ConnId, _from: u64, _until: u64) {}
    /// Whether the state keeps virtual times of its own that [`Service::forget_times`] would
    /// clear.
    fn keeps_times(&self) -> bool {
        false
    }
    /// Clears the virtual times the state keeps (when waits began), for comparing worlds
    /// without their times (see `Model::timeless`).
    fn forget_times(&mut self) {}
    /// Acts at `now` (a deadline ≤ `now` was reached); `name` names a connection's client in
    /// what it reports.
    fn fire(&mut self, _id: ServiceId, _now: u64, _name: &dyn Fn(ConnId) -> String) -> Fired {
        Fired::default()
    }
    /// Plan-time check of a request against the service's initial state (tables exist, ...).
    fn check(&self, _request: &Request) -> Result<(), CheckError> {
        Ok(())
    }
    /// A read-only request used by an assertion, on the service's current state.
    fn query(&self, request: &Request) -> Reply;
    /// A counter the service keeps (Redis: `hits`, `misses`, `sets`, `deletes`, `expired`).
    fn counter(&self, _name: &str) -> Option<u64> {
        None
    }
    /// Locks held now (row locks, cache locks, ...), for the "no locks held" property.
    fn locks_held(&self) -> usize {
        0
    }
    /// The state at virtual time `now`, for the page and the command line; `name` names a
    /// connection's client.
    fn view(&self, name: &dyn Fn(ConnId) -> String, now: u64) -> ServiceView;
}

/// The reply to a request that reached a service of another kind (an engine bug, reported
/// rather than panicking).
pub(crate) fn wrong_service(title: &str) -> Reply {
    Reply::ConnectionError(format!(
        "internal error: a request reached {title} that is not for it"
    ))
}
