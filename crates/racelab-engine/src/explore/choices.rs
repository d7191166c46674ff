//! What can happen next in a world: the model's actions, and the faults the budget still allows.

use super::{Config, Placement};
use crate::model::{Action, Model, Status, World};
use crate::script::OpKind;

/// The placement a fault action makes in `w` (None for a step or a timer).
pub(super) fn placement(m: &Model, w: &World, a: &Action) -> Option<Placement> {
    let Action::Fault { client, fault } = *a else {
        return None;
    };
    let st = w.clients.get(client)?;
    let op = m.script(client).ops.get(st.pc)?;
    // Members of a client group are interchangeable: a fault on any of them at a line is one
    // case of the table, recorded on the group's first member.
    let client = m
        .lesson()
        .group_of(client)
        .map_or(client, |g| g.members.start);
    Some(Placement {
        client,
        line: op.line,
        fault,
    })
}

/// Whether `client`'s next line calls a service.
fn at_a_call(m: &Model, w: &World, client: usize) -> bool {
    let pc = w.clients[client].pc;
    matches!(
        m.script(client).ops.get(pc).map(|op| &op.kind),
        Some(OpKind::Call { .. })
    )
}

/// The faults that can be placed in `w`: each selected kind at each client it can hit, on a
/// line where no fault fired yet (error and timeout only on a line that calls a service).
pub(super) fn faults(m: &Model, w: &World, cfg: &Config) -> Vec<Action> {
    let mut out = Vec::new();
    // The variant's case table may place faults on some clients only.
    let only = m.lesson().variants[m.variant()]
        .explore
        .as_ref()
        .and_then(|e| e.fault_clients.as_ref());
    for client in 0..w.clients.len() {
        if only.is_some_and(|o| !o.contains(&client)) {
            continue;
        }
        let st = &w.clients[client];
        let Some(op) = m.script(client).ops.get(st.pc) else {
            continue;
        };
        if st.fired.contains(&op.line) {
            continue;
        }
        for &fault in &cfg.faults {
            if !m.can_fault(w, client, fault) {
                continue;
            }
            if fault.needs_a_call() && !at_a_call(m, w, client) {
                continue;
            }
            let a = Action::Fault { client, fault };
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// Everything that can happen next: the model's actions, then the faults if the budget allows.
/// Of a client group's members that have not started, only the first is offered: they are
/// interchangeable (same script, inputs and start; no service has heard from them), so
/// starting another first reaches the same executions with members renamed.
pub(super) fn options(m: &Model, w: &World, cfg: &Config, faults_used: usize) -> Vec<Action> {
    let mut out = m.actions(w);
    if faults_used < cfg.max_faults {
        out.extend(faults(m, w, cfg));
    }
    if !m.lesson().groups.is_empty() {
        out.retain(|a| a.client().is_none_or(|c| !waits_for_a_twin(m, w, c)));
    }
    out
}

/// Whether `c` has not started and an earlier member of its group has not either.
fn waits_for_a_twin(m: &Model, w: &World, c: usize) -> bool {
    let Some(g) = m.lesson().group_of(c) else {
        return false;
    };
    let fresh = |i: usize| w.clients[i].fresh() && w.clients[i].status == Status::Ready;
    fresh(c) && (g.members.start..c).any(fresh)
}
