//! Grouped queries: GROUP BY, HAVING and the aggregates (count, sum, avg, min, max, with
//! DISTINCT).
//!
//! Planning rewrites every select item, HAVING and ORDER BY expression into one over the
//! *group row*: the GROUP BY keys, then one value per aggregate call (`Expr::Slot(i)`). A
//! subexpression equal to a GROUP BY key becomes that key's slot; an aggregate call becomes a new
//! slot (its argument is bound on the input row); any other column is PostgreSQL's 42803. When
//! the GROUP BY names every primary-key column, the other columns are functionally dependent on
//! it and may be used too (they are added as hidden keys). Execution groups the input rows by
//! their key values (in the order groups first appear), computes the aggregates and builds the
//! group rows; without GROUP BY, no rows still make one group (count 0, sum NULL).

use std::collections::BTreeMap;

use super::bind::Scope;
use super::error::{err, SqlError};
use super::eval::internal;
use super::eval::{eval, truthy, B};
use super::prepare::{AggFunc, Expr, SelectItem};
use super::types::{compare, int_range, key_form, num_err, Ty};
use crate::numeric::Numeric;
use crate::value::Value;

/// One aggregate call of a grouped query.
pub(super) struct AggCall {
    func: AggFunc,
    /// None: `count(*)`.
    arg: Option<B>,
    distinct: bool,
    /// The result's type.
    ty: Ty,
}

/// A grouped query's plan: its keys and aggregates on the input row, HAVING on the group row.
pub(super) struct Grouping {
    pub(super) keys: Vec<B>,
    pub(super) aggs: Vec<AggCall>,
    pub(super) having: Option<B>,
    /// GROUP BY was written (no input rows then make no groups).
    pub(super) explicit: bool,
}

/// Planning state: the input scope and the group row's slots found so far.
pub(super) struct Grouper<'s, 'a> {
    input: &'s Scope<'a>,
    /// The key expressions as written (resolved), with the column each one is, if a column.
    keys: Vec<(Expr, Option<usize>)>,
    key_bs: Vec<B>,
    aggs: Vec<AggCall>,
    /// The type of each slot: keys, then aggregates.
    tys: Vec<Ty>,
}

/// Whether a SELECT is grouped: GROUP BY, HAVING, or an aggregate in its list or ORDER BY.
pub(super) fn is_grouped(
    group_by: &[Expr],
    having: Option<&Expr>,
    items: &[SelectItem],
    order: &[&Expr],
) -> bool {
    !group_by.is_empty()
        || having.is_some()
        || items.iter().any(|i| match i {
            SelectItem::Expr { expr, .. } => expr.contains_agg(),
            _ => false,
        })
        || order.iter().any(|e| e.contains_agg())
}

impl<'s, 'a> Grouper<'s, 'a> {
    /// Binds the GROUP BY keys: a number is a select-list position, a bare name that is no
    /// input column may be an output column's name.
    pub(super) fn new(
        input: &'s Scope<'a>,
        group_by: &[Expr],
        items: &[SelectItem],
    ) -> Result<Self, SqlError> {
        let mut g = Grouper {
            input,
            keys: Vec::new(),
            key_bs: Vec::new(),
            aggs: Vec::new(),
            tys: Vec::new(),
        };
        for e in group_by {
            let e = resolve_group_item(e, items, input)?;
            g.add_key(e)?;
        }
        // Functional dependency: grouping by the primary key allows every column.
        if let Some((t, _)) = input.table {
            let key_cols: Vec<usize> = g.keys.iter().filter_map(|(_, c)| *c).collect();
            if !t.pk.is_empty() && t.pk.iter().all(|c| key_cols.contains(c)) {
                for (i, c) in t.columns.iter().enumerate() {
                    if !key_cols.contains(&i) {
                        g.add_key(Expr::Column {
                            table: None,
                            name: c.name.clone(),
                        })?;
                    }
                }
            }
        }
        Ok(g)
    }

    fn add_key(&mut self, e: Expr) -> Result<(), SqlError> {
        let (b, ty) = self.input.bind(&e)?;
        let col = match b {
            B::Col(i) if matches!(e, Expr::Column { .. }) => Some(i),
            _ => None,
        };
        self.keys.push((e, col));
        self.key_bs.push(b);
        self.tys.push(ty);
        Ok(())
    }

    /// The slot of the key `e` is, if it is one.
    fn key_of(&self, e: &Expr) -> Option<usize> {
        let col = match e {
            Expr::Column { table, name } => match self.input.column(table.as_deref(), name) {
                Ok((B::Col(i), _)) => Some(i),
                _ => None,
            },
            _ => None,
        };
        self.keys
            .iter()
            .position(|(k, c)| k == e || (col.is_some() && *c == col))
    }

