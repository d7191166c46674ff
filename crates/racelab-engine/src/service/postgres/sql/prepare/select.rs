//! AST → IR for SELECT, and the pieces it shares with DML: the table reference, select items
//! and RETURNING.

use sqlparser::ast;

use super::common::{ident, ns, object_name, syntax_error_near};
use super::expr::expr;
use super::ir::{Expr, LockWait, OrderItem, RowLock, Select, SelectItem, Strength, TableRef};
use crate::sql::error::SqlError;

pub(super) fn table_factor(t: &ast::TableWithJoins) -> Result<TableRef, SqlError> {
    if !t.joins.is_empty() {
        return ns("JOIN");
    }
    match &t.relation {
        ast::TableFactor::Table {
            name,
            alias,
            args,
            with_hints,
            version,
            with_ordinality,
            partitions,
            json_path,
            sample,
            index_hints,
        } => {
            if args.is_some() {
                return ns("table functions");
            }
            if !with_hints.is_empty()
                || version.is_some()
                || *with_ordinality
                || !partitions.is_empty()
                || json_path.is_some()
                || sample.is_some()
                || !index_hints.is_empty()
            {
                return ns("this table reference");
            }
            let alias = match alias {
                None => None,
                Some(a) if a.columns.is_empty() => Some(ident(&a.name)),
                Some(_) => return ns("column aliases on a table"),
            };
            Ok(TableRef {
                name: object_name(name)?,
                alias,
            })
        }
        ast::TableFactor::Derived { .. } => ns("subqueries in FROM"),
        ast::TableFactor::NestedJoin { .. } => ns("JOIN"),
        other => ns(format!("the FROM item {other}")),
    }
}

fn select_items(items: &[ast::SelectItem]) -> Result<Vec<SelectItem>, SqlError> {
    let mut out = Vec::new();
    for item in items {
        match item {
            ast::SelectItem::UnnamedExpr(e) => {
                let expr = expr(e)?;
                let name = expr.output_name();
                out.push(SelectItem::Expr { expr, name });
            }
            ast::SelectItem::ExprWithAlias { expr: e, alias } => out.push(SelectItem::Expr {
                expr: expr(e)?,
                name: ident(alias),
            }),
            ast::SelectItem::Wildcard(opts) => {
                wildcard_options(opts)?;
                out.push(SelectItem::Wildcard)
            }
            ast::SelectItem::QualifiedWildcard(kind, opts) => {
                wildcard_options(opts)?;
                match kind {
                    ast::SelectItemQualifiedWildcardKind::ObjectName(n) => {
                        out.push(SelectItem::QualifiedWildcard(object_name(n)?))
                    }
                    ast::SelectItemQualifiedWildcardKind::Expr(e) => {
                        return ns(format!("the select item {e}.*"))
                    }
                }
            }
            other => return ns(format!("the select item {other}")),
        }
    }
    Ok(out)
}

fn wildcard_options(o: &ast::WildcardAdditionalOptions) -> Result<(), SqlError> {
    if o.opt_ilike.is_some()
        || o.opt_exclude.is_some()
        || o.opt_except.is_some()
        || o.opt_replace.is_some()
        || o.opt_rename.is_some()
    {
        return ns("options after *");
    }
    if let Some(alias) = &o.opt_alias {
        let shown = match alias.quote_style {
            Some(q) => format!("{q}{}{q}", alias.value),
            None => alias.value.clone(),
        };
        return Err(syntax_error_near(&shown, alias.span.start));
    }
    Ok(())
}

pub(super) fn returning(
    r: &Option<Vec<ast::SelectItem>>,
) -> Result<Option<Vec<SelectItem>>, SqlError> {
    match r {
        None => Ok(None),
        Some(items) => {
            let items = select_items(items)?;
            if items.iter().any(|i| match i {
                SelectItem::Expr { expr, .. } => expr.contains_agg(),
                _ => false,
            }) {
                return Err(SqlError::error(
                    "42803",
                    "aggregate functions are not allowed in RETURNING",
                ));
            }
            Ok(Some(items))
        }
    }
}

pub(super) fn select(q: &ast::Query) -> Result<Select, SqlError> {
    let s = select_body(q)?;
    check_select_clauses(s)?;
    let from = match s.from.as_slice() {
        [] => None,
        [one] => Some(table_factor(one)?),
        _ => return ns("JOIN (more than one table in FROM)"),
    };
    let items = select_items(&s.projection)?;
    let filter = s.selection.as_ref().map(expr).transpose()?;
    if filter.as_ref().is_some_and(Expr::contains_agg) {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in WHERE",
        ));
    }
    let group_by = group_by(&s.group_by)?;
    let having = s.having.as_ref().map(expr).transpose()?;
    let order_by = order_by(q)?;
    let (limit, offset) = limit_offset(q)?;
    let lock = locking(q, from.is_some())?;
    if let Some(l) = lock {
        let aggregates = items.iter().any(|i| match i {
            SelectItem::Expr { expr, .. } => expr.contains_agg(),
            _ => false,
        }) || having.as_ref().is_some_and(Expr::contains_agg)
            || order_by.iter().any(|o| o.expr.contains_agg());
        let what = if !group_by.is_empty() {
            Some("GROUP BY clause")
        } else if having.is_some() {
            Some("HAVING clause")
        } else if aggregates {
            Some("aggregate functions")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(SqlError::error(
                "0A000",
                format!("{} is not allowed with {what}", l.strength.clause()),
            ));
        }
    }
    Ok(Select {
        from,
        items,
        filter,
        order_by,
        limit,
        offset,
        group_by,
        having,
        lock,
    })
}

