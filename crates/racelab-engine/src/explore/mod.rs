//! The explorer: every distinct execution of a lesson variant — every interleaving of the
//! actions [`Model::actions`] offers and every placement of up to `k` faults of the kinds the
//! caller selects — with each execution's verdicts and outcome, gathered into a case table (one
//! row per fault placement, plus "no fault").
//!
//! - `choices.rs`: what can happen next in a world, fault placements included, and when two
//!   actions commute (the same world in either order).
//! - `search.rs`: the depth-first search over the graph of (world, faults used, sleep set),
//!   plain (a tree, every execution walked) or reduced (state hashing + sleep sets).
//! - `outcome.rs`: an execution's outcome signature (verdicts + final state summary).
//! - `table.rs`: the case table and its tally.
//! - `wire.rs`: the case table in words ([`wire::TableView`]) and its text form, for the page's
//!   Web Worker and its cache.
//! - `expect.rs`: the tallies lessons expect, checked by `racelab check`.
//! - `sample.rs`: seeded random and PCT sampling beyond exhaustive bounds ("sampled, not
//!   exhaustive").
//! - `replay_id.rs`: replay ids, `for-update:0.1.0x.1…`, that [`crate::Run::replay`] reproduces.
//!
//! The engine has no clock: budgets are counts, and wall time comes in through a "stop now?"
//! callback. See "The explorer" in ARCHITECTURE.md for why the reduction is sound.

mod choices;
pub mod expect;
mod fingerprint;
mod outcome;
pub mod replay_id;
pub mod sample;
mod search;
mod table;
pub mod wire;

pub use outcome::Outcome;
pub use table::{count_text, placement_label, CaseRow, Tally};

use crate::fault::Fault;
use crate::lesson::Lesson;
use crate::model::Model;
use std::sync::Arc;

/// The model variant `v`'s case table explores: the lesson with each client group cut to the
/// variant's group limit ([`Lesson::explore_limit`]).
pub fn model_for(lesson: &Arc<Lesson>, v: usize) -> Result<Model, String> {
    let l = lesson.bounded(lesson.explore_limit(v))?;
    Ok(Model::new(l, v))
}

/// What a case table of `m` says besides its rows: client groups explored with fewer members
/// than the lesson declares, and the source document's own tally of the table.
pub fn table_notes(m: &Model) -> Vec<String> {
    let l = m.lesson();
    let mut out: Vec<String> = l
        .groups
        .iter()
        .filter(|g| g.members.len() < g.count)
        .map(|g| {
            format!(
                "group {} explored with {} of its {} clients (group_limit): the verdicts hold for executions of these {}",
                g.name,
                g.members.len(),
                g.count,
                g.members.len()
            )
        })
        .collect();
    let spec = l.variants.get(m.variant()).and_then(|v| v.explore.as_ref());
    if let Some(only) = spec.and_then(|s| s.fault_clients.as_ref()) {
        let names: Vec<&str> = only.iter().map(|&c| m.client_name(c)).collect();
        out.push(format!("faults placed on {} only", names.join(", ")));
    }
    if let Some(doc) = spec.and_then(|s| s.document.as_ref()) {
        let source = l.source.as_deref().unwrap_or("the source document");
        out.push(format!("{source} counts: {doc}"));
    }
    out
}

/// A fault of a given kind at a client's script line: one "placement".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Placement {
    pub client: usize,
    pub line: usize,
    pub fault: Fault,
}

/// What to explore.
#[derive(Clone, Debug)]
pub struct Config {
    /// The fault kinds that may be placed (each with its parameters: `Sleep(60000)`).
    pub faults: Vec<Fault>,
    /// At most this many faults per execution.
    pub max_faults: usize,
    /// State hashing and sleep sets (true), or every execution walked (false).
    pub reduce: bool,
    /// With `reduce`: sleep sets too (true), or state hashing alone, which keeps the counts of
    /// executions exact — what plain enumeration would walk — without walking them (false).
    pub sleep_sets: bool,
    /// Stop after this many executions reached (leaves walked).
    pub max_executions: Option<u64>,
    /// Stop after this many steps (calls of the pure step).
    pub max_steps: Option<u64>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            faults: Vec::new(),
            max_faults: 1,
            reduce: true,
            sleep_sets: false,
            max_executions: None,
            max_steps: None,
        }
    }
}

/// How much work an exploration did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Executions represented by the result (paths to an end; with state hashing, counted
    /// through shared states rather than walked).
    pub executions: u64,
    /// Ends actually reached by the search.
    pub walked: u64,
    /// Search nodes (with reduction: distinct (world, faults used, sleep set)).
    pub states: u64,
    /// Calls of the pure step.
    pub steps: u64,
}

/// How far an exploration in progress is, for the "stop now?" callback.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Ends reached so far.
    pub walked: u64,
    /// Search nodes so far.
    pub states: u64,
    /// Calls of the pure step so far.
    pub steps: u64,
    /// An estimate of the part of the search done, from 0 to 1.
    pub done: f64,
}

/// The result of an exploration.
#[derive(Clone, Debug)]
pub struct Report {
    pub variant: usize,
    /// One row per combination of fault placements that some execution made; "no fault" first.
    pub rows: Vec<CaseRow>,
    /// The distinct outcomes, indexed by [`CaseRow::outcomes`].
    pub outcomes: Vec<Outcome>,
    pub stats: Stats,
    /// Why the search stopped early ("stopped: budget of 10 executions reached; results are
    /// partial"), or None when it is complete.
    pub stopped: Option<String>,
}

impl Report {
    pub fn tally(&self) -> Tally {
        table::tally(&self.rows)
    }
}

/// Explores `model` under `cfg`. `stop` is asked now and then, with the progress so far,
/// whether to give up (wall time, a user's cancel); it can also report the progress.
pub fn explore<'a>(
    model: &'a Model,
    cfg: &'a Config,
    stop: Option<&'a mut dyn FnMut(&Progress) -> bool>,
) -> Report {
    let mut s = search::Search::new(model, cfg, stop);
    let root = s.run();
    let stopped = s.stopped.clone();
    let (rows, outcomes, stats) = table::build(&s, root);
    Report {
        variant: model.variant(),
        rows,
        outcomes,
        stats,
        stopped,
    }
}
