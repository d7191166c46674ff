//! One client step, and what services do on their own (timers, wake-ups).

use super::world::{ClientState, Model, Status, World, MAX_STEPS};
use crate::fault::Health;
use crate::script::{expr, OpKind, Script};
use crate::service::api::{Exec, Reply, Request, ServiceId, Touch, Wake};
use crate::trace::{CallOutcome, Event, EventKind};
use crate::value::Value;

/// Follows jumps to the next step; a client past its last step is done.
pub(crate) fn settle(script: &Script, st: &mut ClientState) {
    while let Some(op) = script.ops.get(st.pc) {
        match op.kind {
            OpKind::Jump { target } => st.pc = target,
            _ => return,
        }
    }
    if st.status == Status::Ready {
        if st.next_request() {
            return settle(script, st);
        }
        st.status = Status::Done { value: None };
        st.finished_at = Some(st.clock);
    }
}

/// The trace line of a long-lived process that went on to its next request during a step.
fn next_request_event(w: &World, client: usize, before: usize, events: &mut Vec<Event>) {
    let st = &w.clients[client];
    if st.request != before {
        let kind = EventKind::NextRequest {
            n: st.request + 1,
            of: st.arrivals.len(),
            arrived: st.arrivals[st.request],
        };
        // Said when the previous request ended; the request itself starts at its arrival.
        push(events, w.now, client, 0, kind, Vec::new());
    }
}

/// When the client's next step would take effect (a sleep starts at once).
pub(crate) fn step_time(m: &Model, w: &World, client: usize) -> u64 {
    let st = &w.clients[client];
    let op = &m.script(client).ops[st.pc];
    let dur = match op.kind {
        OpKind::Sleep { .. } => 0,
        OpKind::Call { service, .. } => match w.health.get(service) {
            Some(Health::Slow(extra)) => m.duration(&op.kind) + extra,
            _ => m.duration(&op.kind),
        },
        ref k => m.duration(k),
    };
    (st.clock + dur).max(w.now)
}

pub(crate) fn push(
    events: &mut Vec<Event>,
    time: u64,
    client: usize,
    line: usize,
    kind: EventKind,
    touches: Vec<Touch>,
) {
    events.push(Event {
        time,
        client: Some(client),
        line,
        kind,
        touches,
        sent: None,
    });
}

/// Fires, in deadline order, every service deadline at or before `t`.
pub(crate) fn fire_due(m: &Model, w: &mut World, t: u64, events: &mut Vec<Event>) {
    // A service that keeps a deadline in the past after firing would loop: bounded.
    for _ in 0..MAX_STEPS {
        let Some((due, s)) = w.next_deadline().filter(|(d, _)| *d <= t) else {
            return;
        };
        w.now = w.now.max(due);
        let now = w.now;
        // A service reports about connections; one connection per client, named after it.
        let name = |c: usize| {
            m.lesson()
                .clients
                .get(c)
                .map_or_else(|| format!("connection {}", c + 1), |d| d.name.clone())
        };
        let fired = w.services[s].fire(s, now, &name);
        if !fired.what.is_empty() || !fired.touches.is_empty() {
            events.push(Event {
                time: now,
                client: None,
                line: 0,
                kind: EventKind::Timer {
                    service: s,
                    what: fired.what,
                },
                touches: fired.touches,
                sent: None,
            });
        }
        apply_wakes(m, w, s, now, fired.woken, events);
    }
}

/// Runs the client's next line (the client is runnable).
pub(crate) fn step(m: &Model, w: &mut World, client: usize, events: &mut Vec<Event>) {
    let script = m.script(client);
    let pc = w.clients[client].pc;
    let op = &script.ops[pc];
    let line = op.line;

    let before = w.clients[client].request;
    if let OpKind::Sleep { ms } = op.kind {
        sleep(w, script, client, line, ms, events);
    } else {
        step_line(m, w, client, events);
    }
    next_request_event(w, client, before, events);
}

