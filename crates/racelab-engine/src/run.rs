//! A run of one lesson variant, as the page and the command line drive it: the [`Model`], the
//! current [`World`], the fault plan and the trace of actions taken. Everything here is a
//! policy over the model's pure step: "step T1" fires the fault planned at T1's next line if there
//! is one; "next event" takes the action that happens first in virtual time; Back replays all
//! actions but the last.

use crate::fault::{Fault, FaultPlan};
use crate::lesson::{Lesson, LessonError};
use crate::model::{Action, Model, StepError, World, MAX_STEPS};
use crate::property::judge::waiting_forever;
use crate::property::Verdict;
use crate::service::Touch;
use crate::trace::{Event, Trace};
use crate::view::{self, ClientView, ServicePanel, VerdictView};
use crate::words;
use std::sync::{Arc, OnceLock};

#[derive(Clone, Debug)]
pub struct Run {
    model: Model,
    faults: FaultPlan,
    world: World,
    trace: Trace,
    /// Actions undone by Back and Reset, the next to redo last (Forward). An action that
    /// differs from the next one to redo clears them, as a browser's history does.
    undone: Vec<Action>,
    /// The world before the last action, so that views can say what that action changed.
    before: Option<Box<World>>,
    /// The service panels of `world` and of `before`, computed once when first asked for: a
    /// step hands the panels it had to "before", so the page pays for one set per step.
    panels: OnceLock<Vec<ServicePanel>>,
    panels_before: OnceLock<Vec<ServicePanel>>,
}

impl Run {
    /// A fresh run of `variant` with no action taken.
    pub fn new(lesson: Arc<Lesson>, variant: usize, faults: FaultPlan) -> Run {
        let model = Model::new(lesson, variant);
        let world = model.init();
        Run {
            model,
            faults,
            world,
            trace: Trace::default(),
            undone: Vec::new(),
            before: None,
            panels: OnceLock::new(),
            panels_before: OnceLock::new(),
        }
    }

    /// Rebuilds a run from its inputs: the same inputs always give the same trace and world.
    pub fn replay(
        lesson: Arc<Lesson>,
        variant: usize,
        faults: FaultPlan,
        actions: &[Action],
    ) -> Result<Run, StepError> {
        let mut run = Run::new(lesson, variant, faults);
        for a in actions {
            run.act(*a)?;
        }
        Ok(run)
    }

    pub fn model(&self) -> &Model {
        &self.model
    }
    pub fn lesson(&self) -> &Arc<Lesson> {
        self.model.lesson()
    }
    pub fn variant(&self) -> usize {
        self.model.variant()
    }
    pub fn world(&self) -> &World {
        &self.world
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }
    pub fn now(&self) -> u64 {
        self.world.now
    }
    pub fn client_name(&self, client: usize) -> &str {
        self.model.client_name(client)
    }

    pub fn is_runnable(&self, client: usize) -> bool {
        self.model.is_runnable(&self.world, client)
    }

    /// Nothing can happen any more: no client can step and no service has a timer.
    pub fn finished(&self) -> bool {
        !self.model.can_act(&self.world)
    }

    /// The clients that wait for something that will never come (the run is over).
    pub fn waiting_forever(&self) -> Vec<usize> {
        waiting_forever(&self.world, self.finished())
    }

    /// What stepping `client` does now: the fault planned at its next line, or the line itself.
    pub fn action_for(&self, client: usize) -> Action {
        match self.model.planned_fault(&self.world, &self.faults, client) {
            Some(fault) => Action::Fault { client, fault },
            None => Action::Step(client),
        }
    }

    /// What "next event" would do and when: the action that takes effect first (service timers
    /// before clients at the same time, then clients in declaration order).
    pub fn next_event_preview(&self) -> Option<(Action, u64)> {
        self.model
            .actions(&self.world)
            .into_iter()
            .map(|a| match a {
                Action::Step(c) => self.action_for(c),
                timer => timer,
            })
            .filter_map(|a| {
                let t = self.model.effect_time(&self.world, &a)?;
                let order = match a {
                    Action::Timer(s) => (0, s),
                    other => (1, other.client().unwrap_or(0)),
                };
                Some((t, order, a))
            })
            .min_by_key(|(t, order, _)| (*t, *order))
            .map(|(t, _, a)| (a, t))
    }

    /// The scheduler's hint for students ("next event: T1 at 15 ms", "the run is stuck: …").
    pub fn hint(&self) -> String {
        words::next_hint(
            &self.model,
            self.next_event_preview(),
            &self.waiting_forever(),
        )
    }

    /// What `client`'s next step would touch (every event it would cause, wake-ups included),
    /// from the model's pure step. None when the client cannot run.
    pub fn next_touches(&self, client: usize) -> Option<Vec<Touch>> {
        if !self.is_runnable(client) {
            return None;
        }
        let (_, events) = self
            .model
            .next_state(&self.world, &self.action_for(client))
            .ok()?;
        let mut touches: Vec<Touch> = events.into_iter().flat_map(|e| e.touches).collect();
        touches.sort();
        touches.dedup();
        Some(touches)
    }

