//! The model's data: what a world is, what can happen to it, and the [`Model`] of a lesson
//! variant with its read-only accessors. A leaf of the model: the stepping logic (`mod.rs`,
//! `step.rs`, `faults.rs`) and everything that reads worlds (properties, words, views) import
//! it, never the other way round.

use crate::fault::{Fault, FaultPlan, Health};
use crate::lesson::Lesson;
use crate::property::observe::Observed;
use crate::property::Check;
use crate::script::{OpKind, Script};
use crate::service::postgres::Postgres;
use crate::service::{Kind, ServiceId, ServiceState, Wait};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// A run stops with an error after this many actions (a guard against scripts that never end).
pub const MAX_STEPS: usize = 10_000;

/// Where a client is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ready,
    /// Waits for a service's reply.
    Blocked {
        service: ServiceId,
        wait: Wait,
        since: u64,
    },
    Done {
        value: Option<Value>,
    },
    Failed {
        message: String,
    },
    Crashed,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientState {
    /// Index of the next op in the client's script.
    pub pc: usize,
    pub vars: BTreeMap<String, Value>,
    pub clock: u64,
    pub status: Status,
    /// Lines whose step has run.
    pub done_lines: BTreeSet<usize>,
    /// Lines before which a fault has fired.
    pub fired: BTreeSet<usize>,
    /// How many times each `retry` line (by line number) sent the client back.
    pub retries: BTreeMap<usize, u32>,
    /// The reply to the client's call in progress will be lost (a timeout fault).
    pub lose_reply: bool,
    pub sleeping_until: Option<u64>,
    pub finished_at: Option<u64>,
    /// A long-lived process (`arrivals` in the lesson): when each of its requests arrives
    /// (empty: the client runs its script once). Shared, never changed by a step.
    pub arrivals: Arc<[u64]>,
    /// The request it serves now (0-based; 0 for a client without arrivals).
    pub request: usize,
}

impl ClientState {
    /// Not started yet: no line run, no fault fired, still its first request.
    pub fn fresh(&self) -> bool {
        self.pc == 0 && self.done_lines.is_empty() && self.fired.is_empty() && self.request == 0
    }

    /// Starts the process's next request, if one is still to come: back to the first line at
    /// the later of its clock and the request's arrival, variables kept (the process's memory),
    /// `request` set to the request's number (from 1).
    pub(crate) fn next_request(&mut self) -> bool {
        let Some(&at) = self.arrivals.get(self.request + 1) else {
            return false;
        };
        self.request += 1;
        self.pc = 0;
        self.clock = self.clock.max(at);
        self.status = Status::Ready;
        self.done_lines.clear();
        self.retries.clear();
        self.finished_at = None;
        self.vars
            .insert("request".into(), Value::Int(self.request as i64 + 1));
        true
    }
}

/// Everything that changes during a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct World {
    pub clients: Vec<ClientState>,
    /// In the lesson's `services` order.
    pub services: Vec<ServiceState>,
    /// Whether each service answers (service faults change it).
    pub health: Vec<Health>,
    /// Time of the latest event.
    pub now: u64,
    /// "Always" properties (by index) that failed in some state so far: the first time and what
    /// was observed. Part of the world, so that worlds reached with and without a violation on
    /// the way are told apart.
    pub violations: BTreeMap<usize, (u64, String)>,
}

impl World {
    /// The lesson's PostgreSQL, if it declares one.
    pub fn postgres(&self) -> Option<&Postgres> {
        self.services.iter().find_map(ServiceState::postgres)
    }

    /// Locks held in every service (row locks, cache locks, ...).
    pub fn locks_held(&self) -> usize {
        self.services.iter().map(ServiceState::locks_held).sum()
    }

    /// The earliest service deadline, with its service (ties: the service declared first).
    pub fn next_deadline(&self) -> Option<(u64, ServiceId)> {
        self.services
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.next_deadline().map(|d| (d, i)))
            .min()
    }
}

/// What can happen next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// The client runs its next line.
    Step(usize),
    /// A fault hits the client at its next line (before it, or after it: see [`Fault`]).
    Fault { client: usize, fault: Fault },
    /// The service acts at its next deadline.
    Timer(ServiceId),
}

impl Action {
    /// The client the action is about (None for a service's timer).
    pub fn client(&self) -> Option<usize> {
        match *self {
            Action::Step(c) | Action::Fault { client: c, .. } => Some(c),
            Action::Timer(_) => None,
        }
    }
}

/// Why an action cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    NoSuchClient(usize),
    NotRunnable { client: String, why: String },
    NoTimer(ServiceId),
    TooManySteps,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::NoSuchClient(i) => write!(f, "there is no client number {}", i + 1),
            StepError::NotRunnable { client, why } => write!(f, "{client} cannot run: {why}"),
            StepError::NoTimer(s) => write!(f, "service {} has no timer to fire", s + 1),
            StepError::TooManySteps => write!(f, "the run did not finish within {MAX_STEPS} steps"),
        }
    }
}

