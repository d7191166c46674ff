//! A run of one lesson variant: the World (database, clients, virtual clock), the scheduler that
//! advances it one step at a time, the fault plan, and the trace.
//!
//! Time model. Every client has its own clock: the virtual time at which it is free again. A
//! step of duration `d` chosen when the client's clock is `c` takes effect at `t = max(c + d, now)`
//! (`now` is the time of the latest event, so the order the student chooses is the real order and
//! time never runs backwards); the client's clock becomes `t`. A `sleep` (or a sleep fault) starts
//! at `max(c, now)` and moves the clock forward by its length. A statement that waits for a lock
//! finishes at the moment the holder's transaction ends. "Next event" picks the client whose next
//! step takes effect first (ties: the client declared first), which is the schedule an impartial
//! machine would produce.

use crate::lesson::{Check, Lesson};
use crate::script::{expr, OpKind, Script};
use crate::sql::{BlockedOn, Exec, QueryResult, SessionId, SqlError, Touch, Wake};
use crate::trace::{summarize, Event, EventKind, Fault, SqlOutcome, Trace};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

/// A run stops with an error after this many steps (scripts cannot loop yet; this is a guard).
pub const MAX_STEPS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ready,
    Blocked { on: BlockedOn, since: u64 },
    Done { value: Option<Value> },
    Failed { message: String },
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
    /// Lines whose planned fault has fired.
    pub fired: BTreeSet<usize>,
    pub sleeping_until: Option<u64>,
    pub finished_at: Option<u64>,
}

/// Everything that changes during a run. Cheap to clone, hashable: the explorer branches on it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct World {
    pub db: crate::sql::Db,
    pub clients: Vec<ClientState>,
    /// Time of the latest event.
    pub now: u64,
}

/// Why a step cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    NoSuchClient(usize),
    NotRunnable { client: String, why: String },
    TooManySteps,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::NoSuchClient(i) => write!(f, "there is no client number {}", i + 1),
            StepError::NotRunnable { client, why } => write!(f, "{client} cannot run: {why}"),
            StepError::TooManySteps => write!(f, "the run did not finish within {MAX_STEPS} steps"),
        }
    }
}

impl std::error::Error for StepError {}

/// Where faults go: (client, script line) → fault. A fault fires the first time the client is
/// about to run that line.
pub type FaultPlan = BTreeMap<(usize, usize), Fault>;

#[derive(Clone, Debug)]
pub struct Run {
    lesson: Arc<Lesson>,
    variant: usize,
    faults: FaultPlan,
    world: World,
    trace: Trace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientStatus {
    Runnable,
    Blocked,
    Sleeping,
    Done,
    Failed,
    Crashed,
}

impl ClientStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Runnable => "runnable",
            ClientStatus::Blocked => "blocked",
            ClientStatus::Sleeping => "sleeping",
            ClientStatus::Done => "done",
            ClientStatus::Failed => "failed",
            ClientStatus::Crashed => "crashed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineState {
    /// Its step has run.
    Done,
    /// The client's next step.
    Next,
    /// The client waits on this line's statement.
    Blocked,
    /// Not run yet (or skipped by a branch).
    Pending,
    /// A comment, a blank line or `else:`: not a step.
    Text,
}

