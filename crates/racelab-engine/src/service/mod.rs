//! Services: the things clients talk to (PostgreSQL today; Redis, records with generations, a
//! lock service and a Cassandra-like store next). Every service implements [`Service`]; the
//! [`ServiceState`] enum dispatches to them, which keeps a world `Clone + Eq + Hash` without
//! `dyn`. The scheduler, faults, footprints, the trace and the views only ever see the shared
//! vocabulary of [`api`], never a service's internals.
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

pub mod aerospike;
pub mod api;
pub mod cassandra;
mod clock;
pub mod postgres;
pub mod redis;
#[cfg(test)]
pub mod timer;
pub mod zookeeper;

use crate::value::Value;
pub use api::{
    independent, Call, CheckError, ConnId, Done, Exec, Fired, LineError, Mode, Reply, Request,
    Resource, Service, ServiceId, ServiceView, SetupError, Touch, Wait, Wake,
};

/// The kinds of service a lesson can declare (`services = ["postgres"]`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Kind {
    Postgres,
    Redis,
    Aerospike,
    Zookeeper,
    Cassandra,
    /// A service that only exists in the engine's own tests: calls wait until a deadline.
    #[cfg(test)]
    Timer,
}

impl Kind {
    /// Every kind, in the order lessons list them in error messages.
    pub const ALL: &'static [Kind] = &[
        Kind::Postgres,
        Kind::Redis,
        Kind::Aerospike,
        Kind::Zookeeper,
        Kind::Cassandra,
        #[cfg(test)]
        Kind::Timer,
    ];

    /// The word a script line addressed to it starts with (`cql` for Cassandra, else its name).
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Cassandra => "cql",
            k => k.name(),
        }
    }

    /// The name a lesson uses for it in `services`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            Kind::Redis => "redis",
            Kind::Aerospike => "aerospike",
            Kind::Zookeeper => "zk",
            Kind::Cassandra => "cassandra",
            #[cfg(test)]
            Kind::Timer => "timer",
        }
    }

    /// The panel title students see.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            Kind::Redis => "Redis",
            Kind::Aerospike => "Aerospike",
            Kind::Zookeeper => "ZooKeeper",
            Kind::Cassandra => "Cassandra",
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
            Kind::Redis | Kind::Aerospike | Kind::Zookeeper | Kind::Cassandra => false,
            #[cfg(test)]
            Kind::Timer => false,
        }
    }

    /// Compiles the text of a line addressed to this kind into a call.
    pub fn parse(self, text: &str) -> Result<Call, LineError> {
        match self {
            Kind::Postgres => postgres::parse(text),
            Kind::Redis => redis::parse(text),
            Kind::Aerospike => aerospike::parse(text),
            Kind::Zookeeper => zookeeper::parse(text),
            Kind::Cassandra => cassandra::parse(text),
            #[cfg(test)]
            Kind::Timer => timer::parse(text),
        }
    }

    /// Default virtual duration of one call, in milliseconds (a lesson's `[timing]` overrides it).
    pub fn default_duration(self) -> u64 {
        match self {
            Kind::Postgres => 5,
            Kind::Redis | Kind::Aerospike | Kind::Zookeeper => 1,
            Kind::Cassandra => 3,
            #[cfg(test)]
            Kind::Timer => 1,
        }
    }
}

/// A service a lesson declares: its kind and the name its lines, timing, faults and panels use —
/// the kind's name (`"redis"`), or a name of the author's for a second instance
/// (`"sessions:redis"` in `services` declares a Redis named `sessions`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Decl {
    pub name: String,
    pub kind: Kind,
}

impl Decl {
    pub fn new(kind: Kind) -> Decl {
        Decl {
            name: kind.name().to_string(),
            kind,
        }
    }

    /// Whether this is the kind's default instance (named after it).
    pub fn is_default(&self) -> bool {
        self.name == self.kind.name()
    }

    /// The word its script lines start with: the kind's prefix (`cql`) for the default
    /// instance, the instance's name otherwise.
    pub fn prefix(&self) -> &str {
        if self.is_default() {
            self.kind.prefix()
        } else {
            &self.name
        }
    }

    /// The panel title: "Redis", or "Redis (sessions)" for a named instance.
    pub fn title(&self) -> String {
        if self.is_default() {
            self.kind.title().to_string()
        } else {
            format!("{} ({})", self.kind.title(), self.name)
        }
    }
}

/// One service's state inside a world. Dispatches to the service's module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ServiceState {
    Postgres(postgres::Postgres),
    Redis(redis::Redis),
    Aerospike(aerospike::Aerospike),
    Zk(zookeeper::Zk),
    Cassandra(cassandra::Cassandra),
    #[cfg(test)]
    Timer(timer::Timer),
}

macro_rules! dispatch {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            ServiceState::Postgres($s) => $body,
            ServiceState::Redis($s) => $body,
            ServiceState::Aerospike($s) => $body,
            ServiceState::Zk($s) => $body,
            ServiceState::Cassandra($s) => $body,
            #[cfg(test)]
            ServiceState::Timer($s) => $body,
        }
    };
}

impl ServiceState {
    pub fn kind(&self) -> Kind {
        match self {
            ServiceState::Postgres(_) => Kind::Postgres,
            ServiceState::Redis(_) => Kind::Redis,
            ServiceState::Aerospike(_) => Kind::Aerospike,
            ServiceState::Zk(_) => Kind::Zookeeper,
            ServiceState::Cassandra(_) => Kind::Cassandra,
            #[cfg(test)]
            ServiceState::Timer(_) => Kind::Timer,
        }
    }

    /// The simulated PostgreSQL, when this is one.
    pub fn postgres(&self) -> Option<&postgres::Postgres> {
        match self {
            ServiceState::Postgres(p) => Some(p),
            _ => None,
        }
    }

    /// The simulated Redis, when this is one.
    pub fn redis(&self) -> Option<&redis::Redis> {
        match self {
            ServiceState::Redis(r) => Some(r),
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
    pub fn pause(&mut self, id: ServiceId, conn: ConnId, from: u64, until: u64) {
        dispatch!(self, s => s.pause(id, conn, from, until))
    }
    pub fn keeps_times(&self) -> bool {
        dispatch!(self, s => s.keeps_times())
    }
    pub fn forget_times(&mut self) {
        dispatch!(self, s => s.forget_times())
    }
    pub fn fire(&mut self, id: ServiceId, now: u64, name: &dyn Fn(ConnId) -> String) -> Fired {
        dispatch!(self, s => s.fire(id, now, name))
    }
    pub fn check(&self, request: &Request) -> Result<(), CheckError> {
        dispatch!(self, s => s.check(request))
    }
    pub fn query(&self, request: &Request) -> Reply {
        dispatch!(self, s => s.query(request))
    }
    pub fn counter(&self, name: &str) -> Option<u64> {
        dispatch!(self, s => s.counter(name))
    }
    pub fn locks_held(&self) -> usize {
        dispatch!(self, s => s.locks_held())
    }
    pub fn view(&self, name: &dyn Fn(ConnId) -> String, now: u64) -> ServiceView {
        dispatch!(self, s => s.view(name, now))
    }
}
