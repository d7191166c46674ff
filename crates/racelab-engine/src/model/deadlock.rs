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
    /// Whether a wait-for cycle may form: it needs two or more clients that may each hold a
    /// PostgreSQL lock while waiting for one, and among them two different rows that more
    /// than one of them may lock (every member of a cycle holds a row another member wants),
    /// or one such row taken weaker then stronger (two holders upgrading). Inputs (`vars`)
    /// that the script never assigns are the client's own constants: three workers inserting
    /// their own order rows do not share them.
    pub fn may_deadlock(&self) -> bool {
        let profiles: Vec<Vec<(Target, u8)>> = (0..self.lesson.clients.len())
            .filter_map(|c| self.lock_profile(c))
            .collect();
        if profiles.len() < 2 {
            return false;
        }
        let mut shared: BTreeSet<Target> = BTreeSet::new();
        for (i, a) in profiles.iter().enumerate() {
            for b in &profiles[i + 1..] {
                for (ta, _) in a {
                    for (tb, _) in b {
                        if let Some(t) = overlap(ta, tb) {
                            shared.insert(t);
                        }
                    }
                }
            }
        }
        let any_row = shared
            .iter()
            .any(|(_, key)| key.iter().any(Option::is_none));
        let upgrade = profiles.iter().any(|p| {
            p.iter()
                .enumerate()
                .any(|(j, (t, s))| p[..j].iter().any(|(u, e)| u == t && s > e))
        });
        shared.len() >= 2 || any_row || (shared.len() == 1 && upgrade)
    }

    /// The locks `client` may take, in script order, if it may hold one while waiting for
    /// another (None: it never holds while waiting, or takes no lock).
    fn lock_profile(&self, client: usize) -> Option<Vec<(Target, u8)>> {
        let script = self.script(client);
        let inputs = &self.lesson.clients[client].vars;
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
        let mut many = false;
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
            // A key part: a constant, or an input the script never assigns (the client's own
            // value); None: any key.
            let part = |part: KeyPart| match part {
                KeyPart::Const(v) => Some(format!("{v:?}")),
                KeyPart::Param(n) => call
                    .params
                    .get(n.wrapping_sub(1))
                    .filter(|var| !assigned.contains(var.as_str()))
                    .and_then(|var| inputs.iter().find(|(k, _)| k == var))
                    .map(|(_, v)| format!("{v:?}")),
            };
            match pg.db().row_locks(stmt) {
                RowLocks::None => {}
                RowLocks::Many => {
                    many = true;
                    if let Some(table) = stmt_table(stmt.text()) {
                        locks.push(((table, vec![None]), 3));
                    } else {
                        locks.push(((String::new(), vec![None]), 3));
                    }
                }
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
        (many || (block && two_rows_or_an_upgrade(&locks))).then_some(locks)
    }
}

/// The row two targets may both name: the same table and keys that may be equal (None: any).
fn overlap(a: &Target, b: &Target) -> Option<Target> {
    let any_table = a.0.is_empty() || b.0.is_empty();
    if !any_table && a.0 != b.0 {
        return None;
    }
    let table = if a.0.is_empty() {
        b.0.clone()
    } else {
        a.0.clone()
    };
    if a.1.len() != b.1.len() || a.1.iter().chain(&b.1).any(Option::is_none) {
        return Some((table, vec![None]));
    }
    (a.1 == b.1).then(|| (table, a.1.clone()))
}

/// The table a statement names after FROM / UPDATE / INTO (for a statement that may lock many
/// rows: it may meet every lock on that table). None: not found (then any table).
fn stmt_table(sql: &str) -> Option<String> {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words
        .iter()
        .position(|w| w == "from" || w == "update" || w == "into")
        .and_then(|i| words.get(i + 1).cloned())
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