    /// `e` as an expression over the group row.
    pub(super) fn rewrite(&mut self, e: &Expr) -> Result<Expr, SqlError> {
        if let Some(k) = self.key_of(e) {
            return Ok(Expr::Slot(k));
        }
        match e {
            Expr::Agg {
                func,
                arg,
                distinct,
            } => {
                let (arg, arg_ty) = match arg {
                    Some(a) => {
                        let (b, t) = self.input.bind(a)?;
                        (Some(b), t)
                    }
                    None => (None, Ty::Int8),
                };
                let ty = result_type(*func, arg_ty, arg.is_none())?;
                self.aggs.push(AggCall {
                    func: *func,
                    arg,
                    distinct: *distinct,
                    ty,
                });
                self.tys.push(ty);
                Ok(Expr::Slot(self.tys.len() - 1))
            }
            Expr::Column { table, name } => {
                self.input.column(table.as_deref(), name)?;
                let q = match (table, self.input.table) {
                    (Some(q), _) => q.clone(),
                    (None, Some((t, r))) => r.alias.clone().unwrap_or_else(|| t.name.clone()),
                    (None, None) => String::new(),
                };
                Err(err(
                    "42803",
                    format!(
                        "column \"{q}.{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
                    ),
                ))
            }
            other => other.map_children(&mut |c| self.rewrite(c)),
        }
    }

