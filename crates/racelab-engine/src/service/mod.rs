//! Services: the things clients talk to (PostgreSQL today; Redis, records with generations, a
//! lock service and a Cassandra-like store next). Every service implements [`Service`]; the
//! [`ServiceState`] enum dispatches to them, which keeps a world `Clone + Eq + Hash` without
//! `dyn`. The scheduler, faults, footprints, the trace and the views only ever see this module's
//! types, never a service's internals.
//!
//! A service
//! - answers a call on a connection at a virtual time: at once ([`Exec::Done`]) or later
//!   ([`Exec::Blocked`], the client waits; the answer comes back as a [`Wake`]);
//! - loses a connection when its client dies ([`Service::disconnect`]);
//! - may need to act at a time of its own ([`Service::next_deadline`], [`Service::fire`]): a TTL
//!   runs out, a session expires, a lock wait times out;
//! - says what each call read and wrote ([`Touch`]), so an explorer can tell independent steps
//!   apart;
//! - shows its state ([`ServiceView`]) to the page and the command line.
//!
//! Each service also owns the syntax of the script lines sent to it ([`Kind::claims`],
//! [`Kind::parse`]). Adding a service: see "How to add a service" in ARCHITECTURE.md.

pub mod postgres;
#[cfg(test)]
pub mod timer;

use crate::value::Value;
use std::fmt;

/// Index of a service in the lesson's `services` list (and in `World::services`).
pub type ServiceId = usize;

/// A client's connection to a service. Every client has one connection to every service, and
/// its id is the client's index.
pub type ConnId = usize;

/// The kinds of service a lesson can declare (`services = ["postgres"]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Postgres,
    /// A service that only exists in the engine's own tests: calls wait until a deadline.
    #[cfg(test)]
    Timer,
}

impl Kind {
    /// Every kind, in the order lessons list them in error messages.
    pub const ALL: &'static [Kind] = &[
        Kind::Postgres,
        #[cfg(test)]
        Kind::Timer,
    ];

    /// The name a lesson uses for it, and the prefix of a script line addressed to it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            #[cfg(test)]
            Kind::Timer => "timer",
        }
    }

    /// The panel title students see.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            #[cfg(test)]
            Kind::Timer => "Timer",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Whether a script line without a service prefix is addressed to this kind (PostgreSQL
    /// claims lines that start with an SQL keyword).
    pub fn claims(self, line: &str) -> bool {
        match self {
            Kind::Postgres => postgres::claims(line),
            #[cfg(test)]
            Kind::Timer => false,
        }
    }

    /// Compiles the text of a line addressed to this kind into a call.
    pub fn parse(self, text: &str) -> Result<Call, LineError> {
        match self {
            Kind::Postgres => postgres::parse(text),
            #[cfg(test)]
            Kind::Timer => timer::parse(text),
        }
    }

    /// Default virtual duration of one call, in milliseconds (a lesson's `[timing]` overrides it).
    pub fn default_duration(self) -> u64 {
        match self {
            Kind::Postgres => 5,
            #[cfg(test)]
            Kind::Timer => 1,
        }
    }
}

/// A compiled script line for a service: the request and the script variables it reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// A problem in a line addressed to a service: 0-based column in the line's text and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub col: usize,
    pub message: String,
}

/// A request, prepared when the lesson is checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    Sql(crate::sql::Prepared),
    #[cfg(test)]
    Timer(timer::Req),
}

