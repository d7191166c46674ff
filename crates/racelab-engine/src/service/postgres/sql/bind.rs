//! Binding: resolving names in expressions against a table (a [`Scope`]) and typing them, into
//! bound expressions ([`B`]) that `eval` evaluates. Operators and assignment follow
//! PostgreSQL's rules for the modelled types.

use super::error::{err, SqlError};
use super::eval::{eval, internal, B};
use super::prepare::{BinOp, ClockFn, Expr, Func, OrderItem, SelectItem, SqlType, TableRef, UnOp};
use super::state::{Column, Db, StmtClock, Table};
use super::types::{cast_value, category, wider, Ty};
use crate::datetime::{USECS_PER_SEC, VIRTUAL_EPOCH};
use crate::value::Value;

/// An ORDER BY key: an output column (by position or name) or an expression on the input row.
pub(super) enum OrderTarget {
    Output(usize),
    Input(B),
}

pub(super) struct Scope<'a> {
    pub(super) table: Option<(&'a Table, &'a TableRef)>,
    /// None: `check` mode, parameters are untyped NULLs.
    pub(super) params: Option<&'a [Value]>,
    /// The types of a grouped query's group row (`Expr::Slot`); empty elsewhere.
    pub(super) slots: Vec<Ty>,
    /// What the clock functions read (None: they are refused here).
    pub(super) clock: Option<StmtClock>,
    /// ON CONFLICT DO UPDATE's `EXCLUDED` (the proposed row, bound after the table's columns).
    pub(super) excluded: Excluded,
}

/// Whether `EXCLUDED` (INSERT … ON CONFLICT DO UPDATE's proposed row) is in scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Excluded {
    Absent,
    /// In DO UPDATE's SET and WHERE: `EXCLUDED.col` is the proposed row's column (bound as
    /// `B::Col(n + i)` for a table of n columns), and an unqualified column is ambiguous.
    Visible,
    /// In its RETURNING: it exists but cannot be referenced.
    Hidden,
}

pub(super) fn no_operator(l: Ty, op: &str, r: Ty) -> SqlError {
    err(
        "42883",
        format!("operator does not exist: {} {op} {}", l.name(), r.name()),
    )
}

pub(super) fn bx(b: B) -> Box<B> {
    Box::new(b)
}

impl Db {
    pub(super) fn scope<'a>(
        &'a self,
        table: Option<(usize, &'a TableRef)>,
        params: Option<&'a [Value]>,
    ) -> Scope<'a> {
        Scope {
            table: table.map(|(i, r)| (&self.tables[i], r)),
            params,
            slots: Vec::new(),
            clock: Some(self.stmt_clock),
            excluded: Excluded::Absent,
        }
    }
}

