//! The model: what a lesson variant is as a state machine, apart from anything that drives it
//! (as Stateright keeps a `Model` apart from its checkers).
//!
//! - [`World`]: everything that changes — the clients, the services, the virtual clock. Cheap to
//!   clone, `Eq + Hash`: an explorer branches on worlds and deduplicates them by hash.
//! - [`Action`]: what can happen next — a client takes a step, a fault hits a client, a service's
//!   timer fires.
//! - [`Model::actions`] and [`Model::next_state`]: pure functions of a world. [`crate::run::Run`]
//!   (the page's and the command line's driver) and the exhaustive tests are policies over them.
//!
//! Time model. Every client has its own clock: the virtual time at which it is free again. A
//! step of duration `d` chosen when the client's clock is `c` takes effect at `t = max(c + d, now)`
//! (`now` is the time of the latest event, so the order chosen is the real order and time never
//! runs backwards); the client's clock becomes `t`. A `sleep` (or a sleep fault) starts at
//! `max(c, now)` and moves the clock forward by its length. A call that waits completes when the
//! service answers it (a lock released, a timer fired). Service deadlines that fall at or before
//! the time an action takes effect fire first, in deadline order: nothing a service promised to
//! do by itself is skipped because a client was chosen.

mod deadlock;
mod faults;
pub(crate) mod step;
pub mod world;

pub use world::{Action, ClientState, Model, Status, StepError, World, MAX_STEPS};

use crate::fault::Fault;
use crate::property::When;
use crate::service::postgres::sql::Isolation;
use crate::service::ServiceState;
use crate::trace::Event;
use crate::words;
use std::collections::{BTreeMap, BTreeSet};

