//! Faults: what can go wrong with a client, as first-class inputs (as deterministic simulation
//! testing treats them). A fault hits a client at a line, before it or after it
//! ([`Placement`]); the page and the command line plan faults by line ([`FaultPlan`]), an
//! explorer enumerates kinds × lines. Applying a fault (in `model/faults.rs`) is a pure function
//! of the world, like every other action.
//!
//! Adding a fault kind: see "How to add a fault kind" in ARCHITECTURE.md.

use crate::service::api::ServiceId;
use std::collections::BTreeMap;

/// Where a fault sits relative to its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// The line does not run.
    Before,
    /// The line runs (its call takes effect at the service), then the fault hits.
    After,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Fault {
    /// The client process dies before the line runs: its connections drop, so an open
    /// transaction rolls back and its locks are released.
    Exit,
    /// The line runs and takes effect at the service, then the process dies before it sees the
    /// reply (the documents' "Cache?": did the write happen?).
    ExitAfter,
    /// The client pauses this many virtual milliseconds before the line runs.
    Sleep(u64),
    /// The line's call never reaches its service: the client gets a connection error instead
    /// (at the time the reply would have come), which its `try:` / `except connection:` meets.
    Error,
    /// The line's call reaches its service and takes effect, but its reply is lost: the client
    /// gets a timeout error (`error_code` `timeout`) — did the write happen? (seed 000's
    /// "Cache?").
    Timeout,
    /// From this moment (the client reaching the line) the service is down: every call to it
    /// fails with a connection error without reaching it, until an `Up`.
    Down(ServiceId),
    /// The service is reachable again (and no longer slow).
    Up(ServiceId),
    /// From this moment every call to the service takes this many milliseconds longer.
    Slow(ServiceId, u64),
}

/// Whether a service answers, and how fast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Health {
    #[default]
    Up,
    Down,
    Slow(u64),
}

impl Fault {
    pub fn placement(self) -> Placement {
        match self {
            Fault::Exit
            | Fault::Sleep(_)
            | Fault::Error
            | Fault::Timeout
            | Fault::Down(_)
            | Fault::Up(_)
            | Fault::Slow(..) => Placement::Before,
            Fault::ExitAfter => Placement::After,
        }
    }

    /// Whether the fault takes the line's duration (the line runs, or its call fails when its
    /// reply would have come).
    pub fn takes_the_line_time(self) -> bool {
        matches!(self, Fault::ExitAfter | Fault::Error | Fault::Timeout)
    }

    /// Whether the fault only makes sense on a line that calls a service.
    pub fn needs_a_call(self) -> bool {
        matches!(self, Fault::Error | Fault::Timeout)
    }

    /// How the command line and share links write the kind: `exit`, `exit-after`, `error`,
    /// `sleep=MS`, `down=SERVICE`, `up=SERVICE`, `slow=SERVICE:MS`.
    pub fn spec(self, lesson: &dyn Names) -> String {
        let services = lesson.service_names();
        let name = |s: ServiceId| services.get(s).copied().unwrap_or("?");
        match self {
            Fault::Exit => "exit".into(),
            Fault::ExitAfter => "exit-after".into(),
            Fault::Error => "error".into(),
            Fault::Timeout => "timeout".into(),
            Fault::Sleep(ms) => format!("sleep={ms}"),
            Fault::Down(s) => format!("down={}", name(s)),
            Fault::Up(s) => format!("up={}", name(s)),
            Fault::Slow(s, ms) => format!("slow={}:{ms}", name(s)),
        }
    }

    /// The health a service fault sets, and for which service.
    pub fn health(self) -> Option<(ServiceId, Health)> {
        match self {
            Fault::Down(s) => Some((s, Health::Down)),
            Fault::Up(s) => Some((s, Health::Up)),
            Fault::Slow(s, ms) => Some((s, Health::Slow(ms))),
            _ => None,
        }
    }
}

/// The names faults are written with (`exit@T1:5`, `down=redis@T2:3`): the clients' and the
/// services', in order. A lesson provides them; this module does not know lessons.
pub trait Names {
    fn client_names(&self) -> Vec<&str>;
    fn service_names(&self) -> Vec<&str>;
}