fn step_line(m: &Model, w: &mut World, client: usize, events: &mut Vec<Event>) {
    let script = m.script(client);
    let pc = w.clients[client].pc;
    let op = &script.ops[pc];
    let line = op.line;
    let t = step_time(m, w, client);
    w.now = t;
    {
        let st = &mut w.clients[client];
        st.clock = t;
        st.sleeping_until = None;
        st.done_lines.insert(line);
    }
    match &op.kind {
        OpKind::Call { service, call, .. } => call_op(m, w, client, (*service, call), events),
        OpKind::Assign { var, expr: e } => match eval(w, client, e, t) {
            Ok(value) => {
                let st = &mut w.clients[client];
                st.vars.insert(var.clone(), value.clone());
                st.pc += 1;
                settle(script, st);
                let kind = EventKind::Assign {
                    var: var.clone(),
                    value,
                };
                push(events, t, client, line, kind, Vec::new());
            }
            Err(message) => script_error(w, t, client, line, message, events),
        },
        OpKind::Branch { cond, else_target } => match eval(w, client, cond, t) {
            Ok(Value::Bool(taken)) => {
                let st = &mut w.clients[client];
                st.pc = if taken { pc + 1 } else { *else_target };
                settle(script, st);
                push(
                    events,
                    t,
                    client,
                    line,
                    EventKind::Branch { taken },
                    Vec::new(),
                );
            }
            Ok(other) => {
                let message = format!("a condition must be true or false; `{cond}` is {other}");
                script_error(w, t, client, line, message, events)
            }
            Err(message) => script_error(w, t, client, line, message, events),
        },
        OpKind::Retry { target, max } => retry(w, script, client, line, (*target, *max), events),
        OpKind::Log { text } => match fill(&w.clients[client].vars, text) {
            Ok(text) => {
                let st = &mut w.clients[client];
                st.pc += 1;
                settle(script, st);
                push(events, t, client, line, EventKind::Log { text }, Vec::new());
            }
            Err(message) => script_error(w, t, client, line, message, events),
        },
        OpKind::Return { value } => finish(w, t, client, line, value.as_ref(), true, events),
        OpKind::Fail { message } => finish(w, t, client, line, Some(message), false, events),
        OpKind::Sleep { .. } | OpKind::Jump { .. } => {}
    }
}

/// A call line: the script variables it sends, then the call itself; the trace shows the line
/// as sent.
fn call_op(
    m: &Model,
    w: &mut World,
    client: usize,
    (service, call): (ServiceId, &crate::service::Call),
    events: &mut Vec<Event>,
) {
    let t = w.clients[client].clock;
    let line = m.script(client).ops[w.clients[client].pc].line;
    let values: Result<Vec<Value>, String> = call
        .params
        .iter()
        .map(|p| {
            let v = w.clients[client].vars.get(p).cloned();
            v.ok_or_else(|| format!("variable `{p}` has no value yet"))
        })
        .collect();
    match values {
        Ok(values) => {
            let (sent, _) = sent_text(m, w, client);
            let mark = events.len();
            send(m, w, client, service, &call.request, &values, events);
            for e in &mut events[mark..] {
                if e.client == Some(client) && e.line == line {
                    e.sent.clone_from(&sent);
                }
            }
        }
        Err(message) => script_error(w, t, client, line, message, events),
    }
}

/// `retry N`: back to the `try:` at `target` while this line has sent the client back fewer than
/// `max` times; then on to the next line.
fn retry(
    w: &mut World,
    script: &Script,
    client: usize,
    line: usize,
    (target, max): (usize, u32),
    events: &mut Vec<Event>,
) {
    let t = w.clients[client].clock;
    let st = &mut w.clients[client];
    let used = st.retries.entry(line).or_insert(0);
    let again = *used < max;
    if again {
        *used += 1;
        st.pc = target;
    } else {
        st.pc += 1;
    }
    let attempt = *used;
    settle(script, st);
    let kind = EventKind::Retry {
        attempt,
        max,
        again,
    };
    push(events, t, client, line, kind, Vec::new());
}

/// `sleep N`: the client pauses from `max(clock, now)`.
fn sleep(
    w: &mut World,
    script: &Script,
    client: usize,
    line: usize,
    ms: u64,
    events: &mut Vec<Event>,
) {
    let t = w.clients[client].clock.max(w.now);
    w.now = t;
    let st = &mut w.clients[client];
    st.clock = t + ms;
    st.sleeping_until = Some(t + ms);
    st.done_lines.insert(line);
    st.pc += 1;
    settle(script, st);
    push(
        events,
        t,
        client,
        line,
        EventKind::Sleep { until: t + ms },
        Vec::new(),
    );
}

