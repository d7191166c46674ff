//! Sampling, for scenarios beyond exhaustive bounds: `runs` executions from a seed, each with
//! its fault placements drawn first (0 to `max_faults` of them, uniformly among the lines and
//! kinds they can hit) and its schedule drawn step by step —
//!
//! - *random*: each time, one of the possible actions, uniformly;
//! - *PCT* (probabilistic concurrency testing, Burckhardt et al., ASPLOS 2010): every client
//!   and every service timer gets a random priority, the highest-priority one that can act
//!   acts, and at `depth - 1` random steps the one acting drops below all others — which finds
//!   a bug that needs `depth` ordering constraints with probability at least 1/(n·k^(depth-1)).
//!
//! The result is a case table like the exhaustive one, always marked "sampled, not
//! exhaustive", with a replay id for each row's shortest sampled counterexample. Same seed,
//! same table, natively and in the browser (ChaCha, u64 ranges).

use super::choices::placement;
use super::outcome::Outcome;
use super::replay_id;
use super::{CaseRow, Config, Placement, Report, Stats};
use crate::model::{Action, Model, World};
use crate::script::OpKind;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};

/// How schedules are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    Random,
    Pct { depth: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    pub how: Sampling,
    pub runs: u64,
    pub seed: u64,
}

/// A run longer than this many actions is cut (and counted as it ended).
const MAX_LEN: usize = 1_000;

fn pick(rng: &mut StdRng, n: usize) -> usize {
    rng.random_range(0..n.max(1) as u64) as usize
}

/// Every (client, line, kind) a fault of `cfg` could be placed at.
fn all_placements(m: &Model, cfg: &Config, clients: usize) -> Vec<Placement> {
    let mut out = Vec::new();
    for client in 0..clients {
        let mut lines = BTreeSet::new();
        for op in &m.script(client).ops {
            if !lines.insert(op.line) {
                continue;
            }
            let call = matches!(op.kind, OpKind::Call { .. });
            for &fault in &cfg.faults {
                if call || !fault.needs_a_call() {
                    out.push(Placement {
                        client,
                        line: op.line,
                        fault,
                    });
                }
            }
        }
    }
    out
}

/// One execution's plan: its faults, and PCT's priorities and change points.
struct Plan {
    faults: Vec<Placement>,
    /// Priority of each client, then of each service's timer (higher acts first).
    priority: Vec<usize>,
    /// Steps at which the acting thread drops to the lowest priorities, in order.
    changes: Vec<usize>,
}

fn draw_plan(
    rng: &mut StdRng,
    s: &SampleConfig,
    cfg: &Config,
    all: &[Placement],
    threads: usize,
    len: usize,
) -> Plan {
    // No kinds selected (or no line they can hit): no faults.
    let k = if all.is_empty() {
        0
    } else {
        pick(rng, cfg.max_faults + 1)
    };
    let mut faults: Vec<Placement> = Vec::new();
    for _ in 0..k {
        let p = all[pick(rng, all.len())];
        if !faults
            .iter()
            .any(|q| (q.client, q.line) == (p.client, p.line))
        {
            faults.push(p);
        }
    }
    let depth = match s.how {
        Sampling::Pct { depth } => depth.max(1),
        Sampling::Random => 1,
    };
    // A random permutation of depth..depth+threads (Fisher–Yates).
    let mut priority: Vec<usize> = (depth..depth + threads).collect();
    for i in (1..priority.len()).rev() {
        priority.swap(i, pick(rng, i + 1));
    }
    let changes = (1..depth).map(|_| 1 + pick(rng, len.max(1))).collect();
    Plan {
        faults,
        priority,
        changes,
    }
}

/// The actions possible in `w` under the plan: a client at a planned fault's line takes the
/// fault instead of its step (a waiting client can still take an exit).
fn candidates(m: &Model, w: &World, plan: &Plan) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for a in m.actions(w) {
        let faulted = a.client().and_then(|c| planned(m, w, plan, c));
        out.push(faulted.unwrap_or(a));
    }
    for c in 0..w.clients.len() {
        if !m.is_runnable(w, c) {
            if let Some(f) = planned(m, w, plan, c) {
                out.push(f);
            }
        }
    }
    out
}

fn planned(m: &Model, w: &World, plan: &Plan, client: usize) -> Option<Action> {
    let st = w.clients.get(client)?;
    let line = m.script(client).ops.get(st.pc)?.line;
    let p = plan
        .faults
        .iter()
        .find(|p| p.client == client && p.line == line && !st.fired.contains(&line))?;
    m.can_fault(w, client, p.fault).then_some(Action::Fault {
        client,
        fault: p.fault,
    })
}