impl Scope<'_> {
    pub(super) fn column(&self, qualifier: Option<&str>, name: &str) -> Result<(B, Ty), SqlError> {
        let Some((t, r)) = self.table else {
            return Err(match qualifier {
                Some(q) => err(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{q}\""),
                ),
                None => err("42703", format!("column \"{name}\" does not exist")),
            });
        };
        if let Some(found) = self.excluded_column(t, qualifier, name) {
            return found;
        }
        if let Some(q) = qualifier {
            let visible_name = r.alias.as_deref().unwrap_or(&r.name);
            if q != visible_name {
                if r.alias.is_some() && q == r.name {
                    return Err(err(
                        "42P01",
                        format!("invalid reference to FROM-clause entry for table \"{q}\""),
                    ));
                }
                return Err(err(
                    "42P01",
                    format!("missing FROM-clause entry for table \"{q}\""),
                ));
            }
        }
        match t.column(name) {
            Some(i) => Ok((B::Col(i), Ty::of(t.columns[i].ty))),
            None => Err(match qualifier {
                Some(q) => err("42703", format!("column {q}.{name} does not exist")),
                None => err("42703", format!("column \"{name}\" does not exist")),
            }),
        }
    }

    /// A column reference as ON CONFLICT DO UPDATE reads it (None: as anywhere else):
    /// `EXCLUDED.col`, and an unqualified column, which names both rows (42702).
    fn excluded_column(
        &self,
        t: &Table,
        qualifier: Option<&str>,
        name: &str,
    ) -> Option<Result<(B, Ty), SqlError>> {
        match (self.excluded, qualifier) {
            (Excluded::Visible, Some("excluded")) => Some(match t.column(name) {
                Some(i) => Ok((B::Col(t.columns.len() + i), Ty::of(t.columns[i].ty))),
                None => Err(err(
                    "42703",
                    format!("column excluded.{name} does not exist"),
                )),
            }),
            (Excluded::Visible, None) if t.column(name).is_some() => Some(Err(err(
                "42702",
                format!("column reference \"{name}\" is ambiguous"),
            ))),
            (Excluded::Hidden, Some("excluded")) => Some(Err(err(
                "42P01",
                "invalid reference to FROM-clause entry for table \"excluded\"",
            ))),
            _ => None,
        }
    }

    pub(super) fn items(&self, items: &[SelectItem]) -> Result<Vec<(String, B)>, SqlError> {
        let mut out = Vec::new();
        for item in items {
            match item {
                SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                    if let SelectItem::QualifiedWildcard(q) = item {
                        // Resolves the qualifier (errors as PostgreSQL's).
                        match self.table {
                            Some((t, _)) if !t.columns.is_empty() => {
                                self.column(Some(q), &t.columns[0].name)?;
                            }
                            _ => {
                                return Err(err(
                                    "42P01",
                                    format!("missing FROM-clause entry for table \"{q}\""),
                                ))
                            }
                        }
                    }
                    match self.table {
                        Some((t, _)) => {
                            for (i, c) in t.columns.iter().enumerate() {
                                out.push((c.name.clone(), B::Col(i)));
                            }
                        }
                        None => {
                            return Err(err(
                                "42601",
                                "SELECT * with no tables specified is not valid",
                            ))
                        }
                    }
                }
                SelectItem::Expr { expr, name } => {
                    let (b, _) = self.bind(expr)?;
                    out.push((name.clone(), b));
                }
            }
        }
        Ok(out)
    }

    /// A boolean condition (WHERE).
    pub(super) fn condition(&self, e: &Expr, clause: &str) -> Result<B, SqlError> {
        let (b, ty) = self.bind(e)?;
        boolean(b, ty, clause)
    }

    /// LIMIT / OFFSET: a constant bigint; None = no limit (NULL).
    pub(super) fn count_clause(&self, e: &Expr, clause: &str) -> Result<Option<i64>, SqlError> {
        let (b, ty) = self.bind(e)?;
        let b = match ty {
            Ty::Unknown => coerce(b, ty, Ty::Int8)?,
            t if t.is_int() => b,
            t => {
                return Err(err(
                    "42804",
                    format!(
                        "argument of {clause} must be type bigint, not type {}",
                        t.name()
                    ),
                ))
            }
        };
        match eval(&b, &[])? {
            Value::Int(n) if n < 0 => Err(if clause == "LIMIT" {
                err("2201W", "LIMIT must not be negative")
            } else {
                err("2201X", "OFFSET must not be negative")
            }),
            Value::Int(n) => Ok(Some(n)),
            _ => Ok(None),
        }
    }

    pub(super) fn order_item(
        &self,
        o: &OrderItem,
        outputs: &[(String, B)],
    ) -> Result<(OrderTarget, bool, bool), SqlError> {
        let nulls_first = o.nulls_first.unwrap_or(o.desc);
        let target = match &o.expr {
            Expr::Int(n) => {
                let i = usize::try_from(*n)
                    .ok()
                    .filter(|&i| i >= 1 && i <= outputs.len());
                match i {
                    Some(i) => OrderTarget::Output(i - 1),
                    None => {
                        return Err(err(
                            "42P10",
                            format!("ORDER BY position {n} is not in select list"),
                        ))
                    }
                }
            }
            Expr::Column { table: None, name } if outputs.iter().any(|(n, _)| n == name) => {
                OrderTarget::Output(outputs.iter().position(|(n, _)| n == name).unwrap_or(0))
            }
            e => {
                let (b, _) = self.bind(e)?;
                OrderTarget::Input(b)
            }
        };
        Ok((target, o.desc, nulls_first))
    }

    pub(super) fn bind(&self, e: &Expr) -> Result<(B, Ty), SqlError> {
        Ok(match e {
            Expr::Null => (B::Const(Value::Null), Ty::Unknown),
            Expr::Bool(b) => (B::Const(Value::Bool(*b)), Ty::Bool),
            Expr::Int(i) => (B::Const(Value::Int(*i)), Ty::int_literal(*i)),
            Expr::Num(n) => (B::Const(Value::Num(*n)), Ty::Numeric),
            Expr::Str(s) => (B::Const(Value::Text(s.clone())), Ty::Unknown),
            Expr::Param(n) => self.param(*n)?,
            Expr::Column { table, name } => self.column(table.as_deref(), name)?,
            Expr::Slot(i) => match self.slots.get(*i) {
                Some(t) => (B::Col(*i), *t),
                None => return Err(internal("group row slot")),
            },
            Expr::Agg { .. } => return Err(internal("aggregate outside a grouped query")),
            Expr::Func { func, args } => self.func(*func, args)?,
            Expr::Unary { op, expr } => self.unary(*op, expr)?,
            Expr::Binary { op, left, right } => {
                let l = self.bind(left)?;
                let r = self.bind(right)?;
                binary(*op, l, r)?
            }
            Expr::IsNull { expr, negated } => {
                let (b, _) = self.bind(expr)?;
                (B::IsNull(bx(b), *negated), Ty::Bool)
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => self.in_list(expr, list, *negated)?,
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => self.between(expr, low, high, *negated)?,
            Expr::Cast { expr, ty: target } => self.cast(expr, *target)?,
        })
    }

    /// `$n`: its value as a constant (text and NULL untyped); in `check` mode, an untyped NULL.
    fn param(&self, n: usize) -> Result<(B, Ty), SqlError> {
        Ok(match self.params {
            None => (B::Const(Value::Null), Ty::Unknown),
            Some(params) => match n.checked_sub(1).and_then(|i| params.get(i)) {
                None => return Err(err("42P02", format!("there is no parameter ${n}"))),
                Some(Value::Null) => (B::Const(Value::Null), Ty::Unknown),
                Some(Value::Bool(b)) => (B::Const(Value::Bool(*b)), Ty::Bool),
                Some(Value::Int(i)) => (B::Const(Value::Int(*i)), Ty::int_literal(*i)),
                Some(Value::Num(n)) => (B::Const(Value::Num(*n)), Ty::Numeric),
                Some(Value::Text(s)) => (B::Const(Value::Text(s.clone())), Ty::Unknown),
                Some(v @ Value::Timestamp(_)) => (B::Const(v.clone()), Ty::Timestamp),
                Some(v @ Value::TimestampTz(_)) => (B::Const(v.clone()), Ty::TimestampTz),
                Some(v @ Value::Interval(_)) => (B::Const(v.clone()), Ty::Interval),
            },
        })
    }

    fn unary(&self, op: UnOp, expr: &Expr) -> Result<(B, Ty), SqlError> {
        let (b, ty) = self.bind(expr)?;
        Ok(match op {
            UnOp::Not => (B::Not(bx(boolean(b, ty, "NOT")?)), Ty::Bool),
            UnOp::Neg | UnOp::Plus => {
                let sym = if op == UnOp::Neg { "-" } else { "+" };
                if ty == Ty::Unknown {
                    return Err(err(
                        "42725",
                        format!("operator is not unique: {sym} unknown"),
                    ));
                }
                if !ty.is_num() && ty != Ty::Interval {
                    return Err(err(
                        "42883",
                        format!("operator does not exist: {sym} {}", ty.name()),
                    ));
                }
                if op == UnOp::Neg {
                    (B::Neg(bx(b), ty), ty)
                } else {
                    (b, ty)
                }
            }
        })
    }

    /// `x [NOT] IN (a, b, ...)` as `x = a OR x = b ...` (`x <> a AND ...` when negated).
    fn in_list(&self, expr: &Expr, list: &[Expr], negated: bool) -> Result<(B, Ty), SqlError> {
        let x = self.bind(expr)?;
        let items = list
            .iter()
            .map(|e| self.bind(e))
            .collect::<Result<Vec<_>, _>>()?;
        // All types must belong to one category, as PostgreSQL's common-type rule.
        let mut common = x.1;
        for (_, t) in &items {
            if common == Ty::Unknown {
                common = *t;
            } else if *t != Ty::Unknown && category(*t) != category(common) {
                return Err(err(
                    "42804",
                    format!(
                        "IN types {} and {} cannot be matched",
                        common.name(),
                        t.name()
                    ),
                ));
            }
        }
        let cmp = if negated { BinOp::NotEq } else { BinOp::Eq };
        let mut acc: Option<B> = None;
        for item in items {
            let (b, _) = binary(cmp, x.clone(), item)?;
            acc = Some(match acc {
                None => b,
                Some(a) if negated => B::And(bx(a), bx(b)),
                Some(a) => B::Or(bx(a), bx(b)),
            });
        }
        Ok((acc.unwrap_or(B::Const(Value::Bool(negated))), Ty::Bool))
    }

    /// `x [NOT] BETWEEN lo AND hi` as `x >= lo AND x <= hi` (`x < lo OR x > hi` when negated).
    fn between(
        &self,
        expr: &Expr,
        low: &Expr,
        high: &Expr,
        negated: bool,
    ) -> Result<(B, Ty), SqlError> {
        let x = self.bind(expr)?;
        let lo = self.bind(low)?;
        let hi = self.bind(high)?;
        Ok(if negated {
            let (a, _) = binary(BinOp::Lt, x.clone(), lo)?;
            let (b, _) = binary(BinOp::Gt, x, hi)?;
            (B::Or(bx(a), bx(b)), Ty::Bool)
        } else {
            let (a, _) = binary(BinOp::GtEq, x.clone(), lo)?;
            let (b, _) = binary(BinOp::LtEq, x, hi)?;
            (B::And(bx(a), bx(b)), Ty::Bool)
        })
    }

    /// A call of a modelled function.
    fn func(&self, func: Func, args: &[Expr]) -> Result<(B, Ty), SqlError> {
        let bound = args
            .iter()
            .map(|e| self.bind(e))
            .collect::<Result<Vec<_>, _>>()?;
        match func {
            Func::Clock(f) => clock_value(f, self.clock),
            Func::Coalesce => {
                let ty = common_type(&bound, "COALESCE")?;
                let args = bound
                    .into_iter()
                    .map(|(b, t)| coerce(b, t, ty))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((B::Coalesce(args), ty))
            }
            Func::Round => {
                let mut it = bound.into_iter();
                let (x, xt) = it
                    .next()
                    .ok_or_else(|| internal("round() without arguments"))?;
                let digits = match it.next() {
                    None => None,
                    Some((d, dt)) if matches!(dt, Ty::Int2 | Ty::Int4 | Ty::Unknown) => {
                        Some(bx(coerce(d, dt, Ty::Int4)?))
                    }
                    Some((_, dt)) => {
                        return Err(err(
                            "42883",
                            format!(
                                "function round({}, {}) does not exist",
                                xt.name(),
                                dt.name()
                            ),
                        ))
                    }
                };
                match xt {
                    Ty::Numeric => Ok((B::Round(bx(x), digits), Ty::Numeric)),
                    Ty::Unknown if digits.is_none() => {
                        Err(err("42725", "function round(unknown) is not unique"))
                    }
                    Ty::Unknown => Ok((
                        B::Round(bx(coerce(x, xt, Ty::Numeric)?), digits),
                        Ty::Numeric,
                    )),
                    t if t.is_int() && digits.is_some() => Ok((
                        B::Round(bx(B::Cast(bx(x), SqlType::Numeric(None), false)), digits),
                        Ty::Numeric,
                    )),
                    t if t.is_int() => Err(SqlError::not_supported(
                        "round() of an integer (its result is double precision)",
                    )),
                    t => Err(err(
                        "42883",
                        format!("function round({}) does not exist", t.name()),
                    )),
                }
            }
        }
    }

    /// An explicit cast `x::t`; an untyped literal is parsed as `t` now.
    fn cast(&self, expr: &Expr, target: SqlType) -> Result<(B, Ty), SqlError> {
        let (b, ty) = self.bind(expr)?;
        let to = Ty::of(target);
        Ok(match (ty, to) {
            (Ty::Unknown, _) => match b {
                B::Const(Value::Text(s)) => {
                    let v = cast_value(Value::Text(s), target, true)?;
                    (B::Const(v), to)
                }
                other => (other, to),
            },
            (Ty::Bool, Ty::Int2 | Ty::Int8 | Ty::Numeric)
            | (Ty::Int2 | Ty::Int8 | Ty::Numeric, Ty::Bool) => {
                return Err(err(
                    "42846",
                    format!("cannot cast type {} to {}", ty.name(), to.name()),
                ))
            }
            _ => (B::Cast(bx(b), target, true), to),
        })
    }
}

