//! The IR: [`Prepared`] (a parsed statement with its text and parameters) and the statement,
//! expression and type shapes every translating file builds and the executor reads.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::numeric::Numeric;

/// A parsed statement in the simulator's own small IR. Clone is cheap (Arc inside).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Prepared {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Inner {
    pub(super) stmt: Stmt,
    pub(super) text: String,
    /// Every `$n` the statement mentions, sorted.
    pub(super) params: Vec<usize>,
}

impl Prepared {
    /// The original SQL text.
    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// The highest `$n` used (0 when there is none).
    pub fn param_count(&self) -> usize {
        self.inner.params.last().copied().unwrap_or(0)
    }

    /// A plain SELECT without FOR UPDATE.
    pub fn is_read_only(&self) -> bool {
        matches!(&self.inner.stmt, Stmt::Select(s) if s.lock.is_none())
    }

    /// BEGIN or START TRANSACTION: opens a block (in which locks are held across statements).
    pub fn is_begin(&self) -> bool {
        matches!(&self.inner.stmt, Stmt::Begin { .. })
    }

    /// "SELECT", "UPDATE", "BEGIN", ... for display.
    pub fn kind(&self) -> &'static str {
        match &self.inner.stmt {
            Stmt::CreateTable(_) => "CREATE TABLE",
            Stmt::Insert(_) => "INSERT",
            Stmt::Select(_) => "SELECT",
            Stmt::Update(_) => "UPDATE",
            Stmt::Delete(_) => "DELETE",
            Stmt::Begin { start: false, .. } => "BEGIN",
            Stmt::Begin { start: true, .. } => "START TRANSACTION",
            Stmt::Commit { .. } => "COMMIT",
            Stmt::Rollback { .. } => "ROLLBACK",
            Stmt::SetTransaction { .. } | Stmt::Set { .. } => "SET",
            Stmt::Show(_) => "SHOW",
            Stmt::Savepoint(_) => "SAVEPOINT",
            Stmt::RollbackTo(_) => "ROLLBACK TO SAVEPOINT",
            Stmt::Release(_) => "RELEASE SAVEPOINT",
            Stmt::Advisory(_) => "SELECT",
        }
    }

    pub(crate) fn stmt(&self) -> &Stmt {
        &self.inner.stmt
    }

    /// The `$n` numbers the statement mentions, sorted, without duplicates.
    pub(crate) fn params_used(&self) -> &[usize] {
        &self.inner.params
    }
}

// ---------------------------------------------------------------------------------------------
// The IR
// ---------------------------------------------------------------------------------------------

