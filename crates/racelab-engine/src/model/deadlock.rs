//! Whether a lesson variant can deadlock in PostgreSQL, decided from its scripts before it
//! runs. A deadlock makes the outcome depend on time (the victim is the session whose
//! `deadlock_timeout` runs out first after the cycle closes), so a variant that can deadlock is
//! never compared without its times (`Model::timeless`).
//!
//! A wait-for cycle needs at least two sessions that each hold a lock (a row lock or an
//! advisory lock) while they wait for another. A client can do that only if one of its statements may lock several rows, or if it
//! opens a transaction block and in it locks two different rows, or the same row first in a
//! weaker and then in a stronger mode (two FOR SHARE holders that both want to update; as a
//! COMMIT, ROLLBACK TO SAVEPOINT or unlock may release a lock in between, any mode stronger
//! than an earlier one on that row counts). The
//! check errs towards "can deadlock": rows are told apart by their primary-key values as
//! written, and a variable that the script ever assigns may hold any key. Advisory locks count
//! like rows of their own (an advisory key is a row of a table `pg_advisory_lock`; shared is
//! a weaker mode than exclusive); a session-level one is held across statements even without a
//! transaction block.

use super::world::Model;
use crate::script::OpKind;
use crate::service::postgres::sql::{KeyPart, RowLocks};
use crate::service::Request;
use std::collections::BTreeSet;

/// A row a statement locks, as written: the table and each key value (a constant, or the
/// variable passed as the parameter; None for a variable the script assigns: any row).
type Target = (String, Vec<Option<String>>);

impl Model {
    /// Whether two or more clients may each hold a PostgreSQL lock while waiting for one.
    pub fn may_deadlock(&self) -> bool {
        (0..self.lesson.clients.len())
            .filter(|&c| self.holds_while_waiting(c))
            .count()
            >= 2
    }

    fn holds_while_waiting(&self, client: usize) -> bool {
        let script = self.script(client);
        let assigned: BTreeSet<&str> = script
            .ops
            .iter()
            .flat_map(|op| match &op.kind {
                OpKind::Assign { var, .. } => vec![var.as_str()],
                OpKind::Call { binds, .. } => binds.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut block = false;
        let mut locks: Vec<(Target, u8)> = Vec::new();
        for op in &script.ops {
            let OpKind::Call { service, call, .. } = &op.kind else {
                continue;
            };
            let Request::Sql(stmt) = &call.request else {
                continue;
            };
            let Some(pg) = self.lesson.initial.get(*service).and_then(|s| s.postgres()) else {
                continue;
            };
            block |= stmt.is_begin();
            let part = |part: KeyPart| match part {
                KeyPart::Const(v) => Some(format!("{v:?}")),
                KeyPart::Param(n) => call
                    .params
                    .get(n.wrapping_sub(1))
                    .filter(|var| !assigned.contains(var.as_str()))
                    .map(|var| format!(":{var}")),
            };
            match pg.db().row_locks(stmt) {
                RowLocks::None => {}
                RowLocks::Many => return true,
                RowLocks::One {
                    table,
                    key,
                    strength,
                } => {
                    let key = key.into_iter().map(part).collect();
                    locks.push(((table, key), strength));
                }
                RowLocks::Advisory {
                    key,
                    shared,
                    session,
                } => {
                    // A session-level lock is held across statements even outside a block.
                    block |= session;
                    let key = key.into_iter().map(part).collect();
                    let strength = if shared { 1 } else { 3 };
                    locks.push((("pg_advisory_lock".to_string(), key), strength));
                }
            }
        }
        block && two_rows_or_an_upgrade(&locks)
    }
}

/// Whether the locks, in script order, name two rows that may differ, or take one row in a
/// stronger mode than an earlier time (not only the first: a COMMIT, ROLLBACK TO SAVEPOINT or
/// pg_advisory_unlock in between may have released the lock, so it can be held in the weaker
/// mode again when the stronger one is asked for).
fn two_rows_or_an_upgrade(locks: &[(Target, u8)]) -> bool {
    let Some((first, _)) = locks.first() else {
        return false;
    };
    let any_row = |(_, key): &Target| key.iter().any(Option::is_none);
    if locks.iter().any(|(t, _)| t != first || any_row(t)) {
        return locks.len() >= 2;
    }
    locks
        .iter()
        .enumerate()
        .any(|(j, (_, s))| locks[..j].iter().any(|(_, e)| s > e))
}

#[cfg(test)]
mod tests {
    use super::two_rows_or_an_upgrade;

    fn row(table: &str, key: &str) -> (String, Vec<Option<String>>) {
        (table.to_string(), vec![Some(key.to_string())])
    }

    #[test]
    fn rows_and_upgrades() {
        let one = row("t", "1");
        assert!(!two_rows_or_an_upgrade(&[]));
        assert!(!two_rows_or_an_upgrade(&[(one.clone(), 3)]));
        // FOR UPDATE then UPDATE of the same row: no stronger mode later.
        assert!(!two_rows_or_an_upgrade(&[
            (one.clone(), 3),
            (one.clone(), 2)
        ]));
        // FOR SHARE then UPDATE: an upgrade.
        assert!(two_rows_or_an_upgrade(&[
            (one.clone(), 1),
            (one.clone(), 2)
        ]));
        assert!(two_rows_or_an_upgrade(&[
            (one.clone(), 3),
            (row("t", "2"), 3)
        ]));
        assert!(two_rows_or_an_upgrade(&[
            (one.clone(), 3),
            (row("u", "1"), 3)
        ]));
        // FOR UPDATE, then (after a COMMIT or ROLLBACK TO) FOR SHARE and UPDATE: an upgrade.
        let again = [(one.clone(), 3), (one.clone(), 1), (one.clone(), 2)];
        assert!(two_rows_or_an_upgrade(&again));
        let any = ("t".to_string(), vec![None]);
        assert!(two_rows_or_an_upgrade(&[(any.clone(), 3), (any, 3)]));
    }
}