/// The common type of the arguments of COALESCE (and the like), by PostgreSQL's rules for the
/// modelled types: one category; integers widen; all unknown is text.
pub(super) fn common_type(args: &[(B, Ty)], what: &str) -> Result<Ty, SqlError> {
    let mut common = Ty::Unknown;
    for (_, t) in args {
        if *t == Ty::Unknown {
            continue;
        }
        if common == Ty::Unknown {
            common = *t;
        } else if category(*t) != category(common) {
            return Err(err(
                "42804",
                format!(
                    "{what} types {} and {} cannot be matched",
                    common.name(),
                    t.name()
                ),
            ));
        } else if common.is_int() {
            common = wider(common, *t);
        } else if common != *t && common.is_str() {
            common = Ty::Text;
        } else if common != *t && common.is_time() {
            // timestamptz is the preferred type of the date/time category.
            common = Ty::TimestampTz;
        }
    }
    Ok(if common == Ty::Unknown {
        Ty::Text
    } else {
        common
    })
}

/// Gives an untyped literal the type `to` (parsing it now, as PostgreSQL does at plan time).
pub(super) fn coerce(b: B, from: Ty, to: Ty) -> Result<B, SqlError> {
    if from != Ty::Unknown || to == Ty::Unknown {
        return Ok(b);
    }
    match b {
        B::Const(Value::Text(s)) => Ok(B::Const(cast_value(Value::Text(s), to.sql(), false)?)),
        other => Ok(other),
    }
}