impl Stmt {
    /// Whether running it takes the transaction's snapshot (after which SET TRANSACTION can no
    /// longer change the level): queries and DML do; transaction control, SET and SHOW do not
    /// (PostgreSQL's `PlannedStmtRequiresSnapshot`).
    pub(crate) fn takes_snapshot(&self) -> bool {
        matches!(
            self,
            Stmt::Select(_)
                | Stmt::Advisory(_)
                | Stmt::Insert(_)
                | Stmt::Update(_)
                | Stmt::Delete(_)
                | Stmt::CreateTable(_)
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Stmt {
    CreateTable(CreateTable),
    Insert(Insert),
    Select(Select),
    Update(Update),
    Delete(Delete),
    /// BEGIN (`start: false`) or START TRANSACTION (`start: true`); they differ only in the tag.
    Begin {
        start: bool,
        modes: TxModes,
    },
    /// COMMIT or END; `chain`: AND CHAIN (a new block with the same modes begins at once).
    Commit {
        chain: bool,
    },
    Rollback {
        chain: bool,
    },
    /// `SET TRANSACTION …` (`session: false`) or `SET SESSION CHARACTERISTICS AS TRANSACTION …`
    /// (`session: true`: the defaults of later transactions).
    SetTransaction {
        modes: TxModes,
        session: bool,
    },
    /// `SET [LOCAL] name = value` / `… TO value` for a setting the simulator models (`local`:
    /// until the end of the transaction).
    Set {
        name: Setting,
        value: SettingValue,
        local: bool,
    },
    /// `SHOW name`.
    Show(Setting),
    /// `SAVEPOINT name`, `ROLLBACK TO [SAVEPOINT] name`, `RELEASE [SAVEPOINT] name` (names
    /// folded as identifiers are).
    Savepoint(String),
    RollbackTo(String),
    Release(String),
    /// `SELECT pg_advisory_lock(…)` and the other advisory-lock functions.
    Advisory(AdvisoryCall),
}

/// A call of an advisory-lock function, alone in a SELECT.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct AdvisoryCall {
    pub op: AdvisoryOp,
    /// The `_shared` variant.
    pub shared: bool,
    /// The `_xact` variant (held until the transaction ends).
    pub xact: bool,
    /// One bigint key, or two int4 keys (another key space), or none (unlock_all).
    pub args: Vec<AdvisoryArg>,
    /// The result column's name (the function's, or the alias).
    pub column: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum AdvisoryOp {
    /// pg_advisory[_xact]_lock[_shared]: waits; returns void.
    Lock,
    /// pg_try_advisory[_xact]_lock[_shared]: never waits; returns whether it got the lock.
    TryLock,
    /// pg_advisory_unlock[_shared]: releases one session-level hold; returns whether one was held.
    Unlock,
    /// pg_advisory_unlock_all(): releases all the session-level holds; returns void.
    UnlockAll,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum AdvisoryArg {
    Const(i64),
    Param(usize),
}

/// The modes a BEGIN or SET TRANSACTION names (None: not named, unchanged).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct TxModes {
    pub isolation: Option<Isolation>,
    /// `READ ONLY` (true) or `READ WRITE` (false).
    pub read_only: Option<bool>,
}

/// PostgreSQL's isolation levels. READ UNCOMMITTED behaves as READ COMMITTED (as in
/// PostgreSQL) but is shown under its own name.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Default,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Isolation {
    ReadUncommitted,
    #[default]
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    /// The name `SHOW transaction_isolation` prints.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::ReadUncommitted => "read uncommitted",
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableRead => "repeatable read",
            Isolation::Serializable => "serializable",
        }
    }

    /// The level named by `name` as SET accepts it (`'repeatable read'`), if any.
    pub fn from_name(name: &str) -> Option<Isolation> {
        [
            Isolation::ReadUncommitted,
            Isolation::ReadCommitted,
            Isolation::RepeatableRead,
            Isolation::Serializable,
        ]
        .into_iter()
        .find(|i| i.name().eq_ignore_ascii_case(name.trim()))
    }

    /// REPEATABLE READ and SERIALIZABLE keep one snapshot for the whole transaction.
    pub(crate) fn keeps_snapshot(self) -> bool {
        self >= Isolation::RepeatableRead
    }
}

/// The run-time settings the simulator models (what `SET` and `SHOW` accept).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Setting {
    TransactionIsolation,
    DefaultTransactionIsolation,
    TransactionReadOnly,
    DeadlockTimeout,
    LockTimeout,
    StatementTimeout,
    IdleInTransactionSessionTimeout,
    IdleSessionTimeout,
}

impl Setting {
    pub(crate) const ALL: [Setting; 8] = [
        Setting::TransactionIsolation,
        Setting::DefaultTransactionIsolation,
        Setting::TransactionReadOnly,
        Setting::DeadlockTimeout,
        Setting::LockTimeout,
        Setting::StatementTimeout,
        Setting::IdleInTransactionSessionTimeout,
        Setting::IdleSessionTimeout,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Setting::TransactionIsolation => "transaction_isolation",
            Setting::DefaultTransactionIsolation => "default_transaction_isolation",
            Setting::TransactionReadOnly => "transaction_read_only",
            Setting::DeadlockTimeout => "deadlock_timeout",
            Setting::LockTimeout => "lock_timeout",
            Setting::StatementTimeout => "statement_timeout",
            Setting::IdleInTransactionSessionTimeout => "idle_in_transaction_session_timeout",
            Setting::IdleSessionTimeout => "idle_session_timeout",
        }
    }
}

