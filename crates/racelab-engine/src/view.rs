//! Snapshots of a world for the page and the command line: a client's lane (lines with their
//! state, faults, status sentence, variables), each assertion's verdict, each service's state.
//! Views are plain data; everything they say is computed here or in [`crate::words`].

use crate::fault::{Fault, FaultPlan};
use crate::model::world::{Model, Status, World};
use crate::property::Verdict;
use crate::script::OpKind;
use crate::service::api::ServiceView;
use crate::value::Value;
use crate::words;
use std::collections::BTreeSet;

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
    /// The client waits on this line's call.
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
    /// A fault planned at this line, and whether it fired.
    pub fault: Option<(Fault, bool)>,
    /// The planned fault's badge ("exit", "Redis down"); empty when none.
    pub fault_label: String,
    /// A fault may still be placed (or removed) here.
    pub can_inject: bool,
    /// The line calls a service (an `error` fault can go here).
    pub calls: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub name: String,
    pub status: ClientStatus,
    pub status_text: String,
    pub clock: u64,
    pub runnable: bool,
    /// The client waits for a reply and can be killed while it waits ("exit now").
    pub can_exit_now: bool,
    pub lines: Vec<LineView>,
    pub vars: Vec<(String, Value)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictView {
    pub id: String,
    pub says: String,
    pub verdict: Verdict,
    /// What was observed, e.g. "got 300".
    pub detail: String,
}

/// One service's panel: its title and state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServicePanel {
    pub name: String,
    pub title: String,
    /// "up", "down", "slow (+50 ms)".
    pub health: String,
    pub view: ServiceView,
}

pub fn client_status(w: &World, client: usize) -> ClientStatus {
    let st = &w.clients[client];
    match &st.status {
        Status::Ready if st.sleeping_until.is_some_and(|u| u > w.now) => ClientStatus::Sleeping,
        Status::Ready => ClientStatus::Runnable,
        Status::Blocked { .. } => ClientStatus::Blocked,
        Status::Done { .. } => ClientStatus::Done,
        Status::Failed { .. } => ClientStatus::Failed,
        Status::Crashed => ClientStatus::Crashed,
    }
}

pub fn client_view(m: &Model, w: &World, plan: &FaultPlan, client: usize) -> Option<ClientView> {
    let st = w.clients.get(client)?;
    let script = m.script(client);
    let status = client_status(w, client);
    let call_lines: BTreeSet<usize> = script
        .ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::Call { .. }))
        .map(|o| o.line)
        .collect();
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
            let fault = plan
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
                fault_label: fault
                    .map(|(f, _)| words::fault_label(m, f))
                    .unwrap_or_default(),
                fault,
                can_inject,
                calls: call_lines.contains(&no),
            }
        })
        .collect();
    Some(ClientView {
        name: m.client_name(client).to_string(),
        status,
        status_text: words::status_text(m, w, client),
        clock: st.clock,
        runnable: m.is_runnable(w, client),
        can_exit_now: status == ClientStatus::Blocked,
        lines,
        vars: st
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// Each assertion's verdict on `w`. End-of-run checks stay pending until `finished`.
pub fn verdicts(m: &Model, w: &World, finished: bool) -> Vec<VerdictView> {
    m.lesson()
        .assertions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (verdict, detail) = p.judge(i, m, w, finished);
            VerdictView {
                id: p.id.clone(),
                says: p.says.clone(),
                verdict,
                detail,
            }
        })
        .collect()
}

/// Every service's panel, in the lesson's order, with connections named by their clients.
pub fn service_panels(m: &Model, w: &World) -> Vec<ServicePanel> {
    let name = |c: usize| words::conn_name(m, Some(c));
    w.services
        .iter()
        .zip(&w.health)
        .zip(&m.lesson().services)
        .map(|((s, h), d)| ServicePanel {
            name: d.name.clone(),
            title: d.title(),
            health: words::health(*h),
            view: s.view(&name, w.now),
        })
        .collect()
}

