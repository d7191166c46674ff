//! What can happen next in a world: the model's actions, and the faults the budget still allows.

use super::{Config, Placement};
use crate::model::{Action, Model, World};
use crate::script::OpKind;

/// The placement a fault action makes in `w` (None for a step or a timer).
pub(super) fn placement(m: &Model, w: &World, a: &Action) -> Option<Placement> {
    let Action::Fault { client, fault } = *a else {
        return None;
    };
    let st = w.clients.get(client)?;
    let op = m.script(client).ops.get(st.pc)?;
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
    for client in 0..w.clients.len() {
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
pub(super) fn options(m: &Model, w: &World, cfg: &Config, faults_used: usize) -> Vec<Action> {
    let mut out = m.actions(w);
    if faults_used < cfg.max_faults {
        out.extend(faults(m, w, cfg));
    }
    out
}
