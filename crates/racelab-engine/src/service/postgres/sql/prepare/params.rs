//! The `$n` parameters a statement mentions.

use std::collections::BTreeSet;

use super::ir::{AdvisoryArg, Expr, SelectItem, Stmt};

/// Every `$n` in `sets` (`col = expr`, None for DEFAULT).
fn sets_params(sets: &[(String, Option<Expr>)], out: &mut BTreeSet<usize>) {
    for e in sets.iter().filter_map(|(_, e)| e.as_ref()) {
        e.collect_params(out);
    }
}

/// The `$n` numbers `stmt` mentions, sorted, without duplicates.
pub(super) fn stmt_params(stmt: &Stmt) -> Vec<usize> {
    let mut out = BTreeSet::new();
    let items = |items: &Option<Vec<SelectItem>>, out: &mut BTreeSet<usize>| {
        for item in items.iter().flatten() {
            if let SelectItem::Expr { expr, .. } = item {
                expr.collect_params(out);
            }
        }
    };
    match stmt {
        Stmt::Insert(i) => {
            for row in &i.rows {
                for e in row.iter().flatten() {
                    e.collect_params(&mut out);
                }
            }
            if let Some(update) = i.on_conflict.as_ref().and_then(|oc| oc.update.as_ref()) {
                sets_params(&update.sets, &mut out);
                if let Some(f) = &update.filter {
                    f.collect_params(&mut out);
                }
            }
            items(&i.returning, &mut out);
        }
        Stmt::Select(s) => {
            for item in &s.items {
                if let SelectItem::Expr { expr, .. } = item {
                    expr.collect_params(&mut out);
                }
            }
            let clauses = s.filter.iter().chain(&s.limit).chain(&s.offset);
            for e in clauses.chain(&s.having).chain(&s.group_by) {
                e.collect_params(&mut out);
            }
            for o in &s.order_by {
                o.expr.collect_params(&mut out);
            }
        }
        Stmt::Update(u) => {
            sets_params(&u.sets, &mut out);
            if let Some(f) = &u.filter {
                f.collect_params(&mut out);
            }
            items(&u.returning, &mut out);
        }
        Stmt::Delete(d) => {
            if let Some(f) = &d.filter {
                f.collect_params(&mut out);
            }
            items(&d.returning, &mut out);
        }
        Stmt::CreateTable(_)
        | Stmt::Begin { .. }
        | Stmt::Commit { .. }
        | Stmt::Rollback { .. }
        | Stmt::SetTransaction { .. }
        | Stmt::Set { .. }
        | Stmt::Show(_)
        | Stmt::Savepoint(_)
        | Stmt::RollbackTo(_)
        | Stmt::Release(_) => {}
        Stmt::Advisory(call) => {
            for a in &call.args {
                if let AdvisoryArg::Param(n) = a {
                    out.insert(*n);
                }
            }
        }
    }
    out.into_iter().collect()
}