/// The query's plain SELECT, refusing the query-level clauses and set operations not modelled.
fn select_body(q: &ast::Query) -> Result<&ast::Select, SqlError> {
    if q.with.is_some() {
        return ns("WITH (common table expressions)");
    }
    if q.fetch.is_some() {
        return ns("FETCH FIRST");
    }
    if q.for_clause.is_some()
        || q.settings.is_some()
        || q.format_clause.is_some()
        || !q.pipe_operators.is_empty()
    {
        return ns("this query clause");
    }
    match q.body.as_ref() {
        ast::SetExpr::Select(s) => Ok(s),
        ast::SetExpr::SetOperation { op, .. } => ns(format!("{op} (set operations)")),
        ast::SetExpr::Values(_) => ns("VALUES as a query"),
        ast::SetExpr::Query(_) => ns("a parenthesized query"),
        ast::SetExpr::Table(_) => ns("TABLE as a query"),
        _ => ns("this kind of query"),
    }
}

/// Refuses the SELECT clauses not modelled (DISTINCT, SELECT INTO, ...).
fn check_select_clauses(s: &ast::Select) -> Result<(), SqlError> {
    if s.distinct.is_some() {
        return ns("DISTINCT");
    }
    if s.into.is_some() {
        return ns("SELECT INTO");
    }
    if s.top.is_some()
        || s.exclude.is_some()
        || !s.lateral_views.is_empty()
        || s.prewhere.is_some()
        || !s.connect_by.is_empty()
        || !s.cluster_by.is_empty()
        || !s.distribute_by.is_empty()
        || !s.sort_by.is_empty()
        || !s.named_window.is_empty()
        || s.qualify.is_some()
        || s.value_table_mode.is_some()
    {
        return ns("this SELECT clause");
    }
    Ok(())
}

fn order_by(q: &ast::Query) -> Result<Vec<OrderItem>, SqlError> {
    let mut order_by = Vec::new();
    if let Some(ob) = &q.order_by {
        if ob.interpolate.is_some() {
            return ns("INTERPOLATE");
        }
        match &ob.kind {
            ast::OrderByKind::All(_) => return ns("ORDER BY ALL"),
            ast::OrderByKind::Expressions(list) => {
                for o in list {
                    if o.with_fill.is_some() {
                        return ns("WITH FILL");
                    }
                    let desc = match &o.options.sort {
                        None | Some(ast::OrderBySort::Asc) => false,
                        Some(ast::OrderBySort::Desc) => true,
                        Some(ast::OrderBySort::Using(_)) => return ns("ORDER BY … USING"),
                    };
                    order_by.push(OrderItem {
                        expr: expr(&o.expr)?,
                        desc,
                        nulls_first: o.options.nulls_first,
                    });
                }
            }
        }
    }
    Ok(order_by)
}

/// LIMIT and OFFSET, unevaluated.
fn limit_offset(q: &ast::Query) -> Result<(Option<Expr>, Option<Expr>), SqlError> {
    Ok(match &q.limit_clause {
        None => (None, None),
        Some(ast::LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            if !limit_by.is_empty() {
                return ns("LIMIT BY");
            }
            (
                limit.as_ref().map(expr).transpose()?,
                offset.as_ref().map(|o| expr(&o.value)).transpose()?,
            )
        }
        Some(ast::LimitClause::OffsetCommaLimit { .. }) => return ns("LIMIT offset, count"),
    })
}

/// The query's locking clause: FOR UPDATE or FOR SHARE, waiting, NOWAIT or SKIP LOCKED.
fn locking(q: &ast::Query, has_from: bool) -> Result<Option<RowLock>, SqlError> {
    match q.locks.as_slice() {
        [] => Ok(None),
        [lock] => {
            let strength = match lock.lock_type {
                ast::LockType::Share => Strength::Share,
                ast::LockType::Update => Strength::Update,
            };
            if lock.of.is_some() {
                return ns("FOR UPDATE OF / FOR SHARE OF");
            }
            let wait = match lock.nonblock {
                None => LockWait::Wait,
                Some(ast::NonBlock::Nowait) => LockWait::NoWait,
                Some(ast::NonBlock::SkipLocked) => LockWait::SkipLocked,
            };
            if !has_from {
                return ns("a locking clause on a SELECT without FROM");
            }
            Ok(Some(RowLock { strength, wait }))
        }
        _ => ns("several locking clauses"),
    }
}

/// `GROUP BY` expressions (not ROLLUP, CUBE, GROUPING SETS or GROUP BY ALL).
fn group_by(g: &ast::GroupByExpr) -> Result<Vec<Expr>, SqlError> {
    match g {
        ast::GroupByExpr::Expressions(list, modifiers) if modifiers.is_empty() => {
            let mut out = Vec::new();
            for e in list {
                if matches!(
                    e,
                    ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_)
                ) {
                    return ns("ROLLUP, CUBE and GROUPING SETS");
                }
                let e = expr(e)?;
                if e.contains_agg() {
                    return Err(SqlError::error(
                        "42803",
                        "aggregate functions are not allowed in GROUP BY",
                    ));
                }
                out.push(e);
            }
            Ok(out)
        }
        _ => ns("this form of GROUP BY"),
    }
}