/// What a service answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    Sql(Result<crate::sql::QueryResult, crate::sql::SqlError>),
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
            Reply::ConnectionError(m) => Some(m.clone()),
            #[cfg(test)]
            Reply::Timer(_) => None,
        }
    }

    /// The values `a, b = <call>` assigns: one per name. Errors are script errors.
    pub fn values(&self, names: &[String]) -> Result<Vec<Value>, String> {
        match self {
            Reply::Sql(Ok(r)) => postgres::bind_row(r, names),
            Reply::Sql(Err(_)) | Reply::ConnectionError(_) => {
                Err("an error reply has no values".into())
            }
            #[cfg(test)]
            Reply::Timer(t) => Ok(vec![Value::Int(*t as i64); names.len()]),
        }
    }

    /// A short rendering for the trace: `300`, `(1, 'FOOD')`, `UPDATE 1`, `no row`, an error.
    pub fn summary(&self) -> String {
        match self {
            Reply::Sql(Ok(r)) => crate::trace::summarize(r),
            Reply::Sql(Err(e)) => e.to_string(),
            Reply::ConnectionError(m) => format!("connection error: {m}"),
            #[cfg(test)]
            Reply::Timer(t) => format!("woke at {t} ms"),
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

/// What a step read or wrote: the footprint vocabulary every service shares.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Touch {
    pub service: ServiceId,
    pub resource: Resource,
    pub mode: Mode,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// One item of a space: a row of a table, a key of a cache, a lock of a lock service.
    Item { space: String, key: String },
    /// A whole space (a table scan depends on every row, including rows that appear).
    Space(String),
    /// A connection's own state at the service (its transaction, its session).
    Conn(ConnId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceView {
    Postgres(postgres::PgView),
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
    /// Acts at `now` (a deadline ≤ `now` was reached).
    fn fire(&mut self, _id: ServiceId, _now: u64) -> Fired {
        Fired::default()
    }
    /// Plan-time check of a request against the service's initial state (tables exist, ...).
    fn check(&self, request: &Request) -> Result<(), CheckError>;
    /// A read-only request used by an assertion, on the service's current state.
    fn query(&self, request: &Request) -> Reply;
    /// Locks held now (row locks, cache locks, ...), for the "no locks held" property.
    fn locks_held(&self) -> usize {
        0
    }
    /// The state, for the page and the command line; `name` names a connection's client.
    fn view(&self, name: &dyn Fn(ConnId) -> String) -> ServiceView;
}

/// One service's state inside a world. Dispatches to the service's module.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServiceState {
    Postgres(postgres::Postgres),
    #[cfg(test)]
    Timer(timer::Timer),
}

macro_rules! dispatch {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            ServiceState::Postgres($s) => $body,
            #[cfg(test)]
            ServiceState::Timer($s) => $body,
        }
    };
}

impl ServiceState {
    pub fn kind(&self) -> Kind {
        match self {
            ServiceState::Postgres(_) => Kind::Postgres,
            #[cfg(test)]
            ServiceState::Timer(_) => Kind::Timer,
        }
    }

    /// The simulated PostgreSQL, when this is one.
    pub fn postgres(&self) -> Option<&postgres::Postgres> {
        match self {
            ServiceState::Postgres(p) => Some(p),
            #[cfg(test)]
            _ => None,
        }
    }

    pub fn call(
        &mut self,
        id: ServiceId,
        conn: ConnId,
        request: &Request,
        params: &[Value],
        now: u64,
    ) -> Exec {
        dispatch!(self, s => s.call(id, conn, request, params, now))
    }
    pub fn disconnect(&mut self, id: ServiceId, conn: ConnId, now: u64) -> Done {
        dispatch!(self, s => s.disconnect(id, conn, now))
    }
    pub fn next_deadline(&self) -> Option<u64> {
        dispatch!(self, s => s.next_deadline())
    }
    pub fn fire(&mut self, id: ServiceId, now: u64) -> Fired {
        dispatch!(self, s => s.fire(id, now))
    }
    pub fn check(&self, request: &Request) -> Result<(), CheckError> {
        dispatch!(self, s => s.check(request))
    }
    pub fn query(&self, request: &Request) -> Reply {
        dispatch!(self, s => s.query(request))
    }
    pub fn locks_held(&self) -> usize {
        dispatch!(self, s => s.locks_held())
    }
    pub fn view(&self, name: &dyn Fn(ConnId) -> String) -> ServiceView {
        dispatch!(self, s => s.view(name))
    }
}

/// The reply to a request that reached a service of another kind (an engine bug).
pub(crate) fn wrong_service(kind: Kind) -> Reply {
    Reply::ConnectionError(format!(
        "internal error: a request reached {} that is not for it",
        kind.title()
    ))
}