    /// Takes an action and records it.
    pub fn act(&mut self, action: Action) -> Result<(), StepError> {
        if self.trace.actions.len() >= MAX_STEPS {
            return Err(StepError::TooManySteps);
        }
        let mark = self.trace.events.len();
        let before = self.world.clone();
        self.model
            .apply(&mut self.world, &action, &mut self.trace.events)?;
        self.before = Some(Box::new(before));
        self.panels_before = std::mem::take(&mut self.panels);
        self.trace.actions.push(action);
        self.trace.marks.push(mark);
        if self.undone.last() == Some(&action) {
            self.undone.pop();
        } else {
            self.undone.clear();
        }
        Ok(())
    }

    /// Redoes the action Back (or Reset) undid last. Returns false when there is none.
    pub fn forward(&mut self) -> Result<bool, StepError> {
        match self.undone.last().copied() {
            Some(a) => self.act(a).map(|()| true),
            None => Ok(false),
        }
    }

    /// Whether Forward has an action to redo.
    pub fn can_forward(&self) -> bool {
        !self.undone.is_empty()
    }

    /// Advances `client` by one step (or fires the fault planned at its next line).
    pub fn step(&mut self, client: usize) -> Result<(), StepError> {
        if client >= self.world.clients.len() {
            return Err(StepError::NoSuchClient(client));
        }
        self.act(self.action_for(client))
    }

    /// The client's process dies now — also while it waits for a lock or a reply (a fault the
    /// fault plan cannot place, since a waiting client reaches no line).
    pub fn exit_now(&mut self, client: usize) -> Result<(), StepError> {
        if client >= self.world.clients.len() {
            return Err(StepError::NoSuchClient(client));
        }
        self.act(Action::Fault {
            client,
            fault: Fault::Exit,
        })
    }

    /// Runs the next event. Returns the action taken, or None when the run is finished.
    pub fn next_event(&mut self) -> Result<Option<Action>, StepError> {
        match self.next_event_preview() {
            Some((a, _)) => self.act(a).map(|_| Some(a)),
            None => Ok(None),
        }
    }

    /// Runs next events until nothing can happen.
    pub fn run_to_end(&mut self) -> Result<(), StepError> {
        while self.next_event()?.is_some() {}
        Ok(())
    }

    /// Undoes the last action (by replaying all but it). Returns false when there is none.
    pub fn back(&mut self) -> bool {
        let Some((&last, rest)) = self.trace.actions.split_last() else {
            return false;
        };
        match Run::replay(
            self.lesson().clone(),
            self.variant(),
            self.faults.clone(),
            rest,
        ) {
            Ok(mut run) => {
                run.undone = std::mem::take(&mut self.undone);
                run.undone.push(last);
                *self = run;
                true
            }
            // Cannot happen: a prefix of a valid run is valid. Keep the current state.
            Err(_) => false,
        }
    }

    /// Back to the moment after the first `n` actions (a click on the timeline): the actions
    /// after it can be redone with Forward. False when the run has fewer actions.
    pub fn go_to(&mut self, n: usize) -> bool {
        let len = self.trace.actions.len();
        if n > len {
            return false;
        }
        if n == len {
            return true;
        }
        let tail: Vec<Action> = self.trace.actions[n..].to_vec();
        match Run::replay(
            self.lesson().clone(),
            self.variant(),
            self.faults.clone(),
            &self.trace.actions[..n],
        ) {
            Ok(mut run) => {
                run.undone = std::mem::take(&mut self.undone);
                run.undone.extend(tail.iter().rev());
                *self = run;
                true
            }
            // Cannot happen: a prefix of a valid run is valid. Keep the current state.
            Err(_) => false,
        }
    }

    /// Back to the start, keeping the fault plan.
    pub fn reset(&mut self) {
        let mut undone = std::mem::take(&mut self.undone);
        undone.extend(self.trace.actions.iter().rev());
        *self = Run::new(self.lesson().clone(), self.variant(), self.faults.clone());
        self.undone = undone;
    }

    /// Places (Some) or removes (None) a fault at a line that has not run yet.
    pub fn set_fault(
        &mut self,
        client: usize,
        line: usize,
        fault: Option<Fault>,
    ) -> Result<(), String> {
        let Some(view) = self.client_view(client) else {
            return Err(format!("there is no client number {}", client + 1));
        };
        let Some(l) = view.lines.iter().find(|l| l.no == line) else {
            return Err(format!("{} has no line {line}", view.name));
        };
        if !l.can_inject {
            return Err(format!(
                "line {line} of {} has already run (or is not a step): faults go before lines that have not run",
                view.name
            ));
        }
        if fault.is_some_and(Fault::needs_a_call) && !l.calls {
            return Err(format!(
                "line {line} of {} calls no service: an error fault goes on a line that does",
                view.name
            ));
        }
        // The actions Back undid were taken under the old plan: Forward no longer redoes them.
        self.undone.clear();
        match fault {
            Some(f) => self.faults.insert((client, line), f),
            None => self.faults.remove(&(client, line)),
        };
        Ok(())
    }

