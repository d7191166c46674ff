//! What each fault kind does to a world: a pure change, like every other action.

use super::step;
use super::world::{Model, Status, World};
use crate::fault::Fault;
use crate::trace::{Event, EventKind};

/// Applies `fault` to a runnable `client`.
pub(crate) fn apply(
    m: &Model,
    w: &mut World,
    client: usize,
    fault: Fault,
    events: &mut Vec<Event>,
) {
    let line = m.script(client).ops[w.clients[client].pc].line;
    w.clients[client].fired.insert(line);
    match fault {
        Fault::Exit => {
            let t = w.clients[client].clock.max(w.now);
            crash(m, w, client, line, fault, t, events);
        }
        Fault::ExitAfter => {
            step::step(m, w, client, events);
            let t = w.clients[client].clock.max(w.now);
            crash(m, w, client, line, fault, t, events);
        }
        Fault::Timeout => {
            let t = step::step_time(m, w, client);
            step::push(
                events,
                t,
                client,
                line,
                EventKind::Fault { fault },
                Vec::new(),
            );
            w.clients[client].lose_reply = true;
            step::step(m, w, client, events);
        }
        Fault::Error => {
            let t = step::step_time(m, w, client);
            step::push(
                events,
                t,
                client,
                line,
                EventKind::Fault { fault },
                Vec::new(),
            );
            step::fail_call(
                m,
                w,
                client,
                t,
                "connection refused (injected error)",
                events,
            );
        }
        Fault::Down(_) | Fault::Up(_) | Fault::Slow(..) => {
            let t = w.clients[client].clock.max(w.now);
            w.now = t;
            w.clients[client].clock = t;
            if let Some((s, health)) = fault.health() {
                if let Some(h) = w.health.get_mut(s) {
                    *h = health;
                }
            }
            step::push(
                events,
                t,
                client,
                line,
                EventKind::Fault { fault },
                Vec::new(),
            );
        }
        Fault::Sleep(ms) => {
            let t = w.clients[client].clock.max(w.now);
            w.now = t;
            let st = &mut w.clients[client];
            st.clock = t + ms;
            st.sleeping_until = Some(t + ms);
            for s in 0..w.services.len() {
                w.services[s].pause(s, client, t, t + ms);
            }
            step::push(
                events,
                t,
                client,
                line,
                EventKind::Fault { fault },
                Vec::new(),
            );
        }
    }
}

/// The client process dies at `t`: every service drops its connection.
fn crash(
    m: &Model,
    w: &mut World,
    client: usize,
    line: usize,
    fault: Fault,
    t: u64,
    events: &mut Vec<Event>,
) {
    w.now = t;
    let st = &mut w.clients[client];
    st.status = Status::Crashed;
    st.clock = t;
    st.sleeping_until = None;
    let mut touches = Vec::new();
    let mut woken = Vec::new();
    for s in 0..w.services.len() {
        let done = w.services[s].disconnect(s, client, t);
        touches.extend(done.touches);
        woken.push((s, done.woken));
    }
    step::push(events, t, client, line, EventKind::Fault { fault }, touches);
    for (s, wakes) in woken {
        step::apply_wakes(m, w, s, t, wakes, events);
    }
}