/// A value given to SET: an isolation level, a boolean, a duration in ms, or DEFAULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum SettingValue {
    Isolation(Isolation),
    Bool(bool),
    Millis(u64),
    Default,
}

/// A duration as PostgreSQL prints a time setting: in the largest unit that divides it
/// (`0`, `500ms`, `1s`, `2min`, `1h`, `1d`).
pub(crate) fn show_millis(ms: u64) -> String {
    if ms == 0 {
        return "0".to_string();
    }
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ];
    for (size, unit) in units {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// A column type of the modelled subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum SqlType {
    Int2,
    Int4,
    Int8,
    Text,
    /// `varchar(n)` / `character varying(n)`; `None` = no length limit.
    Varchar(Option<u32>),
    Bool,
    /// `numeric(p, s)` / `decimal(p, s)`; `None` = unconstrained `numeric`.
    Numeric(Option<(u32, u32)>),
    /// `timestamp(p)`; `None` = microseconds.
    Timestamp(Option<u32>),
    /// `timestamptz(p)` / `timestamp with time zone`.
    TimestampTz(Option<u32>),
    Interval,
}

impl SqlType {
    /// The name PostgreSQL uses in error messages ("integer", "character varying", ...).
    pub(crate) fn pg_name(self) -> &'static str {
        match self {
            SqlType::Int2 => "smallint",
            SqlType::Int4 => "integer",
            SqlType::Int8 => "bigint",
            SqlType::Text => "text",
            SqlType::Varchar(_) => "character varying",
            SqlType::Bool => "boolean",
            SqlType::Numeric(_) => "numeric",
            SqlType::Timestamp(_) => "timestamp without time zone",
            SqlType::TimestampTz(_) => "timestamp with time zone",
            SqlType::Interval => "interval",
        }
    }

    /// The internal type name PostgreSQL uses as the output column name of a cast (`x::int`).
    fn internal_name(self) -> &'static str {
        match self {
            SqlType::Int2 => "int2",
            SqlType::Int4 => "int4",
            SqlType::Int8 => "int8",
            SqlType::Text => "text",
            SqlType::Varchar(_) => "varchar",
            SqlType::Bool => "bool",
            SqlType::Numeric(_) => "numeric",
            SqlType::Timestamp(_) => "timestamp",
            SqlType::TimestampTz(_) => "timestamptz",
            SqlType::Interval => "interval",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    /// Primary key columns (as written) and the constraint name if one was given.
    pub primary_key: Option<(Vec<String>, Option<String>)>,
    /// CHECK constraints, column constraints first (in column order), then table constraints.
    pub checks: Vec<CheckDef>,
}

/// A CHECK constraint as written: its name if given, and its condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct CheckDef {
    pub name: Option<String>,
    pub expr: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub not_null: bool,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct TableRef {
    pub name: String,
    pub alias: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct Insert {
    pub table: TableRef,
    pub columns: Option<Vec<String>>,
    /// The VALUES rows; None is `DEFAULT`. `DEFAULT VALUES` is one empty row.
    pub rows: Vec<Vec<Option<Expr>>>,
    pub returning: Option<Vec<SelectItem>>,
    /// `ON CONFLICT …`.
    pub on_conflict: Option<OnConflict>,
}

/// An INSERT's `ON CONFLICT [target] DO NOTHING | DO UPDATE SET … [WHERE …]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct OnConflict {
    pub target: Option<ConflictTarget>,
    /// DO UPDATE (None: DO NOTHING).
    pub update: Option<DoUpdate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum ConflictTarget {
    /// `(col, …)`: the unique index on exactly these columns.
    Columns(Vec<String>),
    /// `ON CONSTRAINT name`.
    Constraint(String),
}

/// `DO UPDATE SET col = expr, … [WHERE cond]` (`EXCLUDED.col` names the proposed row).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct DoUpdate {
    /// `col = expr`; None is `col = DEFAULT`.
    pub sets: Vec<(String, Option<Expr>)>,
    pub filter: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct Select {
    pub from: Option<TableRef>,
    pub items: Vec<SelectItem>,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    /// `GROUP BY` expressions (as written: a number or an output name is resolved at binding).
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    /// `FOR UPDATE` / `FOR SHARE`, with `NOWAIT` or `SKIP LOCKED`.
    pub lock: Option<RowLock>,
}

/// A SELECT's locking clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct RowLock {
    pub strength: Strength,
    pub wait: LockWait,
}