    // ---- views ----

    /// A sentence about the client's state, for students.
    pub fn status_text(&self, client: usize) -> String {
        words::status_text(&self.model, &self.world, client)
    }

    /// One line about an event, for the trace view and the command line.
    pub fn describe(&self, e: &Event) -> String {
        words::describe(&self.model, e)
    }

    pub fn client_view(&self, client: usize) -> Option<ClientView> {
        view::client_view(&self.model, &self.world, &self.faults, client)
    }

    /// Whether this run wins the lesson's goal `g`, a "break" goal of this run's variant: its
    /// assertion fails now, with at most one fault placed, of the goal's kinds (a sleep of any
    /// length when the goal allows sleeps). Fix goals are won by a case table, not a run.
    pub fn wins_break_goal(&self, g: usize) -> bool {
        let lesson = self.model.lesson();
        let Some(goal) = lesson.goals.get(g) else {
            return false;
        };
        let crate::lesson::GoalKind::Break { assert } = goal.kind else {
            return false;
        };
        if goal.variant != self.model.variant() {
            return false;
        }
        let allowed = crate::fault::parse_kinds(lesson, &goal.faults).unwrap_or_default();
        let used: Vec<Fault> = self
            .trace
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::Fault { fault, .. } => Some(*fault),
                _ => None,
            })
            .collect();
        let fits = |f: &Fault| {
            allowed.contains(f)
                || matches!(f, Fault::Sleep(_))
                    && allowed.iter().any(|a| matches!(a, Fault::Sleep(_)))
        };
        let id = &lesson.assertions[assert].id;
        used.len() <= 1
            && used.iter().all(fits)
            && self
                .verdicts()
                .iter()
                .any(|v| &v.id == id && v.verdict == Verdict::Fail)
    }

    /// Client group `g`'s folded lane.
    pub fn group_view(&self, g: usize) -> Option<view::GroupView> {
        view::group_view(&self.model, &self.world, g)
    }

    pub fn client_views(&self) -> Vec<ClientView> {
        (0..self.world.clients.len())
            .filter_map(|c| self.client_view(c))
            .collect()
    }

    /// Each assertion's verdict now. End-of-run checks stay pending until the run is over.
    pub fn verdicts(&self) -> Vec<VerdictView> {
        view::verdicts(&self.model, &self.world, self.finished())
    }

    /// Every service's state, in the lesson's order.
    pub fn service_panels(&self) -> Vec<ServicePanel> {
        self.panels
            .get_or_init(|| view::service_panels(&self.model, &self.world))
            .clone()
    }

    /// Every service's state before the last action (None at the start): beside
    /// [`Run::service_panels`], what the last step changed.
    pub fn service_panels_before(&self) -> Option<Vec<ServicePanel>> {
        let w = self.before.as_deref()?;
        Some(
            self.panels_before
                .get_or_init(|| view::service_panels(&self.model, w))
                .clone(),
        )
    }

    /// Client `client` before the last action (None at the start).
    pub fn client_view_before(&self, client: usize) -> Option<ClientView> {
        let w = self.before.as_deref()?;
        view::client_view(&self.model, w, &self.faults, client)
    }

    /// Client `client`'s variables before the last action (None at the start): what the lane
    /// compares its variables with.
    pub fn vars_before(&self, client: usize) -> Option<Vec<(String, crate::Value)>> {
        let st = self.before.as_deref()?.clients.get(client)?;
        Some(
            st.vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }
}

/// Runs every variant with the default schedule (next events, no faults) and compares each
/// assertion's verdict with what the variant's `expect` table says. Returns the mismatches,
/// located at the `expect` entry: a lesson that no longer teaches what it claims fails `check`.
pub fn check_expectations(lesson: &Arc<Lesson>) -> Vec<LessonError> {
    let mut out = Vec::new();
    for (v, variant) in lesson.variants.iter().enumerate() {
        if variant.expect.is_empty() {
            continue;
        }
        let mut r = Run::new(lesson.clone(), v, FaultPlan::new());
        if let Err(e) = r.run_to_end() {
            out.push(LessonError {
                at: variant.expect[0].2.clone(),
                message: format!("variant \"{}\": {e}", variant.name),
            });
            continue;
        }
        let verdicts = r.verdicts();
        for (idx, passes, at) in &variant.expect {
            let got = &verdicts[*idx];
            let want = if *passes {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            if got.verdict != want {
                out.push(LessonError {
                    at: at.clone(),
                    message: format!(
                        "variant \"{}\" expects assertion \"{}\" to {}, but with the default schedule it is {} ({})",
                        variant.name,
                        got.id,
                        want.as_str(),
                        got.verdict.as_str(),
                        got.detail
                    ),
                });
            }
        }
    }
    out
}
