//! The trace: what happened, in order. It is the single source for replay (its actions), the UI
//! and explanations (its events).

use crate::fault::Fault;
use crate::model::world::Action;
use crate::service::api::{Reply, ServiceId, Touch, Wait};
use crate::value::Value;

/// What a call got at once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    Reply(Reply),
    /// The call waits; its reply comes later as an [`EventKind::Woken`].
    Waits(Wait),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A call to a service answered (or started waiting).
    Call {
        service: ServiceId,
        outcome: CallOutcome,
    },
    /// A call's error was caught by an `except` clause of a `try:`.
    Caught {
        service: ServiceId,
        reply: Reply,
        /// The line the `except` block starts at.
        at: usize,
    },
    /// `retry N`: back to the `try:` (again = true) or, the retries used up, on.
    Retry {
        attempt: u32,
        max: u32,
        again: bool,
    },
    /// A call that waited got its reply (the lock holder's transaction ended, a timer fired).
    Woken {
        service: ServiceId,
        reply: Reply,
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
    /// `log …`: a line of the operation log, variables filled in.
    Log {
        text: String,
    },
    /// A long-lived process starts its next request (`n` of `of`, arrived at `arrived` ms).
    NextRequest {
        n: usize,
        of: usize,
        arrived: u64,
    },
    /// A service acted by itself at a deadline.
    Timer {
        service: ServiceId,
        what: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// Virtual time at which the event happened.
    pub time: u64,
    /// The client it happened to (None: a service acting by itself).
    pub client: Option<usize>,
    /// The script line it belongs to (0 for a service's own event).
    pub line: usize,
    pub kind: EventKind,
    /// What the event read or wrote, for explanations and partial-order reduction.
    pub touches: Vec<Touch>,
    /// The line as it was sent, variables filled in (`redis GET product:phone-z1`), when it
    /// differs from the script's text.
    pub sent: Option<String>,
}

/// Events plus the actions that produced them. Replaying `actions` on the same lesson and
/// variant reproduces `events` exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Trace {
    pub actions: Vec<Action>,
    pub events: Vec<Event>,
    /// `events[marks[i]..marks[i + 1]]` came from action i.
    pub marks: Vec<usize>,
}

impl Trace {
    /// Index in `events` of the first event of the latest action (None before the first one).
    pub fn latest_step_start(&self) -> Option<usize> {
        self.marks.last().copied()
    }

    /// The events of the latest action.
    pub fn latest_events(&self) -> &[Event] {
        match self.latest_step_start() {
            Some(i) => &self.events[i..],
            None => &[],
        }
    }
}