/// The row-lock strengths a SELECT can ask for, weakest first (FOR KEY SHARE and FOR NO KEY
/// UPDATE are read around sqlparser, in `parse.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Strength {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

impl Strength {
    /// `FOR NO KEY UPDATE`.
    pub(crate) fn clause(self) -> &'static str {
        match self {
            Strength::KeyShare => "FOR KEY SHARE",
            Strength::Share => "FOR SHARE",
            Strength::NoKeyUpdate => "FOR NO KEY UPDATE",
            Strength::Update => "FOR UPDATE",
        }
    }
}

/// What a locking SELECT does at a row another transaction has locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum LockWait {
    Wait,
    /// `NOWAIT`: fail with 55P03.
    NoWait,
    /// `SKIP LOCKED`: leave the row out.
    SkipLocked,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct Update {
    pub table: TableRef,
    /// `col = expr`; None is `col = DEFAULT`.
    pub sets: Vec<(String, Option<Expr>)>,
    pub filter: Option<Expr>,
    pub returning: Option<Vec<SelectItem>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct Delete {
    pub table: TableRef,
    pub filter: Option<Expr>,
    pub returning: Option<Vec<SelectItem>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum SelectItem {
    /// `*`
    Wildcard,
    /// `t.*`
    QualifiedWildcard(String),
    /// An expression and its output column name.
    Expr { expr: Expr, name: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
    /// `None`: PostgreSQL's default (NULLS LAST for ASC, NULLS FIRST for DESC).
    pub nulls_first: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
}

impl BinOp {
    /// The operator as PostgreSQL prints it in "operator does not exist" messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Concat => "||",
            BinOp::Eq => "=",
            BinOp::NotEq => "<>",
            BinOp::Lt => "<",
            BinOp::LtEq => "<=",
            BinOp::Gt => ">",
            BinOp::GtEq => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Expr {
    Null,
    Bool(bool),
    /// An integer literal (already negated when written `-5`).
    Int(i64),
    /// A numeric literal (`100.5`, or an integer beyond bigint).
    Num(Numeric),
    /// A string literal: untyped until its context gives it a type.
    Str(String),
    /// `$n`
    Param(usize),
    Column {
        table: Option<String>,
        name: String,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Cast {
        expr: Box<Expr>,
        ty: SqlType,
    },
    /// An aggregate call; `arg` None is `count(*)`.
    Agg {
        func: AggFunc,
        arg: Option<Box<Expr>>,
        distinct: bool,
    },
    /// A call of a modelled non-aggregate function.
    Func {
        func: Func,
        args: Vec<Expr>,
    },
    /// Internal (never parsed): the i-th value of a grouped query's group row (its GROUP BY
    /// keys, then its aggregates), which the grouping step substitutes before binding.
    Slot(usize),
}

/// The aggregate functions modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFunc {
    pub(crate) fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

/// The non-aggregate functions modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Func {
    Coalesce,
    Round,
    /// A clock function: `now()` and the others (see [`ClockFn`]).
    Clock(ClockFn),
}

/// PostgreSQL's clock functions, read from the virtual clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum ClockFn {
    /// `now()`: the transaction's start.
    Now,
    TransactionTimestamp,
    CurrentTimestamp,
    /// The start of the current statement.
    StatementTimestamp,
    /// The time now (later than the statement's start after a lock wait).
    ClockTimestamp,
    /// `localtimestamp`: the transaction's start as a timestamp without time zone.
    LocalTimestamp,
}

impl Func {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Func::Coalesce => "coalesce",
            Func::Round => "round",
            Func::Clock(ClockFn::Now) => "now",
            Func::Clock(ClockFn::TransactionTimestamp) => "transaction_timestamp",
            Func::Clock(ClockFn::CurrentTimestamp) => "current_timestamp",
            Func::Clock(ClockFn::StatementTimestamp) => "statement_timestamp",
            Func::Clock(ClockFn::ClockTimestamp) => "clock_timestamp",
            Func::Clock(ClockFn::LocalTimestamp) => "localtimestamp",
        }
    }
}

impl Expr {
    /// The direct subexpressions.
    pub(crate) fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Num(_)
            | Expr::Str(_)
            | Expr::Param(_)
            | Expr::Column { .. }
            | Expr::Slot(_) => Vec::new(),
            Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => {
                vec![expr]
            }
            Expr::Agg { arg, .. } => arg.iter().map(|a| a.as_ref()).collect(),
            Expr::Func { args, .. } => args.iter().collect(),
            Expr::Binary { left, right, .. } => vec![left, right],
            Expr::InList { expr, list, .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
            Expr::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
        }
    }

    /// The same expression with each direct subexpression replaced by `f` of it.
    pub(crate) fn map_children<E>(
        &self,
        f: &mut impl FnMut(&Expr) -> Result<Expr, E>,
    ) -> Result<Expr, E> {
        let mut b = |e: &Expr| f(e).map(Box::new);
        Ok(match self {
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Num(_)
            | Expr::Str(_)
            | Expr::Param(_)
            | Expr::Column { .. }
            | Expr::Slot(_) => self.clone(),
            Expr::Unary { op, expr } => Expr::Unary {
                op: *op,
                expr: b(expr)?,
            },
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: b(expr)?,
                negated: *negated,
            },
            Expr::Cast { expr, ty } => Expr::Cast {
                expr: b(expr)?,
                ty: *ty,
            },
            Expr::Agg {
                func,
                arg,
                distinct,
            } => Expr::Agg {
                func: *func,
                arg: arg.as_deref().map(&mut b).transpose()?,
                distinct: *distinct,
            },
            Expr::Func { func, args } => Expr::Func {
                func: *func,
                args: args.iter().map(&mut *f).collect::<Result<_, _>>()?,
            },
            Expr::Binary { op, left, right } => Expr::Binary {
                op: *op,
                left: b(left)?,
                right: b(right)?,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: b(expr)?,
                list: list.iter().map(&mut *f).collect::<Result<_, _>>()?,
                negated: *negated,
            },
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => Expr::Between {
                expr: b(expr)?,
                low: b(low)?,
                high: b(high)?,
                negated: *negated,
            },
        })
    }

    pub(super) fn collect_params(&self, out: &mut BTreeSet<usize>) {
        if let Expr::Param(n) = self {
            out.insert(*n);
        }
        for c in self.children() {
            c.collect_params(out);
        }
    }

    /// Whether an aggregate call occurs in it.
    pub(crate) fn contains_agg(&self) -> bool {
        matches!(self, Expr::Agg { .. }) || self.children().into_iter().any(Expr::contains_agg)
    }

    /// PostgreSQL's output column name for an unaliased select-list expression.
    pub(super) fn output_name(&self) -> String {
        match self {
            Expr::Column { name, .. } => name.clone(),
            Expr::Bool(_) => "bool".to_string(),
            Expr::Agg { func, .. } => func.name().to_string(),
            Expr::Func { func, .. } => func.name().to_string(),
            Expr::Cast { expr, ty } => match expr.as_ref() {
                Expr::Column { .. } | Expr::Agg { .. } | Expr::Func { .. } => expr.output_name(),
                _ => ty.internal_name().to_string(),
            },
            _ => "?column?".to_string(),
        }
    }
}
