//! The search: depth first over (world, faults used, sleep set). Every node keeps, for each
//! class of executions below it — (fault placements made below, outcome) — how many executions
//! reach it and the first action of the shortest one, so the case table and the shortest
//! counterexamples are read off the root.
//!
//! Plain: every visit is a new node (a tree: each execution walked once). Reduced: a node is
//! looked up by its key before it is expanded (state hashing: the same key has the same
//! futures), and an action that commutes with one already explored from the same world — the
//! same world in either order — sleeps in the other's subtree (sleep sets).

use super::choices::{options, placement};
use super::fingerprint::{fingerprint, Fingerprint};
use super::outcome::Outcome;
use super::{Config, Placement, Progress, Stats};
use crate::model::{Action, Model, World};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

pub(super) type NodeId = usize;
/// Fault placements, sorted.
pub(super) type Row = Vec<Placement>;

/// A search longer than this many actions stops (a guard for the recursion).
const MAX_DEPTH: usize = 1_000;
/// The stop callback is asked every this many steps.
const ASK_EVERY: u64 = 64;

#[derive(Clone, Debug)]
pub(super) struct Class {
    /// Executions below the node in this class (saturating).
    pub count: u64,
    /// Length of the shortest one.
    pub len: u32,
    /// Its first action, the placement it makes, and the node it leads to.
    pub next: Option<(Action, Option<Placement>, NodeId)>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Node {
    pub classes: BTreeMap<(Row, usize), Class>,
}

/// (fingerprint of the world, faults used, sleep set).
type Key = (Fingerprint, usize, Vec<Action>);

pub(super) struct Search<'a> {
    pub m: &'a Model,
    cfg: &'a Config,
    stop: Option<&'a mut dyn FnMut(&Progress) -> bool>,
    pub nodes: Vec<Node>,
    /// Deterministic hasher: lookups only, never iterated.
    memo: HashMap<Key, NodeId, BuildHasherDefault<DefaultHasher>>,
    pub outcomes: Vec<Outcome>,
    outcome_ids: BTreeMap<Outcome, usize>,
    pub stats: Stats,
    pub stopped: Option<String>,
    /// The step count when the stop callback was last asked.
    asked_at: u64,
    /// Worlds are compared without their times ([`Model::timeless`]).
    timeless: bool,
    /// For each level of the search in progress: which option it explores, of how many.
    frames: Vec<(usize, usize)>,
}