impl Model {
    /// The world before any action.
    pub fn init(&self) -> World {
        let clients = self
            .lesson
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut st = ClientState {
                    pc: 0,
                    vars: c.vars.iter().cloned().collect(),
                    clock: c.start,
                    status: Status::Ready,
                    done_lines: BTreeSet::new(),
                    fired: BTreeSet::new(),
                    retries: BTreeMap::new(),
                    lose_reply: false,
                    sleeping_until: None,
                    finished_at: None,
                    arrivals: c.arrivals.clone(),
                    request: 0,
                };
                if !c.arrivals.is_empty() {
                    st.vars.insert("request".into(), crate::Value::Int(1));
                }
                step::settle(self.script(i), &mut st);
                st
            })
            .collect();
        let mut services = self.lesson.initial.clone();
        let variant = &self.lesson.variants[self.variant];
        for c in 0..self.lesson.clients.len() {
            let level = variant.isolation_of(&self.lesson, c);
            if level != Isolation::default() {
                for s in &mut services {
                    if let ServiceState::Postgres(pg) = s {
                        pg.set_isolation(c, level);
                    }
                }
            }
        }
        let mut w = World {
            clients,
            services,
            health: vec![Default::default(); self.lesson.initial.len()],
            now: 0,
            violations: BTreeMap::new(),
        };
        self.record_violations(&mut w);
        w
    }

    /// Records the "always" properties that do not hold in `w` (the first time only).
    fn record_violations(&self, w: &mut World) {
        for (i, p) in self.lesson.assertions.iter().enumerate() {
            if p.when != When::Always || w.violations.contains_key(&i) {
                continue;
            }
            if let Err(detail) = p.holds_now(self, w) {
                w.violations.insert(i, (w.now, detail));
            }
        }
    }

    /// Every action possible in `w` without faults: a step of each runnable client, then the
    /// timer of each service whose deadline comes no later than every runnable client's next
    /// step (while some client has not ended): a TTL runs out when virtual time gets there,
    /// never while every client would act before it — a client that stops for that long is a
    /// sleep fault, a placed input. Faults are offered by whoever drives the model (the page's
    /// fault plan, an explorer's fault budget).
    pub fn actions(&self, w: &World) -> Vec<Action> {
        self.action_iter(w).collect()
    }

    /// Whether any action is possible in `w` (the run is not over), without collecting them.
    pub fn can_act(&self, w: &World) -> bool {
        self.action_iter(w).next().is_some()
    }

    fn action_iter<'a>(&'a self, w: &'a World) -> impl Iterator<Item = Action> + 'a {
        let steps = (0..w.clients.len())
            .filter(move |&c| self.is_runnable(w, c))
            .map(Action::Step);
        // Once every client has ended, nothing that a service does by itself can matter to the
        // run any more: the run is over, even if keys are still to expire.
        let live = w
            .clients
            .iter()
            .any(|c| matches!(c.status, Status::Ready | Status::Blocked { .. }));
        // Computed only when asked for (after the steps) and only if a service has a deadline:
        // `can_act` stops at the first step, and most worlds have no deadline at all.
        let timers = std::iter::once(()).flat_map(move |()| {
            let deadlines: Vec<(usize, u64)> = w
                .services
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.next_deadline().map(|d| (i, d)))
                .filter(|_| live)
                .collect();
            let earliest = if deadlines.is_empty() {
                None
            } else {
                (0..w.clients.len())
                    .filter(|&c| self.is_runnable(w, c))
                    .filter_map(|c| self.effect_time(w, &Action::Step(c)))
                    .min()
            };
            deadlines
                .into_iter()
                .filter(move |&(_, d)| earliest.is_none_or(|e| d <= e))
                .map(|(i, _)| Action::Timer(i))
        });
        steps.chain(timers)
    }

    /// The virtual time at which `action` would take effect in `w` (None if it cannot be taken).
    pub fn effect_time(&self, w: &World, action: &Action) -> Option<u64> {
        match *action {
            Action::Timer(s) => w.services.get(s)?.next_deadline().map(|d| d.max(w.now)),
            Action::Step(c) => match self.scenario_fault(w, c) {
                Some(fault) => self.effect_time(w, &Action::Fault { client: c, fault }),
                None => self.is_runnable(w, c).then(|| step::step_time(self, w, c)),
            },
            Action::Fault { client, fault } => self.can_fault(w, client, fault).then(|| {
                if fault.takes_the_line_time() {
                    step::step_time(self, w, client)
                } else {
                    w.clients[client].clock.max(w.now)
                }
            }),
        }
    }

    /// The pure step: the world after `action`, and the events it caused.
    pub fn next_state(&self, w: &World, action: &Action) -> Result<(World, Vec<Event>), StepError> {
        let mut next = w.clone();
        let mut events = Vec::new();
        self.apply(&mut next, action, &mut events)?;
        Ok((next, events))
    }

    /// [`Model::next_state`] in place: `w` becomes the next world; events are appended.
    /// On error `w` is unchanged.
    pub fn apply(
        &self,
        w: &mut World,
        action: &Action,
        events: &mut Vec<Event>,
    ) -> Result<(), StepError> {
        match *action {
            Action::Timer(s) => {
                let due = w
                    .services
                    .get(s)
                    .and_then(|svc| svc.next_deadline())
                    .ok_or(StepError::NoTimer(s))?;
                step::fire_due(self, w, due.max(w.now), events);
            }
            Action::Step(c) => {
                self.check_runnable(w, c)?;
                let t = self.effect_time(w, action).unwrap_or(w.now);
                step::fire_due(self, w, t, events);
                match self.scenario_fault(w, c) {
                    Some(fault) => faults::apply(self, w, c, fault, events),
                    None => step::step(self, w, c, events),
                }
            }
            Action::Fault { client, fault } => {
                if !self.can_fault(w, client, fault) {
                    self.check_runnable(w, client)?;
                }
                let t = self.effect_time(w, action).unwrap_or(w.now);
                step::fire_due(self, w, t, events);
                faults::apply(self, w, client, fault, events);
            }
        }
        self.record_violations(w);
        Ok(())
    }

    /// The fault the variant's scenario (`faults = ["down=redis@OPS:2"]`) puts on `client`'s
    /// next line, if it has not fired yet: the client's step is then that fault.
    pub fn scenario_fault(&self, w: &World, client: usize) -> Option<Fault> {
        let plan = &self.lesson.variants[self.variant].scenario;
        if plan.is_empty() || !self.is_runnable(w, client) {
            return None;
        }
        self.planned_fault(w, plan, client)
    }

    /// Whether `fault` can hit `client` now: any fault a runnable client; an exit also a client
    /// that waits for a reply (the process dies while it waits).
    pub fn can_fault(&self, w: &World, client: usize, fault: Fault) -> bool {
        self.is_runnable(w, client)
            || (fault == Fault::Exit
                && matches!(
                    w.clients.get(client).map(|c| &c.status),
                    Some(Status::Blocked { .. })
                ))
    }

    fn check_runnable(&self, w: &World, client: usize) -> Result<(), StepError> {
        if client >= w.clients.len() {
            return Err(StepError::NoSuchClient(client));
        }
        if !self.is_runnable(w, client) {
            return Err(StepError::NotRunnable {
                client: self.client_name(client).to_string(),
                why: words::status_text(self, w, client),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