    /// The select list over the group row (a `*` stands for every column, which must then be
    /// grouped).
    pub(super) fn items(&mut self, items: &[SelectItem]) -> Result<Vec<SelectItem>, SqlError> {
        let mut out = Vec::new();
        for item in items {
            match item {
                SelectItem::Expr { expr, name } => out.push(SelectItem::Expr {
                    expr: self.rewrite(expr)?,
                    name: name.clone(),
                }),
                SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                    let cols = self.input.items(std::slice::from_ref(item))?;
                    let table = match item {
                        SelectItem::QualifiedWildcard(q) => Some(q.clone()),
                        _ => None,
                    };
                    for (name, _) in cols {
                        let col = Expr::Column {
                            table: table.clone(),
                            name: name.clone(),
                        };
                        out.push(SelectItem::Expr {
                            expr: self.rewrite(&col)?,
                            name,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The finished plan (HAVING already rewritten and bound by the caller) and the slot types.
    pub(super) fn finish(self, having: Option<B>, explicit: bool) -> (Grouping, Vec<Ty>) {
        (
            Grouping {
                keys: self.key_bs,
                aggs: self.aggs,
                having,
                explicit,
            },
            self.tys,
        )
    }
}

/// A GROUP BY item: `GROUP BY 2` is the second select item; a bare name that is no input
/// column is an output column's name.
fn resolve_group_item(e: &Expr, items: &[SelectItem], input: &Scope) -> Result<Expr, SqlError> {
    let item_expr = |i: usize| match items.get(i) {
        Some(SelectItem::Expr { expr, .. }) => Ok(expr.clone()),
        Some(_) => Err(SqlError::not_supported("GROUP BY the position of a *")),
        None => Err(err(
            "42P10",
            format!("GROUP BY position {} is not in select list", i + 1),
        )),
    };
    match e {
        Expr::Int(n) => match usize::try_from(*n).ok().filter(|&n| n >= 1) {
            Some(n) => item_expr(n - 1),
            None => Err(err(
                "42P10",
                format!("GROUP BY position {n} is not in select list"),
            )),
        },
        Expr::Column { table: None, name } if input.column(None, name).is_err() => {
            match items
                .iter()
                .position(|i| matches!(i, SelectItem::Expr { name: n, .. } if n == name))
            {
                Some(i) => {
                    let expr = item_expr(i)?;
                    if expr.contains_agg() {
                        return Err(err(
                            "42803",
                            "aggregate functions are not allowed in GROUP BY",
                        ));
                    }
                    Ok(expr)
                }
                None => Ok(e.clone()),
            }
        }
        other => Ok(other.clone()),
    }
}

/// An aggregate's result type for its argument's type, as PostgreSQL resolves it.
fn result_type(func: AggFunc, arg: Ty, star: bool) -> Result<Ty, SqlError> {
    let name = func.name();
    if star || func == AggFunc::Count {
        return Ok(Ty::Int8);
    }
    if arg == Ty::Unknown {
        return Err(err(
            "42725",
            format!("function {name}(unknown) is not unique"),
        ));
    }
    let missing = || {
        err(
            "42883",
            format!("function {name}({}) does not exist", arg.name()),
        )
    };
    match func {
        AggFunc::Count => Ok(Ty::Int8),
        AggFunc::Sum => match arg {
            Ty::Int2 | Ty::Int4 => Ok(Ty::Int8),
            Ty::Int8 | Ty::Numeric => Ok(Ty::Numeric),
            Ty::Interval => Err(SqlError::not_supported(format!("{name}(interval)"))),
            _ => Err(missing()),
        },
        AggFunc::Avg => match arg {
            t if t.is_num() => Ok(Ty::Numeric),
            Ty::Interval => Err(SqlError::not_supported(format!("{name}(interval)"))),
            _ => Err(missing()),
        },
        AggFunc::Min | AggFunc::Max => match arg {
            t if t.is_num() || t.is_time() || t == Ty::Interval => Ok(t),
            t if t.is_str() => Ok(Ty::Text),
            _ => Err(missing()),
        },
    }
}

/// Groups `rows` (the input rows that passed WHERE) and returns the group rows that pass HAVING.
pub(super) fn aggregate(g: &Grouping, rows: &[Vec<Value>]) -> Result<Vec<Vec<Value>>, SqlError> {
    let mut index: BTreeMap<Vec<Value>, usize> = BTreeMap::new();
    // Each group's key values and, per aggregate, the non-NULL argument values (for count(*),
    // one NULL per row).
    let mut groups: Vec<(Vec<Value>, Vec<Vec<Value>>)> = Vec::new();
    if !g.explicit {
        groups.push((Vec::new(), vec![Vec::new(); g.aggs.len()]));
        index.insert(Vec::new(), 0);
    }
    for row in rows {
        let key = g
            .keys
            .iter()
            .map(|k| eval(k, row))
            .collect::<Result<Vec<_>, _>>()?;
        // Groups compare by value (1.0 and 1.00 are one group, shown as the first row has it).
        let form: Vec<Value> = key.iter().map(key_form).collect();
        let gi = *index.entry(form).or_insert_with(|| {
            groups.push((key, vec![Vec::new(); g.aggs.len()]));
            groups.len() - 1
        });
        for (a, vals) in g.aggs.iter().zip(groups[gi].1.iter_mut()) {
            match &a.arg {
                None => vals.push(Value::Null),
                Some(b) => {
                    let v = eval(b, row)?;
                    if !v.is_null() {
                        vals.push(v);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (key, per_agg) in groups {
        let mut row = key;
        for (a, mut vals) in g.aggs.iter().zip(per_agg) {
            if a.distinct {
                let mut seen = std::collections::BTreeSet::new();
                vals.retain(|v| seen.insert(key_form(v)));
                vals.sort_by(|x, y| compare(x, y).unwrap_or(std::cmp::Ordering::Equal));
            }
            row.push(finish(a, vals)?);
        }
        if let Some(h) = &g.having {
            if !truthy(&eval(h, &row)?) {
                continue;
            }
        }
        out.push(row);
    }
    Ok(out)
}

/// One aggregate's value from its argument values (NULLs already left out).
fn finish(a: &AggCall, vals: Vec<Value>) -> Result<Value, SqlError> {
    let n = i64::try_from(vals.len()).unwrap_or(i64::MAX);
    Ok(match a.func {
        AggFunc::Count => Value::Int(n),
        _ if vals.is_empty() => Value::Null,
        AggFunc::Sum if a.ty != Ty::Numeric => {
            let mut total: i128 = 0;
            for v in &vals {
                if let Value::Int(i) = v {
                    total += i128::from(*i);
                }
            }
            Value::Int(int_range(total, a.ty.sql())?)
        }
        AggFunc::Sum | AggFunc::Avg => {
            let mut total = Numeric::from_int(0);
            for v in &vals {
                let x = match v {
                    Value::Int(i) => Numeric::from_int(*i),
                    Value::Num(n) => *n,
                    _ => return Err(internal("sum of a non-number")),
                };
                total = total.checked_add(x).map_err(num_err)?;
            }
            if a.func == AggFunc::Avg {
                total = total.checked_div(Numeric::from_int(n)).map_err(num_err)?;
            }
            Value::Num(total)
        }
        AggFunc::Min | AggFunc::Max => {
            let want = if a.func == AggFunc::Min {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
            let mut best: Option<Value> = None;
            for v in vals {
                best = match best {
                    Some(b) if compare(&v, &b) != Some(want) => Some(b),
                    _ => Some(v),
                };
            }
            best.unwrap_or(Value::Null)
        }
    })
}
