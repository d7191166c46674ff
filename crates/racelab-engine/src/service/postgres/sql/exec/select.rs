//! SELECT: planning (names, types, ORDER BY, LIMIT/OFFSET), reading a snapshot, and
//! SELECT … FOR UPDATE, which locks its rows one at a time.

use std::collections::BTreeSet;

use super::outcome::Outcome;
use super::rows::RowAction;
use crate::sql::api::{QueryResult, SessionId, Touch};
use crate::sql::bind::{Excluded, OrderTarget, Scope};
use crate::sql::error::SqlError;
use crate::sql::eval::{eval, truthy, B};
use crate::sql::group::{aggregate, is_grouped, Grouper, Grouping};
use crate::sql::prepare::{Expr, OrderItem, Select, SelectItem};
use crate::sql::state::{Db, KeyedRow, LockMode, Progress, Table, View};
use crate::sql::types::compare_sort;
use crate::value::Value;

pub(in crate::service::postgres::sql) struct SelectPlan {
    pub(in crate::service::postgres::sql) table: Option<usize>,
    pub(in crate::service::postgres::sql) outputs: Vec<(String, B)>,
    pub(in crate::service::postgres::sql) filter: Option<B>,
    pub(in crate::service::postgres::sql) order: Vec<(OrderTarget, bool, bool)>,
    pub(in crate::service::postgres::sql) limit: Option<i64>,
    pub(in crate::service::postgres::sql) offset: i64,
    /// A grouped query's grouping (then `outputs` and `order` are on the group row).
    pub(in crate::service::postgres::sql) group: Option<Grouping>,
}

pub(in crate::service::postgres::sql) struct SelectOut {
    pub(in crate::service::postgres::sql) columns: Vec<String>,
    pub(in crate::service::postgres::sql) rows: Vec<Vec<Value>>,
    /// Every matching row with a key, in output order, with its input values (FOR UPDATE).
    pub(in crate::service::postgres::sql) cands: Vec<KeyedRow>,
}

impl SelectPlan {
    /// ORDER BY starts with the primary key's leading column (an index can give that order).
    pub(super) fn ordered_by_pk(&self, t: &Table) -> bool {
        let Some(&lead) = t.pk.first() else {
            return false;
        };
        if self.group.is_some() {
            // A grouped query's ORDER BY is on its group rows.
            return false;
        }
        match self.order.first() {
            Some((OrderTarget::Input(B::Col(c)), _, _)) => *c == lead,
            Some((OrderTarget::Output(i), _, _)) => {
                matches!(self.outputs.get(*i), Some((_, B::Col(c))) if *c == lead)
            }
            _ => false,
        }
    }
}

