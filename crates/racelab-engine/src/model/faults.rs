//! What each fault kind does to a world: a pure change, like every other action.

use super::step;
use super::world::{Model, Status, World};
use crate::fault::Fault;
use crate::trace::{Event, EventKind};

/// Applies `fault` to `client` (runnable, or waiting for an exit).
pub(crate) fn apply(
    m: &Model,
    w: &mut World,
    client: usize,
    fault: Fault,
    events: &mut Vec<Event>,
) {
    let line = m.script(client).ops[w.clients[client].pc].line;
    w.clients[client].fired.insert(line);
    // When the fault happens: when the line's reply would come, or at once.
    let t = if fault.takes_the_line_time() {
        step::step_time(m, w, client)
    } else {
        w.clients[client].clock.max(w.now)
    };
    let announce = |events: &mut Vec<Event>| {
        step::push(
            events,
            t,
            client,
            line,
            EventKind::Fault { fault },
            Vec::new(),
        )
    };
    match fault {
        Fault::Exit => crash(m, w, client, line, fault, t, events),
        Fault::ExitAfter => {
            step::step(m, w, client, events);
            let t = w.clients[client].clock.max(w.now);
            crash(m, w, client, line, fault, t, events);
        }
        Fault::Timeout => {
            announce(events);
            w.clients[client].lose_reply = true;
            step::step(m, w, client, events);
        }
        Fault::Error => {
            announce(events);
            let message = "connection refused (injected error)";
            step::fail_call(m, w, client, t, message, events);
        }
        Fault::Down(_) | Fault::Up(_) | Fault::Slow(..) => {
            w.now = t;
            w.clients[client].clock = t;
            if let Some((s, health)) = fault.health() {
                if let Some(h) = w.health.get_mut(s) {
                    *h = health;
                }
            }
            announce(events);
        }
        Fault::Sleep(ms) => {
            w.now = t;
            let st = &mut w.clients[client];
            st.clock = t + ms;
            st.sleeping_until = Some(t + ms);
            for s in 0..w.services.len() {
                w.services[s].pause(s, client, t, t + ms);
            }
            announce(events);
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