pub(super) fn boolean(b: B, ty: Ty, clause: &str) -> Result<B, SqlError> {
    match ty {
        Ty::Bool => Ok(b),
        Ty::Unknown => coerce(b, ty, Ty::Bool),
        other => Err(err(
            "42804",
            format!(
                "argument of {clause} must be type boolean, not type {}",
                other.name()
            ),
        )),
    }
}

pub(super) fn binary(op: BinOp, (l, lt): (B, Ty), (r, rt): (B, Ty)) -> Result<(B, Ty), SqlError> {
    match op {
        BinOp::And | BinOp::Or => {
            let name = if op == BinOp::And { "AND" } else { "OR" };
            let l = boolean(l, lt, name)?;
            let r = boolean(r, rt, name)?;
            Ok((
                if op == BinOp::And {
                    B::And(bx(l), bx(r))
                } else {
                    B::Or(bx(l), bx(r))
                },
                Ty::Bool,
            ))
        }
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
            let ok = match (lt, rt) {
                (Ty::Unknown, _) | (_, Ty::Unknown) => true,
                (a, b) => category(a) == category(b),
            };
            if !ok {
                return Err(no_operator(lt, op.symbol(), rt));
            }
            let (l, r) = match (lt, rt) {
                (Ty::Unknown, Ty::Unknown) => (l, r),
                (Ty::Unknown, t) => (coerce(l, lt, t)?, r),
                (t, Ty::Unknown) => (l, coerce(r, rt, t)?),
                _ => (l, r),
            };
            Ok((B::Cmp(op, bx(l), bx(r)), Ty::Bool))
        }
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
            if let Some(out) = bind_time_arith(op, (l.clone(), lt), (r.clone(), rt)) {
                return out;
            }
            let sym = op.symbol();
            match (lt, rt) {
                (Ty::Unknown, Ty::Unknown) => Err(err(
                    "42725",
                    format!("operator is not unique: unknown {sym} unknown"),
                )),
                (Ty::Unknown, t) if t.is_num() => {
                    Ok((B::Arith(op, bx(coerce(l, lt, t)?), bx(r), t), t))
                }
                (t, Ty::Unknown) if t.is_num() => {
                    Ok((B::Arith(op, bx(l), bx(coerce(r, rt, t)?), t), t))
                }
                (a, b) if a.is_num() && b.is_num() => {
                    let t = wider(a, b);
                    Ok((B::Arith(op, bx(l), bx(r), t), t))
                }
                _ => Err(no_operator(lt, sym, rt)),
            }
        }
        BinOp::Concat => {
            let stringy = |t: Ty| t.is_str() || t == Ty::Unknown;
            if !stringy(lt) && !stringy(rt) {
                return Err(no_operator(lt, "||", rt));
            }
            Ok((B::Concat(bx(l), bx(r)), Ty::Text))
        }
    }
}