impl<'a> Search<'a> {
    pub fn new(
        m: &'a Model,
        cfg: &'a Config,
        stop: Option<&'a mut dyn FnMut(&Progress) -> bool>,
    ) -> Search<'a> {
        Search {
            m,
            cfg,
            stop,
            nodes: Vec::new(),
            memo: HashMap::default(),
            outcomes: Vec::new(),
            outcome_ids: BTreeMap::new(),
            stats: Stats::default(),
            stopped: None,
            asked_at: 0,
            timeless: cfg.reduce && m.timeless(),
            frames: Vec::new(),
        }
    }

    /// Runs the search from the initial world; returns the root node.
    pub fn run(&mut self) -> NodeId {
        let w = self.m.init();
        let root = self.visit(&w, 0, Vec::new(), 0);
        self.stats.states = self.nodes.len() as u64;
        self.stats.executions = self.nodes[root]
            .classes
            .values()
            .fold(0u64, |n, c| n.saturating_add(c.count));
        root
    }

    /// The actions of the shortest execution of class `(row, outcome)` below `node`.
    pub fn path(&self, mut node: NodeId, mut row: Row, outcome: usize) -> Vec<Action> {
        let mut out = Vec::new();
        while let Some(class) = self.nodes[node].classes.get(&(row.clone(), outcome)) {
            let Some((a, p, child)) = class.next else {
                break;
            };
            out.push(a);
            if let Some(p) = p {
                row.retain(|x| *x != p);
            }
            node = child;
        }
        out
    }

    fn visit(&mut self, w: &World, used: usize, sleep: Vec<Action>, depth: usize) -> NodeId {
        let key = (fingerprint(w, self.timeless), used, sleep);
        if self.cfg.reduce {
            if let Some(&id) = self.memo.get(&key) {
                return id;
            }
        }
        let id = self.nodes.len();
        self.nodes.push(Node::default());
        if self.out_of_budget(depth) {
            return id;
        }
        let mut classes = BTreeMap::new();
        if self.m.actions(w).is_empty() {
            self.stats.walked += 1;
            let o = self.outcome_id(Outcome::of(self.m, w));
            let leaf = Class {
                count: 1,
                len: 0,
                next: None,
            };
            classes.insert((Vec::new(), o), leaf);
        }
        self.expand(w, used, &key.2, depth, &mut classes);
        self.nodes[id].classes = classes;
        if self.cfg.reduce && self.stopped.is_none() {
            self.memo.insert(key, id);
        }
        id
    }

    /// Explores every option of `w` not asleep, merging the children's classes into `classes`.
    fn expand(
        &mut self,
        w: &World,
        used: usize,
        sleep: &[Action],
        depth: usize,
        classes: &mut BTreeMap<(Row, usize), Class>,
    ) {
        let mut done: Vec<(Action, World)> = Vec::new();
        let mut asleep: Vec<(Action, Option<World>)> = sleep.iter().map(|a| (*a, None)).collect();
        let all = options(self.m, w, self.cfg, used);
        let n = all.len();
        for (i, a) in all.into_iter().enumerate() {
            if sleep.contains(&a) || self.stopped.is_some() {
                continue;
            }
            let Some(next) = self.step(w, &a) else {
                continue;
            };
            let p = placement(self.m, w, &a);
            let child_sleep = if self.cfg.reduce && self.cfg.sleep_sets {
                self.child_sleep(w, &a, &next, &mut asleep, &done)
            } else {
                Vec::new()
            };
            self.frames.push((i, n));
            let child = self.visit(
                &next,
                used + usize::from(p.is_some()),
                child_sleep,
                depth + 1,
            );
            self.frames.pop();
            merge(classes, &self.nodes[child].classes, a, p, child);
            done.push((a, next));
        }
    }

    /// The sleep set of the child reached by `a`: the actions asleep here and those explored
    /// before `a` that commute with it (steps and timers only: faults are always explored).
    fn child_sleep(
        &mut self,
        w: &World,
        a: &Action,
        wa: &World,
        asleep: &mut [(Action, Option<World>)],
        done: &[(Action, World)],
    ) -> Vec<Action> {
        let mut out = Vec::new();
        for (b, wb) in asleep.iter_mut() {
            if wb.is_none() && (self.timeless || self.same_time(w, a, b)) {
                *wb = self.step(w, b);
            }
            if let Some(wb) = wb {
                if self.commute(w, a, wa, b, wb) {
                    out.push(*b);
                }
            }
        }
        for (b, wb) in done {
            if !matches!(b, Action::Fault { .. }) && self.commute(w, a, wa, b, wb) {
                out.push(*b);
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn same_time(&self, w: &World, a: &Action, b: &Action) -> bool {
        let ta = self.m.effect_time(w, a);
        ta.is_some() && ta == self.m.effect_time(w, b)
    }

    /// Whether `a` and `b` commute in `w`: both orders can be taken and reach the same world
    /// (and a fault lands on the same line in both). Cheap filter first, when time can be
    /// observed: the same effect time.
    fn commute(&mut self, w: &World, a: &Action, wa: &World, b: &Action, wb: &World) -> bool {
        if a == b || (!self.timeless && !self.same_time(w, a, b)) {
            return false;
        }
        if placement(self.m, w, a) != placement(self.m, wb, a) {
            return false;
        }
        let (Some(ab), Some(ba)) = (self.step(wa, b), self.step(wb, a)) else {
            return false;
        };
        if self.timeless {
            ab.untimed() == ba.untimed()
        } else {
            ab == ba
        }
    }

    fn step(&mut self, w: &World, a: &Action) -> Option<World> {
        self.stats.steps += 1;
        self.m.next_state(w, a).ok().map(|(next, _)| next)
    }

    fn outcome_id(&mut self, o: Outcome) -> usize {
        if let Some(&id) = self.outcome_ids.get(&o) {
            return id;
        }
        let id = self.outcomes.len();
        self.outcomes.push(o.clone());
        self.outcome_ids.insert(o, id);
        id
    }

    fn ask_stop(&mut self) -> bool {
        self.asked_at = self.stats.steps;
        let progress = Progress {
            walked: self.stats.walked,
            states: self.nodes.len() as u64,
            steps: self.stats.steps,
            done: self.fraction_done(),
        };
        self.stop.as_mut().is_some_and(|f| f(&progress))
    }

    /// How much of the search is behind it, from the options finished at each level (an
    /// estimate: subtrees differ in size, and shared states are not walked twice).
    fn fraction_done(&self) -> f64 {
        let mut share = 1.0;
        let mut done = 0.0;
        for &(i, n) in &self.frames {
            let each = share / n.max(1) as f64;
            done += each * i as f64;
            share = each;
        }
        done
    }

    /// Sets `stopped` when a budget is spent (or the caller says stop).
    fn out_of_budget(&mut self, depth: usize) -> bool {
        if self.stopped.is_some() {
            return true;
        }
        let partial = "results are partial";
        let s = &self.stats;
        self.stopped = if self.cfg.max_executions.is_some_and(|n| s.walked >= n) {
            let n = self.cfg.max_executions.unwrap_or(0);
            Some(format!(
                "stopped: budget of {n} executions reached; {partial}"
            ))
        } else if self.cfg.max_steps.is_some_and(|n| s.steps >= n) {
            let n = self.cfg.max_steps.unwrap_or(0);
            Some(format!("stopped: budget of {n} steps reached; {partial}"))
        } else if depth >= MAX_DEPTH {
            Some(format!(
                "stopped: a run went over {MAX_DEPTH} actions; {partial}"
            ))
        } else if s.steps >= self.asked_at + ASK_EVERY && self.ask_stop() {
            Some(format!("stopped: out of time; {partial}"))
        } else {
            None
        };
        self.stopped.is_some()
    }
}

/// Adds the classes of a child reached by `a` (which makes placement `p`) to a node's.
fn merge(
    into: &mut BTreeMap<(Row, usize), Class>,
    child: &BTreeMap<(Row, usize), Class>,
    a: Action,
    p: Option<Placement>,
    id: NodeId,
) {
    for ((row, o), c) in child {
        let mut row = row.clone();
        if let Some(p) = p {
            row.push(p);
            row.sort();
        }
        let e = into.entry((row, *o)).or_insert(Class {
            count: 0,
            len: u32::MAX,
            next: None,
        });
        e.count = e.count.saturating_add(c.count);
        if c.len.saturating_add(1) < e.len {
            e.len = c.len + 1;
            e.next = Some((a, p, id));
        }
    }
}