impl Db {
    pub(in crate::service::postgres::sql) fn plan_select(
        &self,
        sel: &Select,
        params: Option<&[Value]>,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<SelectPlan, SqlError> {
        let table = match &sel.from {
            Some(r) => {
                let i = self.table_index(&r.name)?;
                touches.insert(Touch::ReadTable {
                    table: r.name.clone(),
                });
                Some((i, r))
            }
            None => None,
        };
        let scope = self.scope(table, params);
        let order_exprs: Vec<&Expr> = sel.order_by.iter().map(|o| &o.expr).collect();
        let (outputs, order, group) =
            if is_grouped(&sel.group_by, sel.having.as_ref(), &sel.items, &order_exprs) {
                let (outputs, order, group) = plan_grouped(&scope, sel)?;
                (outputs, order, Some(group))
            } else {
                let outputs = scope.items(&sel.items)?;
                let mut order = Vec::new();
                for o in &sel.order_by {
                    order.push(scope.order_item(o, &outputs)?);
                }
                (outputs, order, None)
            };
        let filter = sel
            .filter
            .as_ref()
            .map(|f| scope.condition(f, "WHERE"))
            .transpose()?;
        let no_columns = self.scope(None, params);
        let limit = sel
            .limit
            .as_ref()
            .map(|e| no_columns.count_clause(e, "LIMIT"))
            .transpose()?
            .flatten();
        let offset = sel
            .offset
            .as_ref()
            .map(|e| no_columns.count_clause(e, "OFFSET"))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        Ok(SelectPlan {
            table: table.map(|(i, _)| i),
            outputs,
            filter,
            order,
            limit,
            offset,
            group,
        })
    }

    /// Runs a SELECT on what `view` sees. Returns the output and every matching row in output
    /// order (for FOR UPDATE).
    pub(in crate::service::postgres::sql) fn select_rows(
        &self,
        sel: &Select,
        params: Option<&[Value]>,
        view: View,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<SelectOut, SqlError> {
        let plan = self.plan_select(sel, params, touches)?;
        let matched = self.select_matching(&plan, view, touches)?;
        let columns: Vec<String> = plan.outputs.iter().map(|(n, _)| n.clone()).collect();
        let matched = match &plan.group {
            Some(g) => {
                let rows: Vec<Vec<Value>> = matched.into_iter().map(|(_, r)| r).collect();
                aggregate(g, &rows)?
                    .into_iter()
                    .map(|r| (None, r))
                    .collect()
            }
            None => matched,
        };
        let produced = sorted_outputs(&plan, matched)?;
        let sort_keys: Vec<&[Value]> = produced.iter().map(|p| p.2.as_slice()).collect();
        plan.check_ties(plan.table.map(|t| &self.tables[t]), &sort_keys)?;
        let offset = usize::try_from(plan.offset).unwrap_or(usize::MAX);
        let end = match plan.limit {
            Some(l) => offset.saturating_add(usize::try_from(l).unwrap_or(usize::MAX)),
            None => usize::MAX,
        };
        let mut cands = Vec::new();
        let mut rows = Vec::new();
        for (i, (key, out, _, row)) in produced.into_iter().enumerate() {
            if let Some((k, gen)) = key {
                cands.push((k, row, gen));
            }
            if i >= offset && i < end {
                rows.push(out);
            }
        }
        Ok(SelectOut {
            columns,
            rows,
            cands,
        })
    }

    /// The rows `view` sees that pass the WHERE, in scan order, recording them as read
    /// (without FROM: one empty row).
    fn select_matching(
        &self,
        plan: &SelectPlan,
        view: View,
        touches: &mut BTreeSet<Touch>,
    ) -> Result<Vec<MaybeKeyedRow>, SqlError> {
        let source: Vec<MaybeKeyedRow> = match plan.table {
            Some(t) => {
                let t = &self.tables[t];
                plan.check_limit_order(t)?;
                t.scan(view, plan.scan_order(t))
                    .into_iter()
                    .map(|(k, v, g)| (Some((k.clone(), g)), v.clone()))
                    .collect()
            }
            None => vec![(None, Vec::new())],
        };
        let mut matched = Vec::new();
        for (key, row) in source {
            if let Some(f) = &plan.filter {
                if !truthy(&eval(f, &row)?) {
                    continue;
                }
            }
            matched.push((key, row));
        }
        if let Some(t) = plan.table {
            let t = &self.tables[t];
            for (key, _) in &matched {
                if let Some((k, _)) = key {
                    touches.insert(Touch::ReadRow {
                        table: t.name.clone(),
                        key: t.key_string(k),
                    });
                }
            }
        }
        Ok(matched)
    }

    pub(in crate::service::postgres::sql) fn exec_select(
        &mut self,
        s: SessionId,
        sel: &Select,
        params: &[Value],
        touches: &mut BTreeSet<Touch>,
        resume: Option<Progress>,
    ) -> Result<Outcome, SqlError> {
        let plan = self.plan_select(sel, Some(params), touches)?;
        if resume.is_none() {
            if let Some(ti) = plan.table {
                self.ssi_read(s, ti, plan.access(&self.tables[ti]))?;
            }
        }
        let (Some(lock), Some(ti), None) = (sel.lock, plan.table, &plan.group) else {
            let out = self.select_rows(sel, Some(params), self.view(s), touches)?;
            return Ok(Outcome::Rows(QueryResult {
                tag: format!("SELECT {}", out.rows.len()),
                columns: out.columns,
                rows: out.rows,
                notices: Vec::new(),
            }));
        };
        // FOR UPDATE / FOR SHARE: rows are locked one at a time in output order, below LIMIT
        // (rows skipped after a re-check or by SKIP LOCKED do not count), as PostgreSQL's
        // LockRows node does.
        let action = RowAction::Lock {
            mode: LockMode::of(lock.strength),
            wait: lock.wait,
        };
        let mut prog = match resume {
            Some(p) => p,
            None => {
                let out = self.select_rows(sel, Some(params), self.view(s), touches)?;
                Progress {
                    todo: out.cands.into(),
                    read_at: self.read_stamp(s),
                    ..Progress::default()
                }
            }
        };
        let offset = usize::try_from(plan.offset).unwrap_or(usize::MAX);
        let end = match plan.limit {
            Some(l) => offset.saturating_add(usize::try_from(l).unwrap_or(usize::MAX)),
            None => usize::MAX,
        };
        if let Some((key, holder)) = self.scan_rows(
            s,
            ti,
            plan.filter.as_ref(),
            &action,
            Some(&plan.outputs),
            end,
            &mut prog,
            touches,
        )? {
            return Ok(Outcome::Wait {
                table: ti,
                key,
                mode: action.mode(),
                holder,
                progress: Some(prog),
                on_tx: false,
            });
        }
        let rows: Vec<Vec<Value>> = prog.out.into_iter().skip(offset).collect();
        Ok(Outcome::Rows(QueryResult {
            tag: format!("SELECT {}", rows.len()),
            columns: plan.outputs.iter().map(|(n, _)| n.clone()).collect(),
            rows,
            notices: Vec::new(),
        }))
    }
}

/// A select list: each output column's name and expression.
type Outputs = Vec<(String, B)>;

/// An ORDER BY key: what it sorts by, DESC, NULLS FIRST.
type OrderKey = (OrderTarget, bool, bool);

/// A grouped SELECT's select list, ORDER BY and grouping, all on the group row.
fn plan_grouped(
    scope: &Scope<'_>,
    sel: &Select,
) -> Result<(Outputs, Vec<OrderKey>, Grouping), SqlError> {
    let mut g = Grouper::new(scope, &sel.group_by, &sel.items)?;
    let items = g.items(&sel.items)?;
    let having = sel.having.as_ref().map(|h| g.rewrite(h)).transpose()?;
    let names: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            SelectItem::Expr { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let mut order_items = Vec::new();
    for o in &sel.order_by {
        let by_output = match &o.expr {
            Expr::Int(_) => true,
            Expr::Column { table: None, name } => names.contains(&name.as_str()),
            _ => false,
        };
        let expr = if by_output {
            o.expr.clone()
        } else {
            g.rewrite(&o.expr)?
        };
        order_items.push(OrderItem { expr, ..o.clone() });
    }
    let explicit = !sel.group_by.is_empty();
    // The group row's slot types are known only once every expression is rewritten.
    let mut group_scope = Scope {
        table: None,
        params: scope.params,
        slots: Vec::new(),
        clock: scope.clock,
        excluded: Excluded::Absent,
    };
    let (mut grouping, tys) = g.finish(None, explicit);
    group_scope.slots = tys;
    let outputs = group_scope.items(&items)?;
    grouping.having = having
        .map(|h| group_scope.condition(&h, "HAVING"))
        .transpose()?;
    let mut order = Vec::new();
    for o in &order_items {
        order.push(group_scope.order_item(o, &outputs)?);
    }
    Ok((outputs, order, grouping))
}

/// A row with its key and tuple generation (None: the one empty row of a SELECT without FROM).
type MaybeKeyedRow = (Option<(Vec<Value>, u32)>, Vec<Value>);

/// One output row: its key (None without FROM), the select list's values, the ORDER BY sort
/// keys, and the input row.
type Produced = (
    Option<(Vec<Value>, u32)>,
    Vec<Value>,
    Vec<Value>,
    Vec<Value>,
);

/// Evaluates the select list and the sort keys of each matched row, and sorts by ORDER BY
/// (stable: ties keep scan order).
fn sorted_outputs(
    plan: &SelectPlan,
    matched: Vec<MaybeKeyedRow>,
) -> Result<Vec<Produced>, SqlError> {
    let mut produced = Vec::new();
    for (key, row) in matched {
        let out = plan
            .outputs
            .iter()
            .map(|(_, b)| eval(b, &row))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sort_keys = Vec::new();
        for (target, _, _) in &plan.order {
            sort_keys.push(match target {
                OrderTarget::Output(i) => out.get(*i).cloned().unwrap_or(Value::Null),
                OrderTarget::Input(b) => eval(b, &row)?,
            });
        }
        produced.push((key, out, sort_keys, row));
    }
    if !plan.order.is_empty() {
        produced.sort_by(|a, b| {
            for (i, (_, desc, nulls_first)) in plan.order.iter().enumerate() {
                let ord = compare_sort(&a.2[i], &b.2[i], *desc, *nulls_first);
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    Ok(produced)
}