/// Assignment to a column (INSERT values, UPDATE SET), with PostgreSQL's assignment casts.
pub(super) fn assign(b: B, ty: Ty, col: &Column) -> Result<B, SqlError> {
    let to = Ty::of(col.ty);
    match (ty, to) {
        (Ty::Unknown, _) => match b {
            B::Const(Value::Text(s)) => Ok(B::Const(cast_value(Value::Text(s), col.ty, false)?)),
            other => Ok(other),
        },
        (a, b_) if a.is_int() && b_.is_int() => Ok(b),
        (a, b_) if a.is_num() && b_.is_num() => Ok(B::Cast(bx(b), col.ty, false)),
        (a, b_) if a.is_str() && b_.is_str() => Ok(b),
        (Ty::Bool, Ty::Bool) => Ok(b),
        (a, b_) if a.is_time() && b_.is_time() => Ok(B::Cast(bx(b), col.ty, false)),
        (Ty::Interval, Ty::Interval) => Ok(b),
        (
            Ty::Int2
            | Ty::Int4
            | Ty::Int8
            | Ty::Numeric
            | Ty::Bool
            | Ty::Timestamp
            | Ty::TimestampTz
            | Ty::Interval,
            t,
        ) if t.is_str() => Ok(B::Cast(bx(b), col.ty, false)),
        _ => Err(err(
            "42804",
            format!(
                "column \"{}\" is of type {} but expression is of type {}",
                col.name,
                col.ty.pg_name(),
                ty.name()
            ),
        )),
    }
}

