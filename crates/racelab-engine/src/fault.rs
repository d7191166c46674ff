//! Faults: what can go wrong with a client, as first-class inputs (as deterministic simulation
//! testing treats them). A fault hits a client at a line, before it or after it
//! ([`Placement`]); the page and the command line plan faults by line ([`FaultPlan`]), an
//! explorer enumerates kinds × lines. Applying a fault (in `model/faults.rs`) is a pure function
//! of the world, like every other action.
//!
//! Adding a fault kind: see "How to add a fault kind" in ARCHITECTURE.md.

use crate::lesson::Lesson;
use std::collections::BTreeMap;

/// Where a fault sits relative to its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// The line does not run.
    Before,
    /// The line runs (its call takes effect at the service), then the fault hits.
    After,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
}

impl Fault {
    pub fn placement(self) -> Placement {
        match self {
            Fault::Exit | Fault::Sleep(_) | Fault::Error => Placement::Before,
            Fault::ExitAfter => Placement::After,
        }
    }

    /// Whether the fault takes the line's duration (the line runs, or its call fails when its
    /// reply would have come).
    pub fn takes_the_line_time(self) -> bool {
        matches!(self, Fault::ExitAfter | Fault::Error)
    }

    /// Whether the fault only makes sense on a line that calls a service.
    pub fn needs_a_call(self) -> bool {
        self == Fault::Error
    }

    /// How the command line and share links write the kind: `exit`, `exit-after`, `sleep=MS`.
    pub fn spec(self) -> String {
        match self {
            Fault::Exit => "exit".into(),
            Fault::ExitAfter => "exit-after".into(),
            Fault::Error => "error".into(),
            Fault::Sleep(ms) => format!("sleep={ms}"),
        }
    }
}

/// Where faults go: (client, script line) → fault. A planned fault fires the first time the
/// client is about to run that line.
pub type FaultPlan = BTreeMap<(usize, usize), Fault>;

/// Parses a fault as the command line and share links write it: `exit@T1:5`,
/// `exit-after@T1:4`, `sleep=60000@T2:3`.
pub fn parse_spec(lesson: &Lesson, spec: &str) -> Result<((usize, usize), Fault), String> {
    let usage = "write a fault as exit@CLIENT:LINE, exit-after@CLIENT:LINE, error@CLIENT:LINE or sleep=MS@CLIENT:LINE (e.g. exit@T1:5)";
    let (kind, place) = spec
        .split_once('@')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let (client, line) = place
        .split_once(':')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let fault = match kind.split_once('=') {
        None if kind == "exit" => Fault::Exit,
        None if kind == "exit-after" => Fault::ExitAfter,
        None if kind == "error" => Fault::Error,
        Some(("sleep", ms)) => {
            Fault::Sleep(ms.trim_end_matches("ms").parse().map_err(|_| {
                format!("`{spec}`: the sleep length must be a number of milliseconds")
            })?)
        }
        _ => return Err(format!("`{spec}`: {usage}")),
    };
    let c = lesson.client_index(client).ok_or_else(|| {
        let names: Vec<&str> = lesson.clients.iter().map(|c| c.name.as_str()).collect();
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
