//! The trace: what happened, in order. It is the single source for replay (its choices), the UI
//! and explanations (its events).

use crate::sql::{BlockedOn, QueryResult, SqlError, Touch};
use crate::value::Value;
use std::fmt;

/// A fault the student (or the explorer) places before a script line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// The client process dies before the line runs: its connection drops, its open transaction
    /// rolls back and its locks are released.
    Exit,
    /// The client pauses this many virtual milliseconds before the line runs.
    Sleep(u64),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Exit => f.write_str("exit"),
            Fault::Sleep(ms) => write!(f, "sleep {ms}ms"),
        }
    }
}

/// The outcome of an SQL statement as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SqlOutcome {
    Ok(QueryResult),
    Err(SqlError),
    Blocked(BlockedOn),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// An SQL statement ran (or started waiting).
    Sql {
        outcome: SqlOutcome,
    },
    /// A statement that waited for a lock finished because the holder's transaction ended.
    Woken {
        outcome: SqlOutcome,
    },
    Assign {
        var: String,
        value: Value,
    },
    Branch {
        taken: bool,
    },
    Sleep {
        until: u64,
    },
    Return {
        value: Option<Value>,
    },
    Fail {
        message: String,
    },
    /// The script itself is wrong at run time (a null in arithmetic, a query returning two rows).
    ScriptError {
        message: String,
    },
    Fault {
        fault: Fault,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// Virtual time at which the event happened.
    pub time: u64,
    pub client: usize,
    /// The script line it belongs to.
    pub line: usize,
    pub kind: EventKind,
    /// What the event read or wrote, for explanations and (later) partial-order reduction.
    pub touches: Vec<Touch>,
}

/// Events plus the scheduling choices that produced them. Replaying `choices` on the same
/// lesson, variant and fault plan reproduces `events` exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Trace {
    /// Client chosen at each step.
    pub choices: Vec<usize>,
    pub events: Vec<Event>,
    /// `events[marks[i]..marks[i + 1]]` came from choice i.
    pub marks: Vec<usize>,
}

impl Trace {
    /// Index in `events` of the first event of the latest step (None before the first step).
    pub fn latest_step_start(&self) -> Option<usize> {
        self.marks.last().copied()
    }
}

/// Whether two steps' footprints commute: no row, table or transaction that one writes is read
/// or written by the other. Steps that commute can run in either order with the same result, which
/// is what a partial-order reduction needs to know.
pub fn independent(a: &[Touch], b: &[Touch]) -> bool {
    fn conflict(x: &Touch, y: &Touch) -> bool {
        use Touch::*;
        match (x, y) {
            (WriteRow { table: t1, key: k1 }, WriteRow { table: t2, key: k2 })
            | (WriteRow { table: t1, key: k1 }, ReadRow { table: t2, key: k2 })
            | (ReadRow { table: t1, key: k1 }, WriteRow { table: t2, key: k2 }) => {
                t1 == t2 && k1 == k2
            }
            // A scan depends on every row of its table, including rows that appear.
            (WriteRow { table: t1, .. }, ReadTable { table: t2 })
            | (ReadTable { table: t1 }, WriteRow { table: t2, .. }) => t1 == t2,
            (Transaction { session: s1 }, Transaction { session: s2 }) => s1 == s2,
            _ => false,
        }
    }
    !a.iter().any(|x| b.iter().any(|y| conflict(x, y)))
}

/// A short rendering of a query result: the single value, a row, or the command tag.
pub fn summarize(r: &QueryResult) -> String {
    match (r.rows.len(), r.columns.len()) {
        (1, 1) => r.rows[0][0].to_string(),
        (1, _) => {
            let cells: Vec<String> = r.rows[0].iter().map(|v| v.to_string()).collect();
            format!("({})", cells.join(", "))
        }
        (0, n) if n > 0 && r.tag.starts_with("SELECT") => "no row".to_string(),
        _ => r.tag.clone(),
    }
}
