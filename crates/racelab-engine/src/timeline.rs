//! A run as a timeline on the virtual-time axis, for the page's SVG view: a lane per client
//! and per service, each call as an arrow to its service and each reply as an arrow back, lock
//! and reply waits and sleeps as bars, faults, failures and ends as marks. Every item names
//! the action that made it, so a click can go back to the moment after it
//! ([`crate::run::Run::go_to`]). Built from the trace alone: the timeline of a replayed
//! case-table row is drawn the same way.

use crate::model::{Model, Status};
use crate::run::Run;
use crate::service::api::{Reply, ServiceId};
use crate::trace::{CallOutcome, EventKind};
use crate::words;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Clients first (in the lesson's order), then the services.
    pub lanes: Vec<String>,
    /// How many lanes are clients.
    pub clients: usize,
    /// The last time on the axis (at least 1).
    pub end: u64,
    pub arrows: Vec<Arrow>,
    pub bars: Vec<Bar>,
    pub marks: Vec<Mark>,
}

/// A call (client → service) or a reply (service → client) at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub from: usize,
    pub to: usize,
    pub time: u64,
    pub label: String,
    /// The reply is an error.
    pub error: bool,
    /// The number of actions after which this arrow exists (go back there on a click).
    pub after: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// Waiting for a reply (a row lock, a lock node, a message).
    Wait,
    /// A sleep: a line's or a fault's pause.
    Sleep,
}

/// Time spent waiting on a client lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub lane: usize,
    pub from: u64,
    pub to: u64,
    pub kind: BarKind,
    pub label: String,
    /// Still going on at the end of the run.
    pub open: bool,
    pub after: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Fault,
    /// `return`, or the script's end.
    Done,
    /// `fail`, an uncaught error, a script error.
    Failed,
    /// A service acting by itself (a TTL, a session expiring).
    Timer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub lane: usize,
    pub time: u64,
    pub kind: MarkKind,
    pub label: String,
    pub after: usize,
}

fn service_lane(m: &Model, s: ServiceId) -> usize {
    m.lesson().clients.len() + s
}

fn reply_error(r: &Reply) -> bool {
    r.error().is_some()
}

/// The timeline of `run` so far.
pub fn timeline(run: &Run) -> Timeline {
    let m = run.model();
    let l = m.lesson();
    let mut t = Timeline {
        lanes: l.clients.iter().map(|c| c.name.clone()).collect(),
        clients: l.clients.len(),
        end: run.now().max(1),
        arrows: Vec::new(),
        bars: Vec::new(),
        marks: Vec::new(),
    };
    t.lanes
        .extend((0..l.services.len()).map(|s| words::service_title(m, s)));
    let trace = run.trace();
    // The bar of each client's wait still open: (bar index).
    let mut waiting: Vec<Option<usize>> = vec![None; l.clients.len()];
    let mut action = 0;
    for (i, e) in trace.events.iter().enumerate() {
        while action < trace.marks.len() && trace.marks[action] <= i {
            action += 1;
        }
        let after = action;
        let Some(c) = e.client else {
            if let EventKind::Timer { service, what } = &e.kind {
                let lane = service_lane(m, *service);
                t.marks.push(Mark {
                    lane,
                    time: e.time,
                    kind: MarkKind::Timer,
                    label: what.clone(),
                    after,
                });
            }
            continue;
        };
        let sent = e.sent.clone().unwrap_or_else(|| {
            m.script(c)
                .lines
                .get(e.line.wrapping_sub(1))
                .cloned()
                .unwrap_or_default()
        });
        match &e.kind {
            EventKind::Call { service, outcome } => {
                let s = service_lane(m, *service);
                t.arrows.push(Arrow {
                    from: c,
                    to: s,
                    time: e.time,
                    label: sent,
                    error: false,
                    after,
                });
                match outcome {
                    CallOutcome::Reply(r) => t.arrows.push(Arrow {
                        from: s,
                        to: c,
                        time: e.time,
                        label: r.summary(),
                        error: reply_error(r),
                        after,
                    }),
                    CallOutcome::Waits(w) => {
                        waiting[c] = Some(t.bars.len());
                        t.bars.push(Bar {
                            lane: c,
                            from: e.time,
                            to: t.end,
                            kind: BarKind::Wait,
                            label: words::wait_text(m, w),
                            open: true,
                            after,
                        });
                    }
                }
            }
            EventKind::Woken { service, reply } => {
                if let Some(b) = waiting[c].take() {
                    t.bars[b].to = e.time;
                    t.bars[b].open = false;
                }
                t.arrows.push(Arrow {
                    from: service_lane(m, *service),
                    to: c,
                    time: e.time,
                    label: reply.summary(),
                    error: reply_error(reply),
                    after,
                });
            }
            EventKind::Sleep { until } => t.bars.push(Bar {
                lane: c,
                from: e.time,
                to: *until,
                kind: BarKind::Sleep,
                label: format!("sleeps until {until} ms"),
                open: *until > run.now(),
                after,
            }),
            EventKind::Fault { fault } => {
                t.marks.push(Mark {
                    lane: c,
                    time: e.time,
                    kind: MarkKind::Fault,
                    label: words::fault_label(m, *fault),
                    after,
                });
                if let crate::fault::Fault::Sleep(ms) = fault {
                    t.bars.push(Bar {
                        lane: c,
                        from: e.time,
                        to: e.time + ms,
                        kind: BarKind::Sleep,
                        label: format!("paused {ms} ms"),
                        open: e.time + ms > run.now(),
                        after,
                    });
                }
            }
            EventKind::Return { value } => t.marks.push(Mark {
                lane: c,
                time: e.time,
                kind: MarkKind::Done,
                label: value
                    .as_ref()
                    .map_or("done".into(), |v| format!("returned {v}")),
                after,
            }),
            EventKind::Fail { message } | EventKind::ScriptError { message } => {
                t.marks.push(Mark {
                    lane: c,
                    time: e.time,
                    kind: MarkKind::Failed,
                    label: message.clone(),
                    after,
                })
            }
            _ => {}
        }
    }
    ends(run, &mut t);
    t.end = t.end.max(t.bars.iter().map(|b| b.to).max().unwrap_or(0));
    t
}

/// A client that reached its script's end, or failed on an uncaught error, without an event
/// saying so gets its mark at the time it finished.
fn ends(run: &Run, t: &mut Timeline) {
    let after = run.trace().actions.len();
    for (c, st) in run.world().clients.iter().enumerate() {
        let (kind, label) = match &st.status {
            Status::Done { value: None } => (MarkKind::Done, "done".to_string()),
            Status::Failed { message } => (MarkKind::Failed, message.clone()),
            _ => continue,
        };
        if !t.marks.iter().any(|m| m.lane == c && m.kind == kind) {
            let time = st.finished_at.unwrap_or(st.clock);
            t.marks.push(Mark {
                lane: c,
                time,
                kind,
                label,
                after,
            });
        }
    }
}
