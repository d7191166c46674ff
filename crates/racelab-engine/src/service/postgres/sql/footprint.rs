//! Which row locks (and advisory locks) a statement can take, as far as its text and the catalog tell: what lets a
//! lesson be shown free of deadlocks before it runs (`Model::timeless`: a deadlock makes the
//! outcome depend on time, through `deadlock_timeout`).

use super::prepare::{AdvisoryArg, AdvisoryCall, AdvisoryOp, BinOp, Expr, Prepared, Stmt};
use super::state::{Db, LockMode, Table};
use crate::value::Value;

/// The row locks a statement may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowLocks {
    /// None (reads, transaction control, inserts into a table without a primary key).
    None,
    /// At most one row, named by its primary key, in a mode of this strength (0 weakest).
    One {
        table: String,
        key: Vec<KeyPart>,
        strength: u8,
    },
    /// Possibly several rows, or rows the text does not pin down.
    Many,
    /// An advisory lock (`pg_advisory_lock` and kin, the try variants too: they hold what they
    /// get), its key one or two parts; `session`: held past the end of the transaction.
    Advisory {
        key: Vec<KeyPart>,
        shared: bool,
        session: bool,
    },
}

/// One primary-key value of a [`RowLocks::One`]: a constant, or the statement's `$n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPart {
    Const(Value),
    Param(usize),
}

impl Db {
    /// The row locks `stmt` may take on this server's catalog.
    pub fn row_locks(&self, stmt: &Prepared) -> RowLocks {
        let (table, filter, mode) = match stmt.stmt() {
            Stmt::Select(sel) => match (&sel.from, sel.lock) {
                (Some(from), Some(lock)) => {
                    (&from.name, sel.filter.as_ref(), LockMode::of(lock.strength))
                }
                _ => return RowLocks::None,
            },
            Stmt::Update(u) => (&u.table.name, u.filter.as_ref(), LockMode::NoKeyUpdate),
            Stmt::Delete(d) => (&d.table.name, d.filter.as_ref(), LockMode::Update),
            Stmt::Insert(ins) => return self.insert_locks(&ins.table.name, ins),
            Stmt::Advisory(call) => return advisory_locks(call),
            _ => return RowLocks::None,
        };
        let Some(t) = self.tables.iter().find(|t| &t.name == table) else {
            return RowLocks::Many;
        };
        let mut eqs = Vec::new();
        if let Some(f) = filter {
            equalities(f, &mut eqs);
        }
        match pk_parts(t, |col| {
            eqs.iter()
                .find(|(c, _)| c.as_str() == col)
                .map(|(_, p)| p.clone())
        }) {
            Some(key) => RowLocks::One {
                table: t.name.clone(),
                key,
                strength: mode as u8,
            },
            None => RowLocks::Many,
        }
    }

    fn insert_locks(&self, table: &str, ins: &super::prepare::Insert) -> RowLocks {
        let Some(t) = self.tables.iter().find(|t| t.name == table) else {
            return RowLocks::Many;
        };
        if t.pk.is_empty() {
            return RowLocks::None;
        }
        let [row] = ins.rows.as_slice() else {
            return RowLocks::Many;
        };
        let names: Vec<&str> = match &ins.columns {
            Some(cols) => cols.iter().map(String::as_str).collect(),
            None => t.columns.iter().map(|c| c.name.as_str()).collect(),
        };
        match pk_parts(t, |col| {
            names
                .iter()
                .position(|n| *n == col)
                .and_then(|i| row.get(i))
                .and_then(Option::as_ref)
                .and_then(key_part)
        }) {
            Some(key) => RowLocks::One {
                table: t.name.clone(),
                key,
                // ON CONFLICT DO UPDATE may lock the existing row FOR NO KEY UPDATE instead of
                // inserting it (FOR UPDATE): the weaker mode, so that a stronger lock of the
                // row later in the block counts as an upgrade.
                strength: if ins
                    .on_conflict
                    .as_ref()
                    .is_some_and(|oc| oc.update.is_some())
                {
                    LockMode::NoKeyUpdate as u8
                } else {
                    LockMode::Update as u8
                },
            },
            None => RowLocks::Many,
        }
    }
}

fn advisory_locks(call: &AdvisoryCall) -> RowLocks {
    match call.op {
        AdvisoryOp::Lock | AdvisoryOp::TryLock => RowLocks::Advisory {
            key: call
                .args
                .iter()
                .map(|a| match *a {
                    AdvisoryArg::Const(i) => KeyPart::Const(Value::Int(i)),
                    AdvisoryArg::Param(n) => KeyPart::Param(n),
                })
                .collect(),
            shared: call.shared,
            session: !call.xact,
        },
        AdvisoryOp::Unlock | AdvisoryOp::UnlockAll => RowLocks::None,
    }
}

/// The primary key's values, each found by `part` (None if a column is not pinned down, or
/// the table has no primary key).
fn pk_parts(t: &Table, part: impl Fn(&str) -> Option<KeyPart>) -> Option<Vec<KeyPart>> {
    if t.pk.is_empty() {
        return None;
    }
    t.pk.iter().map(|&i| part(&t.columns[i].name)).collect()
}

/// `column = constant-or-parameter` terms of a conjunction.
fn equalities(e: &Expr, out: &mut Vec<(String, KeyPart)>) {
    if let Expr::Binary { op, left, right } = e {
        match op {
            BinOp::And => {
                equalities(left, out);
                equalities(right, out);
            }
            BinOp::Eq => match (&**left, &**right) {
                (Expr::Column { name, .. }, v) | (v, Expr::Column { name, .. }) => {
                    if let Some(p) = key_part(v) {
                        out.push((name.clone(), p));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

fn key_part(e: &Expr) -> Option<KeyPart> {
    match e {
        Expr::Int(i) => Some(KeyPart::Const(Value::Int(*i))),
        Expr::Str(s) => Some(KeyPart::Const(Value::Text(s.clone()))),
        Expr::Param(n) => Some(KeyPart::Param(*n)),
        Expr::Cast { expr, .. } => key_part(expr),
        _ => None,
    }
}