// Date/time operators and the clock functions (see `crate::datetime`).

/// A virtual time in ms as a timestamp (saturating: a lesson may sleep absurdly long).
fn micros(ms: u64) -> i64 {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    VIRTUAL_EPOCH.saturating_add(ms.saturating_mul(USECS_PER_SEC / 1000))
}

/// A clock function's value (None: a context without a clock, such as a CHECK constraint).
fn clock_value(f: ClockFn, clock: Option<StmtClock>) -> Result<(B, Ty), SqlError> {
    let Some(c) = clock else {
        return Err(SqlError::not_supported(
            "a clock function in a CHECK constraint",
        ));
    };
    Ok(match f {
        ClockFn::Now | ClockFn::TransactionTimestamp | ClockFn::CurrentTimestamp => (
            B::Const(Value::TimestampTz(micros(c.xact))),
            Ty::TimestampTz,
        ),
        ClockFn::StatementTimestamp => (
            B::Const(Value::TimestampTz(micros(c.stmt))),
            Ty::TimestampTz,
        ),
        ClockFn::ClockTimestamp => (B::Const(Value::TimestampTz(micros(c.now))), Ty::TimestampTz),
        ClockFn::LocalTimestamp => (B::Const(Value::Timestamp(micros(c.xact))), Ty::Timestamp),
    })
}

fn is_time_ty(t: Ty) -> bool {
    t.is_time() || t == Ty::Interval
}

/// `+ - * / %` with a date/time operand (None: no operand is one). An untyped literal is
/// taken as the other operand's type where PostgreSQL has that operator, else as an interval.
fn bind_time_arith(
    op: BinOp,
    (l, lt): (B, Ty),
    (r, rt): (B, Ty),
) -> Option<Result<(B, Ty), SqlError>> {
    if !is_time_ty(lt) && !is_time_ty(rt) {
        return None;
    }
    Some(bind_time_pair(op, (l, lt), (r, rt)))
}

fn bind_time_pair(op: BinOp, (l, lt): (B, Ty), (r, rt): (B, Ty)) -> Result<(B, Ty), SqlError> {
    let guess = |known: Ty| {
        if op == BinOp::Sub || known == Ty::Interval {
            known
        } else {
            Ty::Interval
        }
    };
    let (l, lt) = match lt {
        Ty::Unknown => (coerce(l, lt, guess(rt))?, guess(rt)),
        _ => (l, lt),
    };
    let (r, rt) = match rt {
        Ty::Unknown => (coerce(r, rt, guess(lt))?, guess(lt)),
        _ => (r, rt),
    };
    let out = match (op, lt, rt) {
        (BinOp::Add, t, Ty::Interval) | (BinOp::Sub, t, Ty::Interval) if t.is_time() => t,
        (BinOp::Add, Ty::Interval, t) if t.is_time() => t,
        (BinOp::Add | BinOp::Sub, Ty::Interval, Ty::Interval) => Ty::Interval,
        (BinOp::Sub, a, b) if a.is_time() && b.is_time() => Ty::Interval,
        (BinOp::Mul | BinOp::Div, Ty::Interval, n) | (BinOp::Mul, n, Ty::Interval)
            if n.is_num() =>
        {
            return Err(SqlError::not_supported(
                "multiplying or dividing an interval",
            ))
        }
        _ => return Err(no_operator(lt, op.symbol(), rt)),
    };
    Ok((B::Arith(op, bx(l), bx(r), out), out))
}