impl LineState {
    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Done => "done",
            LineState::Next => "next",
            LineState::Blocked => "blocked",
            LineState::Pending => "pending",
            LineState::Text => "text",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineView {
    pub no: usize,
    pub text: String,
    pub state: LineState,
    /// A fault planned before this line, and whether it fired.
    pub fault: Option<(Fault, bool)>,
    /// A fault may still be placed (or removed) here.
    pub can_inject: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub name: String,
    pub status: ClientStatus,
    pub status_text: String,
    pub clock: u64,
    pub lines: Vec<LineView>,
    pub vars: Vec<(String, Value)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Pass,
    Fail,
    Pending,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Pending => "pending",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictView {
    pub id: String,
    pub says: String,
    pub verdict: Verdict,
    /// What was observed, e.g. "got 300".
    pub detail: String,
}

impl Run {
    /// A fresh run of `variant` with no step taken.
    pub fn new(lesson: Arc<Lesson>, variant: usize, faults: FaultPlan) -> Run {
        let variant = variant.min(lesson.variants.len().saturating_sub(1));
        let clients = lesson
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
                    sleeping_until: None,
                    finished_at: None,
                };
                settle(&lesson.variants[variant].scripts[i], &mut st);
                st
            })
            .collect();
        let world = World {
            db: lesson.initial_db.clone(),
            clients,
            now: 0,
        };
        Run {
            lesson,
            variant,
            faults,
            world,
            trace: Trace::default(),
        }
    }

    /// Rebuilds a run from its inputs: the same inputs always give the same trace and state.
    pub fn replay(
        lesson: Arc<Lesson>,
        variant: usize,
        faults: FaultPlan,
        choices: &[usize],
    ) -> Result<Run, StepError> {
        let mut run = Run::new(lesson, variant, faults);
        for &c in choices {
            run.step(c)?;
        }
        Ok(run)
    }

    pub fn lesson(&self) -> &Arc<Lesson> {
        &self.lesson
    }
    pub fn variant(&self) -> usize {
        self.variant
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

    fn script(&self, client: usize) -> &Script {
        &self.lesson.variants[self.variant].scripts[client]
    }

    pub fn client_name(&self, client: usize) -> &str {
        &self.lesson.clients[client].name
    }

    /// The client whose database session this is ("session N" for a session of no client).
    pub fn session_name(&self, session: SessionId) -> String {
        match self.lesson.sessions.iter().position(|s| *s == session) {
            Some(i) => self.client_name(i).to_string(),
            None => format!("session {session}"),
        }
    }

    pub fn is_runnable(&self, client: usize) -> bool {
        self.world
            .clients
            .get(client)
            .is_some_and(|c| c.status == Status::Ready)
    }

    /// No client can take a step.
    pub fn finished(&self) -> bool {
        !(0..self.world.clients.len()).any(|c| self.is_runnable(c))
    }

    /// The clients that wait for a lock nobody will release: once no client can run, every
    /// client still blocked is one (its lock holder finished or crashed with the lock held).
    pub fn waiting_forever(&self) -> Vec<usize> {
        if !self.finished() {
            return Vec::new();
        }
        (0..self.world.clients.len())
            .filter(|&c| matches!(self.world.clients[c].status, Status::Blocked { .. }))
            .collect()
    }

    /// Virtual time at which the client's next step would take effect.
    fn next_time(&self, client: usize) -> u64 {
        let st = &self.world.clients[client];
        let op = &self.script(client).ops[st.pc];
        let starts_now = self.faults.contains_key(&(client, op.line))
            && !st.fired.contains(&op.line)
            || matches!(op.kind, OpKind::Sleep { .. });
        let dur = if starts_now {
            0
        } else {
            self.duration(&op.kind)
        };
        (st.clock + dur).max(self.world.now)
    }

    fn duration(&self, kind: &OpKind) -> u64 {
        match kind {
            OpKind::Sql { .. } => self.lesson.timing.sql,
            OpKind::Sleep { ms } => *ms,
            OpKind::Jump { .. } => 0,
            _ => self.lesson.timing.compute,
        }
    }

    /// The client "next event" would run: the earliest next step; ties go to the first client.
    pub fn next_client(&self) -> Option<usize> {
        (0..self.world.clients.len())
            .filter(|&c| self.is_runnable(c))
            .min_by_key(|&c| (self.next_time(c), c))
    }

    /// The client "next event" would run and the virtual time its step would take effect.
    pub fn next_event_preview(&self) -> Option<(usize, u64)> {
        self.next_client().map(|c| (c, self.next_time(c)))
    }

    /// What `client`'s next step would touch (every event it would cause, wake-ups included),
    /// found by taking the step on a copy of the run. None when the client cannot run.
    pub fn next_touches(&self, client: usize) -> Option<Vec<Touch>> {
        if !self.is_runnable(client) {
            return None;
        }
        let mut probe = self.clone();
        probe.step(client).ok()?;
        let start = probe.trace.latest_step_start()?;
        let mut touches: Vec<Touch> = probe.trace.events[start..]
            .iter()
            .flat_map(|e| e.touches.iter().cloned())
            .collect();
        touches.sort();
        touches.dedup();
        Some(touches)
    }

    /// Runs the next event. Returns the client that ran, or None when the run is finished.
    pub fn next_event(&mut self) -> Result<Option<usize>, StepError> {
        match self.next_client() {
            Some(c) => self.step(c).map(|_| Some(c)),
            None => Ok(None),
        }
    }

    /// Runs next events until no client can run.
    pub fn run_to_end(&mut self) -> Result<(), StepError> {
        while self.next_event()?.is_some() {}
        Ok(())
    }

    /// Undoes the last step (by replaying all but it). Returns false when there is none.
    pub fn back(&mut self) -> bool {
        if self.trace.choices.is_empty() {
            return false;
        }
        let mut choices = self.trace.choices.clone();
        choices.pop();
        let fresh = Run::replay(
            self.lesson.clone(),
            self.variant,
            self.faults.clone(),
            &choices,
        );
        match fresh {
            Ok(run) => {
                *self = run;
                true
            }
            // Cannot happen: a prefix of a valid schedule is valid. Keep the current state.
            Err(_) => false,
        }
    }

    /// Back to the start, keeping the fault plan.
    pub fn reset(&mut self) {
        *self = Run::new(self.lesson.clone(), self.variant, self.faults.clone());
    }

    /// Places (Some) or removes (None) a fault before a line that has not run yet.
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
        match fault {
            Some(f) => self.faults.insert((client, line), f),
            None => self.faults.remove(&(client, line)),
        };
        Ok(())
    }

    /// Advances `client` by one step (or fires the fault planned before its next line).
    pub fn step(&mut self, client: usize) -> Result<(), StepError> {
        if client >= self.world.clients.len() {
            return Err(StepError::NoSuchClient(client));
        }
        if !self.is_runnable(client) {
            return Err(StepError::NotRunnable {
                client: self.client_name(client).to_string(),
                why: self.status_text(client),
            });
        }
        if self.trace.choices.len() >= MAX_STEPS {
            return Err(StepError::TooManySteps);
        }
        self.trace.choices.push(client);
        self.trace.marks.push(self.trace.events.len());

        let lesson = self.lesson.clone();
        let script = &lesson.variants[self.variant].scripts[client];
        let session = lesson.sessions[client];
        let pc = self.world.clients[client].pc;
        let op = &script.ops[pc];
        let line = op.line;

        if let Some(&fault) = self.faults.get(&(client, line)) {
            if !self.world.clients[client].fired.contains(&line) {
                let t = self.world.clients[client].clock.max(self.world.now);
                self.world.now = t;
                let st = &mut self.world.clients[client];
                st.fired.insert(line);
                match fault {
                    Fault::Exit => {
                        st.status = Status::Crashed;
                        st.clock = t;
                        st.sleeping_until = None;
                        let done = self.world.db.close_session(session);
                        self.push(t, client, line, EventKind::Fault { fault }, done.touches);
                        self.apply_wakes(t, done.woken);
                    }
                    Fault::Sleep(ms) => {
                        st.clock = t + ms;
                        st.sleeping_until = Some(t + ms);
                        self.push(t, client, line, EventKind::Fault { fault }, Vec::new());
                    }
                }
                return Ok(());
            }
        }

        if let OpKind::Sleep { ms } = op.kind {
            let t = self.world.clients[client].clock.max(self.world.now);
            self.world.now = t;
            let st = &mut self.world.clients[client];
            st.clock = t + ms;
            st.sleeping_until = Some(t + ms);
            st.done_lines.insert(line);
            st.pc += 1;
            settle(script, st);
            self.push(
                t,
                client,
                line,
                EventKind::Sleep { until: t + ms },
                Vec::new(),
            );
            return Ok(());
        }

        let t = (self.world.clients[client].clock + self.duration(&op.kind)).max(self.world.now);
        self.world.now = t;
        {
            let st = &mut self.world.clients[client];
            st.clock = t;
            st.sleeping_until = None;
            st.done_lines.insert(line);
        }
        match &op.kind {
            OpKind::Sql { stmt, params, .. } => {
                let values: Result<Vec<Value>, String> = params
                    .iter()
                    .map(|p| {
                        self.world.clients[client]
                            .vars
                            .get(p)
                            .cloned()
                            .ok_or_else(|| format!("variable `{p}` has no value yet"))
                    })
                    .collect();
                let values = match values {
                    Ok(v) => v,
                    Err(message) => {
                        self.script_error(t, client, line, message);
                        return Ok(());
                    }
                };
                match self.world.db.execute(session, stmt, &values) {
                    Exec::Blocked(on) => {
                        self.world.clients[client].status = Status::Blocked {
                            on: on.clone(),
                            since: t,
                        };
                        let touches = vec![Touch::WriteRow {
                            table: on.table.clone(),
                            key: on.key.clone(),
                        }];
                        self.push(
                            t,
                            client,
                            line,
                            EventKind::Sql {
                                outcome: SqlOutcome::Blocked(on),
                            },
                            touches,
                        );
                    }
                    Exec::Done(done) => {
                        self.finish_sql(t, client, line, done.result, done.touches, false);
                        self.apply_wakes(t, done.woken);
                    }
                }
            }
            OpKind::Assign { var, expr: e } => match self.eval(client, e, t) {
                Ok(value) => {
                    let st = &mut self.world.clients[client];
                    st.vars.insert(var.clone(), value.clone());
                    st.pc += 1;
                    settle(script, st);
                    self.push(
                        t,
                        client,
                        line,
                        EventKind::Assign {
                            var: var.clone(),
                            value,
                        },
                        Vec::new(),
                    );
                }
                Err(message) => self.script_error(t, client, line, message),
            },
            OpKind::Branch { cond, else_target } => match self.eval(client, cond, t) {
                Ok(Value::Bool(taken)) => {
                    let st = &mut self.world.clients[client];
                    st.pc = if taken { pc + 1 } else { *else_target };
                    settle(script, st);
                    self.push(t, client, line, EventKind::Branch { taken }, Vec::new());
                }
                Ok(other) => self.script_error(
                    t,
                    client,
                    line,
                    format!("a condition must be true or false; `{cond}` is {other}"),
                ),
                Err(message) => self.script_error(t, client, line, message),
            },
            OpKind::Return { value } => {
                let v = match value.as_ref().map(|e| self.eval(client, e, t)).transpose() {
                    Ok(v) => v,
                    Err(message) => {
                        self.script_error(t, client, line, message);
                        return Ok(());
                    }
                };
                let st = &mut self.world.clients[client];
                st.status = Status::Done { value: v.clone() };
                st.finished_at = Some(t);
                self.push(t, client, line, EventKind::Return { value: v }, Vec::new());
            }
            OpKind::Fail { message } => {
                let text = match self.eval(client, message, t) {
                    Ok(Value::Text(s)) => s,
                    Ok(other) => other.to_string(),
                    Err(m) => {
                        self.script_error(t, client, line, m);
                        return Ok(());
                    }
                };
                let st = &mut self.world.clients[client];
                st.status = Status::Failed {
                    message: text.clone(),
                };
                st.finished_at = Some(t);
                self.push(
                    t,
                    client,
                    line,
                    EventKind::Fail { message: text },
                    Vec::new(),
                );
            }
            OpKind::Sleep { .. } | OpKind::Jump { .. } => {}
        }
        Ok(())
    }

    /// Evaluates an expression with the client's variables, at virtual time `now`.
    fn eval(&self, client: usize, e: &expr::Expr, now: u64) -> Result<Value, String> {
        let env = expr::Env {
            vars: &self.world.clients[client].vars,
            now,
        };
        expr::eval(e, &env)
    }

    fn push(
        &mut self,
        time: u64,
        client: usize,
        line: usize,
        kind: EventKind,
        touches: Vec<Touch>,
    ) {
        self.trace.events.push(Event {
            time,
            client,
            line,
            kind,
            touches,
        });
    }

    fn script_error(&mut self, t: u64, client: usize, line: usize, message: String) {
        let st = &mut self.world.clients[client];
        st.status = Status::Failed {
            message: format!("script error on line {line}: {message}"),
        };
        st.finished_at = Some(t);
        self.push(
            t,
            client,
            line,
            EventKind::ScriptError { message },
            Vec::new(),
        );
    }

    /// Applies a statement's outcome to the client that sent it (directly, or when woken).
    fn finish_sql(
        &mut self,
        t: u64,
        client: usize,
        line: usize,
        result: Result<QueryResult, SqlError>,
        touches: Vec<Touch>,
        woken: bool,
    ) {
        let lesson = self.lesson.clone();
        let script = &lesson.variants[self.variant].scripts[client];
        let st = &mut self.world.clients[client];
        st.clock = t;
        st.status = Status::Ready;
        let wrap = |outcome| {
            if woken {
                EventKind::Woken { outcome }
            } else {
                EventKind::Sql { outcome }
            }
        };
        match result {
            Err(e) => {
                st.status = Status::Failed {
                    message: e.to_string(),
                };
                st.finished_at = Some(t);
                self.push(t, client, line, wrap(SqlOutcome::Err(e)), touches);
            }
            Ok(r) => {
                let OpKind::Sql { binds, .. } = &script.ops[st.pc].kind else {
                    return;
                };
                if !binds.is_empty() {
                    if r.rows.len() > 1 {
                        let message = format!(
                            "the query returned {} rows; `{}` can hold only one row",
                            r.rows.len(),
                            binds.join(", ")
                        );
                        self.push(t, client, line, wrap(SqlOutcome::Ok(r)), touches);
                        self.script_error(t, client, line, message);
                        return;
                    }
                    if r.columns.len() < binds.len() {
                        let message = format!(
                            "the query returns {} column(s) but the line assigns {} variables",
                            r.columns.len(),
                            binds.len()
                        );
                        self.push(t, client, line, wrap(SqlOutcome::Ok(r)), touches);
                        self.script_error(t, client, line, message);
                        return;
                    }
                    for (i, name) in binds.iter().enumerate() {
                        let v = r
                            .rows
                            .first()
                            .map(|row| row[i].clone())
                            .unwrap_or(Value::Null);
                        st.vars.insert(name.clone(), v);
                    }
                }
                st.pc += 1;
                settle(script, st);
                self.push(t, client, line, wrap(SqlOutcome::Ok(r)), touches);
            }
        }
    }

    fn apply_wakes(&mut self, t: u64, wakes: Vec<Wake>) {
        for w in wakes {
            let Some(client) = self.lesson.sessions.iter().position(|s| *s == w.session) else {
                continue;
            };
            if !matches!(self.world.clients[client].status, Status::Blocked { .. }) {
                continue;
            }
            let line = self.script(client).ops[self.world.clients[client].pc].line;
            self.finish_sql(t, client, line, w.result, w.touches, true);
        }
    }

    // ---- views ----

    fn status_of(&self, client: usize) -> ClientStatus {
        let st = &self.world.clients[client];
        match &st.status {
            Status::Ready if st.sleeping_until.is_some_and(|u| u > self.world.now) => {
                ClientStatus::Sleeping
            }
            Status::Ready => ClientStatus::Runnable,
            Status::Blocked { .. } => ClientStatus::Blocked,
            Status::Done { .. } => ClientStatus::Done,
            Status::Failed { .. } => ClientStatus::Failed,
            Status::Crashed => ClientStatus::Crashed,
        }
    }

    /// A sentence about the client's state, for students.
    pub fn status_text(&self, client: usize) -> String {
        let st = &self.world.clients[client];
        match &st.status {
            Status::Ready => match st.sleeping_until {
                Some(u) if u > self.world.now => format!("sleeping until {u} ms"),
                _ => {
                    let line = self.script(client).ops[st.pc].line;
                    format!("ready to run line {line}")
                }
            },
            Status::Blocked { on, since } => format!(
                "blocked since {since} ms: waits for row {} of {}, locked by {}",
                on.key,
                on.table,
                self.session_name(on.holder)
            ),
            Status::Done { value: Some(v) } => {
                format!(
                    "done at {} ms, returned {v}",
                    st.finished_at.unwrap_or(st.clock)
                )
            }
            Status::Done { value: None } => {
                format!("done at {} ms", st.finished_at.unwrap_or(st.clock))
            }
            Status::Failed { message } => {
                format!(
                    "failed at {} ms: {message}",
                    st.finished_at.unwrap_or(st.clock)
                )
            }
            Status::Crashed => format!("crashed at {} ms (exit)", st.clock),
        }
    }

    pub fn client_view(&self, client: usize) -> Option<ClientView> {
        let st = self.world.clients.get(client)?;
        let script = self.script(client);
        let status = self.status_of(client);
        let step_lines: BTreeSet<usize> = script
            .ops
            .iter()
            .filter(|o| o.kind.is_step())
            .map(|o| o.line)
            .collect();
        let current = script.ops.get(st.pc).map(|o| o.line);
        let live = matches!(st.status, Status::Ready | Status::Blocked { .. });
        let lines = script
            .lines
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let no = i + 1;
                let is_step = step_lines.contains(&no);
                let state = if !is_step {
                    LineState::Text
                } else if live && current == Some(no) {
                    if status == ClientStatus::Blocked {
                        LineState::Blocked
                    } else {
                        LineState::Next
                    }
                } else if st.done_lines.contains(&no) {
                    LineState::Done
                } else {
                    LineState::Pending
                };
                let fault = self
                    .faults
                    .get(&(client, no))
                    .map(|f| (*f, st.fired.contains(&no)));
                let can_inject = is_step
                    && live
                    && !st.done_lines.contains(&no)
                    && !st.fired.contains(&no)
                    && state != LineState::Blocked;
                LineView {
                    no,
                    text: text.clone(),
                    state,
                    fault,
                    can_inject,
                }
            })
            .collect();
        Some(ClientView {
            name: self.client_name(client).to_string(),
            status,
            status_text: self.status_text(client),
            clock: st.clock,
            lines,
            vars: st
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    pub fn client_views(&self) -> Vec<ClientView> {
        (0..self.world.clients.len())
            .filter_map(|c| self.client_view(c))
            .collect()
    }

    /// Each assertion's verdict now. End-of-run checks stay pending until no client can run.
    pub fn verdicts(&self) -> Vec<VerdictView> {
        let finished = self.finished();
        self.lesson
            .assertions
            .iter()
            .map(|a| {
                let (verdict, detail) = match &a.check {
                    Check::SqlEquals { stmt, expected } => {
                        match self.world.db.query_committed(stmt, &[]) {
                            Err(e) => (Verdict::Fail, e.to_string()),
                            Ok(r) => {
                                let got = if r.rows.len() == 1 && r.columns.len() == 1 {
                                    Some(r.rows[0][0].clone())
                                } else {
                                    None
                                };
                                let shown = summarize(&r);
                                match (finished, got) {
                                    (false, _) => (Verdict::Pending, format!("now {shown}")),
                                    (true, Some(v)) if &v == expected => {
                                        (Verdict::Pass, format!("got {shown}"))
                                    }
                                    (true, _) => {
                                        (Verdict::Fail, format!("got {shown}, expected {expected}"))
                                    }
                                }
                            }
                        }
                    }
                    Check::FinishWithin { ms, clients } => self.finish_within(*ms, clients),
                    Check::NoLocksHeld => {
                        let locks = self.world.db.locks_held();
                        let blocked: Vec<&str> = self
                            .waiting_forever()
                            .into_iter()
                            .map(|c| self.client_name(c))
                            .collect();
                        if !finished {
                            (Verdict::Pending, format!("{locks} row lock(s) held now"))
                        } else if locks == 0 && blocked.is_empty() {
                            (Verdict::Pass, "no lock held, nobody waiting".into())
                        } else if blocked.is_empty() {
                            (Verdict::Fail, format!("{locks} row lock(s) still held"))
                        } else {
                            (
                                Verdict::Fail,
                                format!(
                                    "{locks} row lock(s) still held; {} {} forever",
                                    blocked.join(", "),
                                    if blocked.len() == 1 { "waits" } else { "wait" }
                                ),
                            )
                        }
                    }
                };
                VerdictView {
                    id: a.id.clone(),
                    says: a.says.clone(),
                    verdict,
                    detail,
                }
            })
            .collect()
    }

    fn finish_within(&self, ms: u64, clients: &[usize]) -> (Verdict, String) {
        let all: Vec<usize> = if clients.is_empty() {
            (0..self.world.clients.len()).collect()
        } else {
            clients.to_vec()
        };
        let mut pending = false;
        let mut slowest = None;
        for &c in &all {
            let st = &self.world.clients[c];
            let name = self.client_name(c);
            match (&st.status, st.finished_at) {
                (Status::Crashed, _) => {
                    return (Verdict::Fail, format!("{name} crashed and never answered"))
                }
                (_, Some(at)) if at > ms => {
                    return (Verdict::Fail, format!("{name} finished at {at} ms"))
                }
                (_, Some(at)) => slowest = slowest.max(Some(at)),
                (_, None) if st.clock.max(self.world.now) > ms => {
                    return (
                        Verdict::Fail,
                        format!(
                            "{name} still running at {} ms",
                            self.world.now.max(st.clock)
                        ),
                    )
                }
                (_, None) if self.finished() => {
                    return (
                        Verdict::Fail,
                        format!("{name} never finishes (it waits forever)"),
                    )
                }
                (_, None) => pending = true,
            }
        }
        match (pending, slowest) {
            (true, None) => (Verdict::Pending, "no client has finished yet".to_string()),
            (true, Some(at)) => (Verdict::Pending, format!("slowest so far {at} ms")),
            (false, at) => (
                Verdict::Pass,
                format!("slowest finished at {} ms", at.unwrap_or(0)),
            ),
        }
    }

    /// One line about an event, for the trace view and the command line.
    pub fn describe(&self, e: &Event) -> String {
        let outcome = |o: &SqlOutcome| match o {
            SqlOutcome::Ok(r) => format!("→ {}", summarize(r)),
            SqlOutcome::Err(err) => format!("→ {err}"),
            SqlOutcome::Blocked(on) => format!(
                "→ waits: row {} of {} is locked by {}",
                on.key,
                on.table,
                self.session_name(on.holder)
            ),
        };
        let text = self
            .script(e.client)
            .lines
            .get(e.line.wrapping_sub(1))
            .map(|l| l.trim())
            .unwrap_or("");
        match &e.kind {
            EventKind::Sql { outcome: o } => format!("{text} {}", outcome(o)),
            EventKind::Woken { outcome: o } => format!("(lock granted) {text} {}", outcome(o)),
            EventKind::Assign { var, value } => format!("{text} → {var} = {value}"),
            EventKind::Branch { taken } => format!("{text} → {taken}"),
            EventKind::Sleep { until } => format!("{text} → sleeps until {until} ms"),
            EventKind::Return { value: Some(v) } => format!("{text} → returns {v}"),
            EventKind::Return { value: None } => format!("{text} → returns"),
            EventKind::Fail { message } => format!("{text} → request fails: {message}"),
            EventKind::ScriptError { message } => format!("{text} → script error: {message}"),
            EventKind::Fault { fault: Fault::Exit } => {
                "EXIT injected: the process dies; its connection drops, PostgreSQL rolls back its transaction and releases its locks".to_string()
            }
            EventKind::Fault { fault: Fault::Sleep(ms) } => {
                format!("SLEEP injected: the process pauses {ms} ms (until {} ms)", e.time + ms)
            }
        }
    }
}

/// Follows jumps to the next step; a client past its last step is done.
fn settle(script: &Script, st: &mut ClientState) {
    while let Some(op) = script.ops.get(st.pc) {
        match op.kind {
            OpKind::Jump { target } => st.pc = target,
            _ => return,
        }
    }
    if st.status == Status::Ready {
        st.status = Status::Done { value: None };
        st.finished_at = Some(st.clock);
    }
}

/// Parses a fault as the command line and share links write it: `exit@T1:5`, `sleep=60000@T2:3`.
pub fn parse_fault_spec(lesson: &Lesson, spec: &str) -> Result<((usize, usize), Fault), String> {
    let usage = "write a fault as exit@CLIENT:LINE or sleep=MS@CLIENT:LINE (e.g. exit@T1:5)";
    let (kind, place) = spec
        .split_once('@')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let (client, line) = place
        .split_once(':')
        .ok_or_else(|| format!("`{spec}`: {usage}"))?;
    let fault = match kind.split_once('=') {
        None if kind == "exit" => Fault::Exit,
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

/// Runs every variant with the default schedule (next events, no faults) and compares each
/// assertion's verdict with what the variant's `expect` table says. Returns the mismatches,
/// located at the `expect` entry: a lesson that no longer teaches what it claims fails `check`.
pub fn check_expectations(lesson: &Arc<Lesson>) -> Vec<crate::lesson::LessonError> {
    let mut out = Vec::new();
    for (v, variant) in lesson.variants.iter().enumerate() {
        if variant.expect.is_empty() {
            continue;
        }
        let mut r = Run::new(lesson.clone(), v, FaultPlan::new());
        if let Err(e) = r.run_to_end() {
            out.push(crate::lesson::LessonError {
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
                out.push(crate::lesson::LessonError {
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
