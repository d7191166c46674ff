//! Row order, as PostgreSQL 15 produces it for lesson-sized tables, and the refusals where it
//! depends on the planner's cost estimates.
//!
//! Without ORDER BY, rows come in the order of the scan the planner picks (see
//! [`ScanOrder`]): a sequential scan in heap order, a bitmap index scan (a condition on the key
//! that is not an equality on all of it) in the heap order of each row's first tuple, an index
//! scan (ORDER BY the key) in key order. A sort is stable below seven rows (PostgreSQL's qsort
//! is an insertion sort there); above, and in a bounded top-N sort, ties come out in an order
//! the simulator does not reproduce. GROUP BY hashes its groups. Where the order would depend
//! on such things the simulator refuses the statement (0A000) rather than guess.

use super::select::SelectPlan;
use crate::sql::bind::OrderTarget;
use crate::sql::error::SqlError;
use crate::sql::eval::B;
use crate::sql::ssi::{access, pins_key, Access};
use crate::sql::state::ScanOrder;
use crate::sql::state::Table;
use crate::value::Value;

/// PostgreSQL's qsort sorts fewer rows than this by insertion, which keeps ties in input order.
const STABLE_SORT_BELOW: usize = 7;

impl SelectPlan {
    /// How the planner reads `t` for this query.
    pub(super) fn access<'a>(&'a self, t: &Table) -> Access<'a> {
        access(t, self.filter.as_ref(), self.ordered_by_pk(t))
    }

    /// The order the scan of `t` returns rows in.
    pub(super) fn scan_order(&self, t: &Table) -> ScanOrder {
        self.access(t).order(self.ordered_by_pk(t))
    }

    /// ORDER BY names every primary-key column: no two rows tie.
    fn orders_totally(&self, t: &Table) -> bool {
        !t.pk.is_empty()
            && self.group.is_none()
            && t.pk.iter().all(|&c| {
                self.order.iter().any(|(target, _, _)| match target {
                    OrderTarget::Input(B::Col(i)) => *i == c,
                    OrderTarget::Output(o) => {
                        matches!(self.outputs.get(*o), Some((_, B::Col(i))) if *i == c)
                    }
                    OrderTarget::Input(_) => false,
                })
            })
    }

    /// Refuses LIMIT / OFFSET without ORDER BY over a condition on the key that may match
    /// several rows: PostgreSQL then picks a sequential, bitmap or index scan by its cost
    /// estimates (even by the LIMIT's value), and each returns another order.
    pub(super) fn check_limit_order(&self, t: &Table) -> Result<(), SqlError> {
        let limited = self.limit.is_some() || self.offset > 0;
        if !limited || !self.order.is_empty() || self.group.is_some() {
            return Ok(());
        }
        match (&self.access(t), &self.filter) {
            (Access::Index(Some(_)), Some(f)) if !pins_key(t, f) => Err(SqlError::not_supported(
                "LIMIT or OFFSET without ORDER BY over a condition on the primary key (the rows \
                 PostgreSQL returns then depend on its planner's cost estimates; add ORDER BY)",
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a result whose order PostgreSQL's sort would not keep: rows that tie on every
    /// ORDER BY key, among seven or more rows or in a bounded (LIMIT) sort that switched to a
    /// heap; and two or more groups without ORDER BY (hash order).
    pub(super) fn check_ties(
        &self,
        t: Option<&Table>,
        sort_keys: &[&[Value]],
    ) -> Result<(), SqlError> {
        let n = sort_keys.len();
        if self.group.is_some() && self.order.is_empty() && n > 1 {
            return Err(SqlError::not_supported(
                "GROUP BY without ORDER BY (PostgreSQL returns the groups in hash order; add \
                 ORDER BY)",
            ));
        }
        if self.order.is_empty() || t.is_some_and(|t| self.orders_totally(t)) {
            return Ok(());
        }
        let bound = self
            .limit
            .map(|l| usize::try_from(l.saturating_add(self.offset)).unwrap_or(usize::MAX));
        let heap_sort = bound.is_some_and(|b| n > b.saturating_mul(2));
        if n < STABLE_SORT_BELOW && !heap_sort {
            return Ok(());
        }
        let tie = sort_keys.windows(2).any(|w| {
            w[0].iter()
                .zip(w[1].iter())
                .all(|(a, b)| crate::sql::types::compare_sort(a, b, false, false).is_eq())
        });
        if tie {
            return Err(SqlError::not_supported(
                "an ORDER BY with ties among seven or more rows, or under a LIMIT (PostgreSQL's \
                 sort does not keep their order; add the primary key to ORDER BY)",
            ));
        }
        Ok(())
    }
}
