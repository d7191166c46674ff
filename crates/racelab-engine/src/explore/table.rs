//! The case table: one row per combination of fault placements an execution made ("no fault"
//! first), with how many executions ended ok (every assertion passes) and bad, their outcomes,
//! and the shortest counterexample's replay id.

use super::outcome::Outcome;
use super::replay_id;
use super::search::{NodeId, Row, Search};
use super::{Placement, Stats};
use crate::fault::Placement as Where;
use crate::lesson::Lesson;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// The faults placed (empty: the "no fault" row).
    pub placements: Vec<Placement>,
    /// Executions where every assertion passes, and where some does not.
    pub ok: u64,
    pub bad: u64,
    /// Indices into [`super::Report::outcomes`], sorted.
    pub outcomes: Vec<usize>,
    /// The shortest bad execution's replay id (when `bad > 0`).
    pub counterexample: Option<String>,
    /// The shortest ok execution's replay id (when `ok > 0`).
    pub example: Option<String>,
}

impl CaseRow {
    /// "no fault", or "exit before T1:5 + sleep=60000 before T2:3".
    pub fn label(&self, lesson: &Lesson) -> String {
        if self.placements.is_empty() {
            return "no fault".into();
        }
        let parts: Vec<String> = self
            .placements
            .iter()
            .map(|p| placement_label(lesson, p))
            .collect();
        parts.join(" + ")
    }
}

/// "exit before T1:5", "exit-after after T2:4".
pub fn placement_label(lesson: &Lesson, p: &Placement) -> String {
    let at = match p.fault.placement() {
        Where::Before => "before",
        Where::After => "after",
    };
    // A placement on a client group's member names the group: members are interchangeable.
    let client = match lesson.group_of(p.client) {
        Some(g) => g.name.as_str(),
        None => lesson
            .clients
            .get(p.client)
            .map_or("?", |c| c.name.as_str()),
    };
    format!("{} {at} {client}:{}", p.fault.spec(lesson), p.line)
}

/// A count of executions as people read it: counts saturate at 2^64 − 1 (path counts through
/// the shared state graph can exceed that), which reads "≥ 2^64", never a bogus exact number.
pub fn count_text(n: u64) -> String {
    if n == u64::MAX {
        "≥ 2^64".to_string()
    } else {
        n.to_string()
    }
}

/// Rows: a row is ok when none of its executions is bad; mixed rows have both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub ok: usize,
    /// Rows with at least one bad execution (mixed rows included).
    pub bad: usize,
    /// Rows ok under some interleavings and bad under others.
    pub mixed: usize,
}

pub(super) fn tally(rows: &[CaseRow]) -> Tally {
    let mut t = Tally::default();
    for r in rows {
        if r.bad == 0 {
            t.ok += 1;
        } else {
            t.bad += 1;
            if r.ok > 0 {
                t.mixed += 1;
            }
        }
    }
    t
}

/// The rows of the search's root, with the distinct outcomes and the counts.
pub(super) fn build(s: &Search, root: NodeId) -> (Vec<CaseRow>, Vec<Outcome>, Stats) {
    // For each row: ok/bad counts, outcomes, and the shortest bad and ok (length, outcome).
    type Best = Option<(u32, usize)>;
    let mut by_row: BTreeMap<Row, (u64, u64, BTreeSet<usize>, Best, Best)> = BTreeMap::new();
    for ((row, o), c) in &s.nodes[root].classes {
        let e = by_row.entry(row.clone()).or_default();
        let ok = s.outcomes[*o].ok();
        let (count, best) = if ok {
            (&mut e.0, &mut e.4)
        } else {
            (&mut e.1, &mut e.3)
        };
        *count = count.saturating_add(c.count);
        if best.is_none_or(|(len, _)| c.len < len) {
            *best = Some((c.len, *o));
        }
        e.2.insert(*o);
    }
    let id = |row: &Row, best: Best| {
        best.map(|(_, o)| replay_id::id_of(s.m, &s.path(root, row.clone(), o)))
    };
    let rows = by_row
        .iter()
        .map(|(row, (ok, bad, outcomes, worst, fine))| CaseRow {
            placements: row.clone(),
            ok: *ok,
            bad: *bad,
            outcomes: outcomes.iter().copied().collect(),
            counterexample: id(row, *worst),
            example: id(row, *fine),
        })
        .collect();
    (rows, s.outcomes.clone(), s.stats)
}