/// `return [expr]` (ok) or `fail expr` (not ok): the request ends.
fn finish(
    w: &mut World,
    t: u64,
    client: usize,
    line: usize,
    e: Option<&expr::Expr>,
    ok: bool,
    events: &mut Vec<Event>,
) {
    let v = match e.map(|e| eval(w, client, e, t)).transpose() {
        Ok(v) => v,
        Err(message) => return script_error(w, t, client, line, message, events),
    };
    let st = &mut w.clients[client];
    st.finished_at = Some(t);
    let more = st.arrivals.len() > st.request + 1;
    let kind = if ok {
        st.status = Status::Done { value: v.clone() };
        EventKind::Return { value: v }
    } else {
        let text = match v {
            Some(Value::Text(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        st.status = Status::Failed {
            message: text.clone(),
        };
        EventKind::Fail { message: text }
    };
    push(events, t, client, line, kind, Vec::new());
    // A long-lived process answered this request (an error reply too) and serves the next.
    if more {
        w.clients[client].next_request();
    }
}

/// Sends a call to a service at the client's clock and handles the answer.
fn send(
    m: &Model,
    w: &mut World,
    client: usize,
    service: ServiceId,
    request: &Request,
    params: &[Value],
    events: &mut Vec<Event>,
) {
    let t = w.clients[client].clock;
    let line = m.script(client).ops[w.clients[client].pc].line;
    if w.health.get(service) == Some(&Health::Down) {
        let message = format!(
            "{} is down (connection refused)",
            m.lesson().services[service].title()
        );
        let reply = Reply::ConnectionError(message);
        return finish_call(m, w, t, client, service, reply, Vec::new(), false, events);
    }
    match w.services[service].call(service, client, request, params, t) {
        Exec::Blocked { wait, touches } => {
            w.clients[client].status = Status::Blocked {
                service,
                wait: wait.clone(),
                since: t,
            };
            let kind = EventKind::Call {
                service,
                outcome: CallOutcome::Waits(wait),
            };
            push(events, t, client, line, kind, touches);
        }
        Exec::Done(done) => {
            finish_call(
                m,
                w,
                t,
                client,
                service,
                done.reply,
                done.touches,
                false,
                events,
            );
            apply_wakes(m, w, service, t, done.woken, events);
        }
    }
}

/// The client's next line is a call that never reaches its service: it gets a connection error
/// at `t` (a line that is not a call just runs).
pub(crate) fn fail_call(
    m: &Model,
    w: &mut World,
    client: usize,
    t: u64,
    message: &str,
    events: &mut Vec<Event>,
) {
    let op = &m.script(client).ops[w.clients[client].pc];
    let OpKind::Call { service, .. } = op.kind else {
        return step(m, w, client, events);
    };
    w.now = t;
    let st = &mut w.clients[client];
    st.sleeping_until = None;
    st.done_lines.insert(op.line);
    let reply = Reply::ConnectionError(message.to_string());
    finish_call(m, w, t, client, service, reply, Vec::new(), false, events);
}

/// Applies a reply to the client that sent the call (directly, or when woken).
#[allow(clippy::too_many_arguments)]
fn finish_call(
    m: &Model,
    w: &mut World,
    t: u64,
    client: usize,
    service: ServiceId,
    reply: Reply,
    touches: Vec<Touch>,
    woken: bool,
    events: &mut Vec<Event>,
) {
    let script = m.script(client);
    let st = &mut w.clients[client];
    let op = &script.ops[st.pc];
    let line = op.line;
    st.clock = t;
    st.status = Status::Ready;
    let kind = |reply: Reply| {
        if woken {
            EventKind::Woken { service, reply }
        } else {
            EventKind::Call {
                service,
                outcome: CallOutcome::Reply(reply),
            }
        }
    };
    let OpKind::Call { binds, catch, .. } = &op.kind else {
        return;
    };
    let reply = if std::mem::take(&mut st.lose_reply) {
        Reply::Timeout(format!(
            "timeout (injected): no reply came; the call reached {} and may have taken effect",
            m.lesson().services[service].title()
        ))
    } else {
        reply
    };
    if let Some(message) = reply.error() {
        let code = reply.code().unwrap_or_default();
        if let Some(pc) = script.catch(*catch, &code) {
            st.vars.insert("error".into(), Value::Text(message));
            st.vars.insert("error_code".into(), Value::Text(code));
            st.pc = pc;
            settle(script, st);
            let at = script.ops.get(pc).map_or(line, |o| o.line);
            let kind = EventKind::Caught { service, reply, at };
            push(events, t, client, line, kind, touches);
            return;
        }
        st.status = Status::Failed { message };
        st.finished_at = Some(t);
        push(events, t, client, line, kind(reply), touches);
        // A long-lived process answers this request with the error and serves the next.
        st.next_request();
        return;
    }
    if !binds.is_empty() {
        match reply.values(binds) {
            Ok(values) => {
                for (name, v) in binds.iter().zip(values) {
                    st.vars.insert(name.clone(), v);
                }
            }
            Err(message) => {
                push(events, t, client, line, kind(reply), touches);
                return script_error(w, t, client, line, message, events);
            }
        }
    }
    st.pc += 1;
    settle(script, st);
    push(events, t, client, line, kind(reply), touches);
}

/// The client's current call line with its variables filled in (None when nothing changes),
/// and the line's number.
fn sent_text(m: &Model, w: &World, client: usize) -> (Option<String>, usize) {
    let script = m.script(client);
    let st = &w.clients[client];
    let Some(op) = script.ops.get(st.pc) else {
        return (None, 0);
    };
    let OpKind::Call { call, .. } = &op.kind else {
        return (None, op.line);
    };
    let values: Vec<Value> = call
        .params
        .iter()
        .map(|p| st.vars.get(p).cloned().unwrap_or(Value::Null))
        .collect();
    let text = script.lines[op.line - 1].trim();
    let sent = crate::script::fill_in(text, &call.params, &values);
    ((sent != text).then_some(sent), op.line)
}

/// Delivers replies to the clients whose calls were waiting on `service`.
pub(crate) fn apply_wakes(
    m: &Model,
    w: &mut World,
    service: ServiceId,
    t: u64,
    wakes: Vec<Wake>,
    events: &mut Vec<Event>,
) {
    for wake in wakes {
        let client = wake.conn;
        let waiting_here = matches!(
            w.clients.get(client).map(|c| &c.status),
            Some(Status::Blocked { service: s, .. }) if *s == service
        );
        if waiting_here {
            let (sent, line) = sent_text(m, w, client);
            let mark = events.len();
            let before = w.clients[client].request;
            finish_call(
                m,
                w,
                t,
                client,
                service,
                wake.reply,
                wake.touches,
                true,
                events,
            );
            for e in &mut events[mark..] {
                if e.client == Some(client) && e.line == line {
                    e.sent.clone_from(&sent);
                }
            }
            next_request_event(w, client, before, events);
        }
    }
}

/// A log line's `{name}`s replaced by the variables' values.
fn fill(vars: &std::collections::BTreeMap<String, Value>, text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let name = &rest[open + 1..close.min(rest.len())];
        let v = vars
            .get(name)
            .ok_or_else(|| format!("`{name}` has no value yet"))?;
        out.push_str(&rest[..open]);
        match v {
            Value::Text(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

fn eval(w: &World, client: usize, e: &expr::Expr, now: u64) -> Result<Value, String> {
    let env = expr::Env {
        vars: &w.clients[client].vars,
        now,
    };
    expr::eval(e, &env)
}

fn script_error(
    w: &mut World,
    t: u64,
    client: usize,
    line: usize,
    message: String,
    events: &mut Vec<Event>,
) {
    let st = &mut w.clients[client];
    st.status = Status::Failed {
        message: format!("script error on line {line}: {message}"),
    };
    st.finished_at = Some(t);
    push(
        events,
        t,
        client,
        line,
        EventKind::ScriptError { message },
        Vec::new(),
    );
}