/// The thread an action belongs to: its client, or `clients + service` for a timer.
fn thread(a: &Action, clients: usize) -> usize {
    match *a {
        Action::Step(c) | Action::Fault { client: c, .. } => c,
        Action::Timer(s) => clients + s,
    }
}

/// One sampled execution: its actions, the placements its faults made, and its final world.
fn one_run(
    m: &Model,
    s: &SampleConfig,
    plan: &mut Plan,
    rng: &mut StdRng,
    stats: &mut Stats,
) -> (Vec<Action>, Vec<Placement>, World) {
    let mut w = m.init();
    let clients = w.clients.len();
    let mut actions = Vec::new();
    let mut fired = Vec::new();
    while actions.len() < MAX_LEN {
        let options = candidates(m, &w, plan);
        if options.is_empty() {
            break;
        }
        let a = match s.how {
            Sampling::Random => options[pick(rng, options.len())],
            Sampling::Pct { .. } => *options
                .iter()
                .max_by_key(|a| plan.priority.get(thread(a, clients)).copied().unwrap_or(0))
                .unwrap_or(&options[0]),
        };
        stats.steps += 1;
        let Ok((next, _)) = m.next_state(&w, &a) else {
            break;
        };
        fired.extend(placement(m, &w, &a));
        actions.push(a);
        w = next;
        if let Some(j) = plan.changes.iter().position(|&c| c == actions.len()) {
            if let Some(p) = plan.priority.get_mut(thread(&a, clients)) {
                *p = j;
            }
        }
    }
    (actions, fired, w)
}

#[derive(Default)]
struct RowAcc {
    ok: u64,
    bad: u64,
    outcomes: BTreeSet<usize>,
    shortest_bad: Option<Vec<Action>>,
    shortest_ok: Option<Vec<Action>>,
}

/// Samples `s.runs` executions of `m` with the fault kinds and budget of `cfg`.
pub fn sample(m: &Model, cfg: &Config, s: &SampleConfig) -> Report {
    let mut rng = StdRng::seed_from_u64(s.seed);
    let w0 = m.init();
    let threads = w0.clients.len() + w0.services.len();
    let all = all_placements(m, cfg, w0.clients.len());
    let mut stats = Stats::default();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut rows: BTreeMap<Vec<Placement>, RowAcc> = BTreeMap::new();
    // PCT needs an estimate of a run's length: the last run's (the scripts' size at first).
    let mut len: usize = (0..w0.clients.len()).map(|c| m.script(c).ops.len()).sum();
    for _ in 0..s.runs {
        let mut plan = draw_plan(&mut rng, s, cfg, &all, threads, len);
        let (actions, mut row, w) = one_run(m, s, &mut plan, &mut rng, &mut stats);
        len = actions.len();
        stats.walked += 1;
        stats.executions += 1;
        row.sort();
        let o = Outcome::of(m, &w);
        let ok = o.ok();
        let id = outcomes.iter().position(|x| *x == o).unwrap_or_else(|| {
            outcomes.push(o);
            outcomes.len() - 1
        });
        let acc = rows.entry(row).or_default();
        acc.outcomes.insert(id);
        let (count, best) = if ok {
            (&mut acc.ok, &mut acc.shortest_ok)
        } else {
            (&mut acc.bad, &mut acc.shortest_bad)
        };
        *count += 1;
        if best.as_ref().is_none_or(|b| actions.len() < b.len()) {
            *best = Some(actions);
        }
    }
    stats.states = stats.steps;
    let id = |a: &Option<Vec<Action>>| a.as_ref().map(|a| replay_id::id_of(m, a));
    let label = match s.how {
        Sampling::Random => "random schedules".to_string(),
        Sampling::Pct { depth } => format!("PCT schedules of depth {depth}"),
    };
    Report {
        variant: m.variant(),
        rows: rows
            .iter()
            .map(|(p, acc)| CaseRow {
                placements: p.clone(),
                ok: acc.ok,
                bad: acc.bad,
                outcomes: acc.outcomes.iter().copied().collect(),
                counterexample: id(&acc.shortest_bad),
                example: id(&acc.shortest_ok),
            })
            .collect(),
        outcomes,
        stats,
        stopped: Some(format!(
            "sampled, not exhaustive: {} executions of {label}, seed {}",
            s.runs, s.seed
        )),
    }
}