impl std::error::Error for StepError {}

/// A lesson variant as a state machine. Cheap to clone (the lesson is shared).
#[derive(Clone, Debug)]
pub struct Model {
    pub(super) lesson: Arc<Lesson>,
    pub(super) variant: usize,
}

impl Model {
    /// The model of `variant` (clamped to the lesson's variants).
    pub fn new(lesson: Arc<Lesson>, variant: usize) -> Model {
        let variant = variant.min(lesson.variants.len().saturating_sub(1));
        Model { lesson, variant }
    }

    pub fn lesson(&self) -> &Arc<Lesson> {
        &self.lesson
    }

    pub fn variant(&self) -> usize {
        self.variant
    }

    pub fn script(&self, client: usize) -> &Script {
        &self.lesson.variants[self.variant].scripts[client]
    }

    pub fn client_name(&self, client: usize) -> &str {
        &self.lesson.clients[client].name
    }

    pub fn is_runnable(&self, w: &World, client: usize) -> bool {
        w.clients
            .get(client)
            .is_some_and(|c| c.status == Status::Ready)
            && self.waits_for(w, client).is_none()
    }

    /// The client this one waits for before its first step (`after = [...]`), if any.
    pub fn waits_for(&self, w: &World, client: usize) -> Option<usize> {
        if !w.clients.get(client)?.fresh() {
            return None;
        }
        let ended = |c: usize| {
            matches!(
                w.clients.get(c).map(|s| &s.status),
                Some(Status::Done { .. } | Status::Failed { .. } | Status::Crashed)
            )
        };
        self.lesson.clients[client]
            .after
            .iter()
            .copied()
            .find(|&a| !ended(a))
    }

    /// The fault `plan` puts on `client`'s next line, if it has not fired yet.
    pub fn planned_fault(&self, w: &World, plan: &FaultPlan, client: usize) -> Option<Fault> {
        let st = w.clients.get(client)?;
        let line = self.script(client).ops.get(st.pc)?.line;
        plan.get(&(client, line))
            .copied()
            .filter(|_| !st.fired.contains(&line))
    }

    /// Virtual duration of an op.
    pub fn duration(&self, kind: &OpKind) -> u64 {
        match kind {
            OpKind::Call { service, .. } => self.lesson.timing.call(*service),
            OpKind::Sleep { ms } => *ms,
            OpKind::Jump { .. } | OpKind::Log { .. } => 0,
            _ => self.lesson.timing.compute,
        }
    }
}

impl Model {
    /// Whether nothing in the variant can observe virtual time: no assertion about time, no
    /// request that reads the clock or leaves state that time changes (an expiry, a session,
    /// a lock or statement timeout), no deadline in the initial state, and no possible
    /// PostgreSQL deadlock (whose victim depends on time: [`Model::may_deadlock`]). Then two worlds that differ only in their times
    /// have the same futures up to time, the same outcomes and the same verdicts — what lets
    /// the explorer compare worlds without their times.
    pub fn timeless(&self) -> bool {
        let lesson = &self.lesson;
        let services = lesson
            .initial
            .iter()
            .all(|s| s.next_deadline().is_none() && s.kind() != Kind::Zookeeper);
        let scripts = (0..lesson.clients.len()).all(|c| {
            self.script(c).ops.iter().all(|op| match &op.kind {
                OpKind::Call { call, .. } => !call.request.reads_clock(),
                _ => true,
            })
        });
        let assertions = lesson.assertions.iter().all(|p| match &p.check {
            Check::FinishWithin { .. } => false,
            Check::Query { request, .. } => !request.reads_clock(),
            Check::Var { .. } | Check::Counter { .. } | Check::NoLocksHeld => true,
        });
        let observations = lesson.observations.iter().all(|o| match &o.what {
            Observed::Query {
                request, against, ..
            } => {
                !request.reads_clock() && against.as_ref().is_none_or(|pair| !pair.1.reads_clock())
            }
            Observed::Var { .. } | Observed::Counter { .. } | Observed::Locks => true,
        });
        services && scripts && assertions && observations && !self.may_deadlock()
    }
}

impl World {
    /// The world with every time set to zero: the clients' clocks and the moments they
    /// blocked, slept or finished, `now`, and when "always" properties first failed. Service
    /// states keep theirs (a world that still differs is only compared more finely).
    pub fn untimed(&self) -> World {
        let mut w = self.clone();
        w.now = 0;
        for c in &mut w.clients {
            c.clock = 0;
            c.sleeping_until = c.sleeping_until.map(|_| 0);
            c.finished_at = c.finished_at.map(|_| 0);
            if let Status::Blocked { since, .. } = &mut c.status {
                *since = 0;
            }
        }
        for (at, _) in w.violations.values_mut() {
            *at = 0;
        }
        for s in &mut w.services {
            s.forget_times();
        }
        w
    }
}