impl<T: Names + ?Sized> Names for std::sync::Arc<T> {
    fn client_names(&self) -> Vec<&str> {
        (**self).client_names()
    }
    fn service_names(&self) -> Vec<&str> {
        (**self).service_names()
    }
}

/// Where faults go: (client, script line) → fault. A planned fault fires the first time the
/// client is about to run that line.
pub type FaultPlan = BTreeMap<(usize, usize), Fault>;

/// The fault kinds of a list such as `exit,error,sleep=60000` (`none` or empty: no faults),
/// each once, in order: what `racelab explore --faults` and the page's explorer take.
pub fn parse_kinds(lesson: &dyn Names, list: &str) -> Result<Vec<Fault>, String> {
    let mut out = Vec::new();
    for kind in list
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty() && *k != "none")
    {
        let f = parse_kind(lesson, kind).map_err(|why| format!("`{kind}` {why}"))?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Parses a fault as the command line and share links write it: `exit@T1:5`,
/// `exit-after@T1:4`, `sleep=60000@T2:3`.
pub fn parse_spec(lesson: &dyn Names, spec: &str) -> Result<((usize, usize), Fault), String> {
    let usage = "write a fault as exit@CLIENT:LINE, exit-after@CLIENT:LINE, error@CLIENT:LINE, timeout@CLIENT:LINE, sleep=MS@CLIENT:LINE, down=SERVICE@CLIENT:LINE, up=SERVICE@CLIENT:LINE or slow=SERVICE:MS@CLIENT:LINE (e.g. exit@T1:5)";
    let (kind, place) = spec
        .split_once('@')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let (client, line) = place
        .split_once(':')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let fault =
        parse_kind(lesson, kind).map_err(|why| format!("`{spec}`: `{kind}` {why}; {usage}"))?;
    let clients = lesson.client_names();
    let c = clients.iter().position(|c| *c == client).ok_or_else(|| {
        let names = &clients;
        format!(
            "`{spec}`: no client named {client} (clients: {})",
            names.join(", ")
        )
    })?;
    let line: usize = line
        .parse()
        .map_err(|_| format!("`{spec}`: the line must be a number"))?;
    Ok(((c, line), fault))
}

const NOT_A_KIND: &str = "is not a fault kind; the kinds are exit, exit-after, error, timeout, sleep=MS, down=SERVICE, up=SERVICE, slow=SERVICE:MS";

/// A fault kind as `--inject` writes it (before the `@`). Errors read after the kind: "`x` is
/// not a fault kind; …", "`down=db` has no service named db (services: …)".
fn parse_kind(lesson: &dyn Names, kind: &str) -> Result<Fault, String> {
    let services = lesson.service_names();
    let service = |name: &str| {
        services.iter().position(|d| *d == name).ok_or_else(|| {
            let names = &services;
            format!(
                "has no service named {name} (services: {})",
                names.join(", ")
            )
        })
    };
    let ms = |s: &str| {
        s.trim_end_matches("ms")
            .parse::<u64>()
            .map_err(|_| "needs a length in milliseconds".to_string())
    };
    match kind.split_once('=') {
        None if kind == "exit" => Ok(Fault::Exit),
        None if kind == "exit-after" => Ok(Fault::ExitAfter),
        None if kind == "error" => Ok(Fault::Error),
        None if kind == "timeout" => Ok(Fault::Timeout),
        Some(("sleep", v)) => Ok(Fault::Sleep(ms(v)?)),
        Some(("down", s)) => Ok(Fault::Down(service(s)?)),
        Some(("up", s)) => Ok(Fault::Up(service(s)?)),
        Some(("slow", v)) => {
            let (s, t) = v
                .split_once(':')
                .ok_or("needs a service and a length: slow=SERVICE:MS")?;
            Ok(Fault::Slow(service(s)?, ms(t)?))
        }
        _ => Err(NOT_A_KIND.into()),
    }
}
