//! Helpers shared by the explorer's tests.

use racelab_engine::explore::Report;
use racelab_engine::Lesson;
use std::collections::BTreeSet;

/// Every (case label, outcome signature) a report lists: what two explorations must agree on.
pub fn cases(l: &Lesson, r: &Report) -> BTreeSet<(String, String)> {
    r.rows
        .iter()
        .flat_map(|row| {
            row.outcomes
                .iter()
                .map(|o| (row.label(l), r.outcomes[*o].signature()))
        })
        .collect()
}