/// A client group's lane, folded: how many members are where, and who "Step" moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    pub name: String,
    /// How many clients the lesson declares, and how many this run has (fewer when it replays
    /// an execution the explorer found with the group cut).
    pub count: usize,
    pub members: std::ops::Range<usize>,
    /// "2 runnable, 1 blocked, 97 done".
    pub summary: String,
    /// The member the group's Step button steps: the first that can run.
    pub next: Option<usize>,
}

pub fn group_view(m: &Model, w: &World, g: usize) -> Option<GroupView> {
    let group = m.lesson().groups.get(g)?;
    let mut counts: Vec<(ClientStatus, usize)> = Vec::new();
    for c in group.members.clone() {
        let s = client_status(w, c);
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    counts.sort_by_key(|(s, _)| *s as u8);
    let parts: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    Some(GroupView {
        name: group.name.clone(),
        count: group.count,
        members: group.members.clone(),
        summary: parts.join(", "),
        next: group.members.clone().find(|&c| m.is_runnable(w, c)),
    })
}

/// The items of a service's view, each with a fingerprint of what the panel shows about it,
/// keyed as the page's `data-key` attributes: `table/key` for PostgreSQL and Cassandra rows,
/// `session/NAME`, `advisory/KEY`, a Redis key, an Aerospike record's key, a lock's path.
/// Remaining TTLs are left out (they count down with time), whether a TTL is set is not.
fn items(v: &ServiceView) -> Vec<(String, String)> {
    match v {
        ServiceView::Postgres(pg) => {
            let rows = pg.tables.iter().flat_map(|t| {
                t.rows.iter().map(move |r| {
                    let fp = format!("{:?}", (&r.committed, &r.pending, &r.lock, &r.older));
                    (format!("{}/{}", t.name, r.key), fp)
                })
            });
            let sessions = pg.sessions.iter().map(|s| {
                let fp = format!(
                    "{}{}{}{}",
                    s.state, s.isolation, s.snapshot, s.deadlock_victim
                );
                (format!("session/{}", s.who), fp)
            });
            let advisory = pg.advisory.iter().map(|a| {
                (
                    format!("advisory/{}", a.key),
                    format!("{:?}", (&a.holders, &a.waiters)),
                )
            });
            rows.chain(sessions).chain(advisory).collect()
        }
        ServiceView::Redis(r) => r
            .keys
            .iter()
            .map(|k| {
                (
                    k.key.clone(),
                    format!("{}{}{}", k.kind, k.value, k.ttl_ms.is_some()),
                )
            })
            .collect(),
        ServiceView::Aerospike(a) => a
            .records
            .iter()
            .map(|r| {
                (
                    r.key.clone(),
                    format!("{}{}{}", r.value, r.generation, r.ttl_ms.is_some()),
                )
            })
            .collect(),
        ServiceView::Zk(z) => z
            .locks
            .iter()
            .map(|l| {
                (
                    l.path.clone(),
                    format!("{:?}", (&l.holder, l.token, &l.waiters)),
                )
            })
            .collect(),
        ServiceView::Cql(c) => c
            .tables
            .iter()
            .flat_map(|t| {
                t.rows.iter().map(move |r| {
                    let key = r.first().cloned().unwrap_or_default();
                    (format!("{}/{key}", t.name), r.join("\u{1f}"))
                })
            })
            .collect(),
        #[cfg(test)]
        ServiceView::Timer(_) => Vec::new(),
    }
}

/// The items of `after` that are new or differ from `before` (see [`items`] for their keys):
/// what the page highlights as the last step's changes.
pub fn changed_items(before: &ServiceView, after: &ServiceView) -> BTreeSet<String> {
    let old = items(before);
    items(after)
        .into_iter()
        .filter(|(k, fp)| !old.iter().any(|(k0, fp0)| k0 == k && fp0 == fp))
        .map(|(k, _)| k)
        .collect()
}
