//! Parsing: SQL text → the simulator's own small statement IR.
//!
//! The grammar is sqlparser's (PostgreSQL dialect); this module only translates the parts of its
//! AST that the simulator models and rejects everything else with [`SqlError::not_supported`],
//! naming the construct. Names are resolved later, at execution, against the catalog of the
//! moment (as PostgreSQL's parse analysis does), so a `Prepared` can be made before its tables
//! exist.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};

use super::error::SqlError;

/// A parsed statement in the simulator's own small IR. Clone is cheap (Arc inside).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prepared {
    inner: Arc<Inner>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Inner {
    stmt: Stmt,
    text: String,
    /// Every `$n` the statement mentions, sorted.
    params: Vec<usize>,
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
        matches!(&self.inner.stmt, Stmt::Select(s) if !s.for_update)
    }

    /// "SELECT", "UPDATE", "BEGIN", ... for display.
    pub fn kind(&self) -> &'static str {
        match &self.inner.stmt {
            Stmt::CreateTable(_) => "CREATE TABLE",
            Stmt::Insert(_) => "INSERT",
            Stmt::Select(_) => "SELECT",
            Stmt::Update(_) => "UPDATE",
            Stmt::Delete(_) => "DELETE",
            Stmt::Begin { start: false } => "BEGIN",
            Stmt::Begin { start: true } => "START TRANSACTION",
            Stmt::Commit => "COMMIT",
            Stmt::Rollback => "ROLLBACK",
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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Stmt {
    CreateTable(CreateTable),
    Insert(Insert),
    Select(Select),
    Update(Update),
    Delete(Delete),
    /// BEGIN (`start: false`) or START TRANSACTION (`start: true`); they differ only in the tag.
    Begin {
        start: bool,
    },
    /// COMMIT or END.
    Commit,
    Rollback,
}

/// A column type of the modelled subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SqlType {
    Int2,
    Int4,
    Int8,
    Text,
    /// `varchar(n)` / `character varying(n)`; `None` = no length limit.
    Varchar(Option<u32>),
    Bool,
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
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    /// Primary key columns (as written) and the constraint name if one was given.
    pub primary_key: Option<(Vec<String>, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub not_null: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TableRef {
    pub name: String,
    pub alias: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Insert {
    pub table: TableRef,
    pub columns: Option<Vec<String>>,
    pub rows: Vec<Vec<Expr>>,
    pub returning: Option<Vec<SelectItem>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Select {
    pub from: Option<TableRef>,
    pub items: Vec<SelectItem>,
    pub filter: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    pub for_update: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Update {
    pub table: TableRef,
    pub sets: Vec<(String, Expr)>,
    pub filter: Option<Expr>,
    pub returning: Option<Vec<SelectItem>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Delete {
    pub table: TableRef,
    pub filter: Option<Expr>,
    pub returning: Option<Vec<SelectItem>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SelectItem {
    /// `*`
    Wildcard,
    /// `t.*`
    QualifiedWildcard(String),
    /// An expression and its output column name.
    Expr { expr: Expr, name: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
    /// `None`: PostgreSQL's default (NULLS LAST for ASC, NULLS FIRST for DESC).
    pub nulls_first: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum UnOp {
    Neg,
    Plus,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Expr {
    Null,
    Bool(bool),
    /// An integer literal (already negated when written `-5`).
    Int(i64),
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
    /// `count(*)`
    CountStar,
}

impl Expr {
    fn collect_params(&self, out: &mut BTreeSet<usize>) {
        match self {
            Expr::Param(n) => {
                out.insert(*n);
            }
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Str(_)
            | Expr::Column { .. }
            | Expr::CountStar => {}
            Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => {
                expr.collect_params(out)
            }
            Expr::Binary { left, right, .. } => {
                left.collect_params(out);
                right.collect_params(out);
            }
            Expr::InList { expr, list, .. } => {
                expr.collect_params(out);
                for e in list {
                    e.collect_params(out);
                }
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                expr.collect_params(out);
                low.collect_params(out);
                high.collect_params(out);
            }
        }
    }

    pub(crate) fn contains_count(&self) -> bool {
        match self {
            Expr::CountStar => true,
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Str(_)
            | Expr::Param(_)
            | Expr::Column { .. } => false,
            Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => {
                expr.contains_count()
            }
            Expr::Binary { left, right, .. } => left.contains_count() || right.contains_count(),
            Expr::InList { expr, list, .. } => {
                expr.contains_count() || list.iter().any(Expr::contains_count)
            }
            Expr::Between {
                expr, low, high, ..
            } => expr.contains_count() || low.contains_count() || high.contains_count(),
        }
    }

    /// PostgreSQL's output column name for an unaliased select-list expression.
    fn output_name(&self) -> String {
        match self {
            Expr::Column { name, .. } => name.clone(),
            Expr::Bool(_) => "bool".to_string(),
            Expr::CountStar => "count".to_string(),
            Expr::Cast { expr, ty } => match expr.as_ref() {
                Expr::Column { name, .. } => name.clone(),
                Expr::CountStar => "count".to_string(),
                _ => ty.internal_name().to_string(),
            },
            _ => "?column?".to_string(),
        }
    }
}

fn stmt_params(stmt: &Stmt) -> Vec<usize> {
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
                for e in row {
                    e.collect_params(&mut out);
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
            for e in s.filter.iter().chain(&s.limit).chain(&s.offset) {
                e.collect_params(&mut out);
            }
            for o in &s.order_by {
                o.expr.collect_params(&mut out);
            }
        }
        Stmt::Update(u) => {
            for (_, e) in &u.sets {
                e.collect_params(&mut out);
            }
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
        Stmt::CreateTable(_) | Stmt::Begin { .. } | Stmt::Commit | Stmt::Rollback => {}
    }
    out.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Parses exactly one statement (a trailing `;` is fine). Placeholders are `$1`, `$2`, ...
pub fn prepare(sql: &str) -> Result<Prepared, SqlError> {
    let mut stmts = parse_all(sql)?;
    match stmts.len() {
        0 => Err(SqlError::not_supported("an empty query")),
        1 => match stmts.pop() {
            Some((_, p)) => Ok(Prepared {
                inner: Arc::new(Inner {
                    stmt: p.inner.stmt.clone(),
                    text: sql.to_string(),
                    params: p.inner.params.clone(),
                }),
            }),
            None => Err(SqlError::not_supported("an empty query")),
        },
        _ => Err(SqlError::error(
            "42601",
            "cannot insert multiple commands into a prepared statement",
        )),
    }
}

/// Parses a multi-statement script (lesson setup). Returns each statement with the 1-based line
/// of `sql` on which it starts; errors carry position relative to the whole `sql` text.
pub fn prepare_script(sql: &str) -> Result<Vec<(usize, Prepared)>, SqlError> {
    parse_all(sql)
}

fn parse_all(sql: &str) -> Result<Vec<(usize, Prepared)>, SqlError> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(sql)
        .map_err(syntax_error)?;
    let offsets = LineOffsets::new(sql);
    let mut out = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let first = parser.peek_token();
        if first.token == Token::EOF {
            break;
        }
        let start = first.span.start;
        let refine = |e: SqlError| {
            locking_clause_gap(&dialect, sql, e.position)
                .or_else(|| star_alias_error(&dialect, sql, start, e.position))
                .unwrap_or(e)
        };
        let stmt = parser
            .parse_statement()
            .map_err(|e| refine(syntax_error(e)))?;
        let next = parser.peek_token();
        match next.token {
            Token::SemiColon | Token::EOF => {}
            _ => {
                return Err(refine(syntax_error_near(
                    &next.token.to_string(),
                    next.span.start,
                )));
            }
        }
        let begin = offsets.byte(start).unwrap_or(0);
        let end = if next.token == Token::EOF {
            sql.len()
        } else {
            offsets.byte(next.span.start).unwrap_or(sql.len())
        };
        let text = sql.get(begin..end).unwrap_or(sql).trim().to_string();
        let line = usize::try_from(start.line).unwrap_or(1).max(1);
        let ir = translate(stmt).map_err(|e| {
            if e.position.is_none() {
                let column = usize::try_from(start.column).unwrap_or(1).max(1);
                e.at(line, column)
            } else {
                e
            }
        })?;
        let params = stmt_params(&ir);
        out.push((
            line,
            Prepared {
                inner: Arc::new(Inner {
                    stmt: ir,
                    text,
                    params,
                }),
            },
        ));
    }
    Ok(out)
}

/// Maps sqlparser's (line, column) locations (1-based, columns in characters) to byte offsets.
struct LineOffsets<'a> {
    sql: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(sql: &'a str) -> Self {
        let mut starts = vec![0];
        for (i, c) in sql.char_indices() {
            if c == '\n' {
                starts.push(i + 1);
            }
        }
        LineOffsets { sql, starts }
    }

    fn byte(&self, loc: Location) -> Option<usize> {
        let line = usize::try_from(loc.line).ok()?.checked_sub(1)?;
        let col = usize::try_from(loc.column).ok()?.checked_sub(1)?;
        let start = *self.starts.get(line)?;
        let rest = self.sql.get(start..)?;
        match rest.char_indices().nth(col) {
            Some((i, _)) => Some(start + i),
            None => Some(self.sql.len()),
        }
    }
}

fn syntax_error_near(found: &str, loc: Location) -> SqlError {
    let message = if found == "EOF" {
        "syntax error at end of input".to_string()
    } else {
        format!("syntax error at or near \"{found}\"")
    };
    let err = SqlError::error("42601", message);
    match (usize::try_from(loc.line), usize::try_from(loc.column)) {
        (Ok(l), Ok(c)) if l > 0 && c > 0 => err.at(l, c),
        _ => err,
    }
}

/// sqlparser (PostgreSQL dialect) accepts an alias after `*` (`SELECT * FORM t` parses `FORM`
/// as an alias and fails later, at `t`); PostgreSQL's grammar has no such alias and reports the
/// word right after the `*`. Finds that word when a parse failed.
/// Only a `*` between `from` (the statement's start) and `to` (the reported error) counts.
fn star_alias_error(
    dialect: &PostgreSqlDialect,
    sql: &str,
    from: Location,
    to: Option<(usize, usize)>,
) -> Option<SqlError> {
    let to = to?;
    let from = line_col(from);
    use sqlparser::keywords::Keyword as K;
    let tokens = significant_tokens(dialect, sql)?;
    let may_follow_star = [
        K::FROM,
        K::WHERE,
        K::ORDER,
        K::LIMIT,
        K::OFFSET,
        K::FOR,
        K::UNION,
        K::INTERSECT,
        K::EXCEPT,
        K::GROUP,
        K::HAVING,
        K::WINDOW,
        K::INTO,
        K::FETCH,
    ];
    for w in tokens.windows(3) {
        let star_in_list = match &w[0].token {
            Token::Comma | Token::Period => true,
            Token::Word(word) => matches!(word.keyword, K::SELECT | K::RETURNING),
            _ => false,
        };
        let pos = line_col(w[1].span.start);
        if pos < from || pos > to {
            continue;
        }
        if let (true, Token::Mul, Token::Word(word)) = (star_in_list, &w[1].token, &w[2].token) {
            if word.quote_style.is_some() || !may_follow_star.contains(&word.keyword) {
                return Some(syntax_error_near(&w[2].token.to_string(), w[2].span.start));
            }
        }
    }
    None
}

/// The statement's tokens without white space (None if it does not even tokenize).
fn significant_tokens(
    dialect: &PostgreSqlDialect,
    sql: &str,
) -> Option<Vec<sqlparser::tokenizer::TokenWithSpan>> {
    let tokens = sqlparser::tokenizer::Tokenizer::new(dialect, sql)
        .tokenize_with_location()
        .ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect(),
    )
}

/// A sqlparser location as 1-based (line, column); (0, 0) when unknown.
fn line_col(l: Location) -> (usize, usize) {
    (
        usize::try_from(l.line).unwrap_or(0),
        usize::try_from(l.column).unwrap_or(0),
    )
}

/// Valid PostgreSQL locking clauses that sqlparser cannot parse (`FOR KEY SHARE`,
/// `FOR NO KEY UPDATE`, and any locking clause on a SELECT without FROM): when the parse failed
/// right after such a `FOR`, the statement is refused as not modelled rather than reported as a
/// syntax error PostgreSQL would not raise. (Oracle scenarios lock-strengths.txt and
/// for-share-without-from.txt.)
fn locking_clause_gap(
    dialect: &PostgreSqlDialect,
    sql: &str,
    at: Option<(usize, usize)>,
) -> Option<SqlError> {
    use sqlparser::keywords::Keyword as K;
    let (line, col) = at?;
    let tokens = significant_tokens(dialect, sql)?;
    let i = tokens
        .iter()
        .position(|t| line_col(t.span.start) == (line, col))?;
    let keyword = |t: &sqlparser::tokenizer::TokenWithSpan| match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    if i == 0 || keyword(&tokens[i - 1]) != Some(K::FOR) {
        return None;
    }
    let what = match keyword(&tokens[i])? {
        K::KEY => "the row-lock strength FOR KEY SHARE",
        K::NO => "the row-lock strength FOR NO KEY UPDATE",
        K::UPDATE | K::SHARE => "a locking clause on a SELECT without FROM",
        _ => return None,
    };
    Some(SqlError::not_supported(what).at(line, col))
}

/// Turns sqlparser's error text (`Expected: X, found: Y at Line: 1, Column: 10`) into
/// PostgreSQL's wording where the offending token is known.
fn syntax_error(e: ParserError) -> SqlError {
    let text = match e {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s,
        ParserError::RecursionLimitExceeded => {
            return SqlError::error("54001", "stack depth limit exceeded")
        }
    };
    let (body, position) = match text.rsplit_once(" at Line: ") {
        Some((body, loc)) => {
            let mut parts = loc.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse::<usize>().ok());
            let col = parts.next().and_then(|c| c.trim().parse::<usize>().ok());
            match (line, col) {
                (Some(l), Some(c)) => (body.to_string(), Some((l, c))),
                _ => (text.clone(), None),
            }
        }
        None => (text.clone(), None),
    };
    let message = match body.rsplit_once(", found: ") {
        Some((_, "EOF")) => "syntax error at end of input".to_string(),
        Some((_, found)) => format!("syntax error at or near \"{found}\""),
        None => body,
    };
    let mut err = SqlError::error("42601", message);
    err.position = position;
    err
}

// ---------------------------------------------------------------------------------------------
// AST → IR
// ---------------------------------------------------------------------------------------------

fn ns<T>(what: impl fmt::Display) -> Result<T, SqlError> {
    Err(SqlError::not_supported(what))
}

/// PostgreSQL folds unquoted identifiers to lower case.
fn ident(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn object_name(name: &ast::ObjectName) -> Result<String, SqlError> {
    let mut parts = Vec::new();
    for part in &name.0 {
        match part {
            ast::ObjectNamePart::Identifier(i) => parts.push(ident(i)),
            ast::ObjectNamePart::Function(_) => return ns(format!("the name {name}")),
        }
    }
    match parts.as_slice() {
        [one] => Ok(one.clone()),
        [schema, one] if schema == "public" => Ok(one.clone()),
        _ => ns(format!(
            "the qualified name {name} (schemas other than public)"
        )),
    }
}

fn translate(stmt: ast::Statement) -> Result<Stmt, SqlError> {
    use ast::Statement as S;
    match stmt {
        S::Query(q) => Ok(Stmt::Select(select(&q)?)),
        S::Insert(i) => Ok(Stmt::Insert(insert(&i)?)),
        S::Update(u) => Ok(Stmt::Update(update(&u)?)),
        S::Delete(d) => Ok(Stmt::Delete(delete(&d)?)),
        S::CreateTable(c) => Ok(Stmt::CreateTable(create_table(&c)?)),
        S::StartTransaction {
            modes,
            begin,
            modifier,
            statements,
            exception,
            has_end_keyword,
            ..
        } => {
            if modifier.is_some()
                || !statements.is_empty()
                || exception.is_some()
                || has_end_keyword
            {
                return ns("this form of BEGIN");
            }
            for mode in &modes {
                match mode {
                    ast::TransactionMode::IsolationLevel(
                        ast::TransactionIsolationLevel::ReadCommitted,
                    ) => {}
                    ast::TransactionMode::IsolationLevel(level) => {
                        return ns(format!(
                            "ISOLATION LEVEL {level} (only READ COMMITTED is modelled)"
                        ))
                    }
                    ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {}
                    ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                        return ns("READ ONLY transactions")
                    }
                }
            }
            Ok(Stmt::Begin { start: !begin })
        }
        S::Commit {
            chain, modifier, ..
        } => {
            if chain {
                return ns("COMMIT AND CHAIN");
            }
            if modifier.is_some() {
                return ns("this form of COMMIT");
            }
            Ok(Stmt::Commit)
        }
        S::Rollback { chain, savepoint } => {
            if chain {
                return ns("ROLLBACK AND CHAIN");
            }
            if savepoint.is_some() {
                return ns("ROLLBACK TO SAVEPOINT");
            }
            Ok(Stmt::Rollback)
        }
        other => {
            let text = other.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            let what = match words.as_slice() {
                [a, b] if ["CREATE", "DROP", "ALTER", "SET", "SHOW", "LOCK"].contains(a) => {
                    format!("{a} {b}")
                }
                [a, ..] => a.to_string(),
                [] => "this statement".to_string(),
            };
            ns(what)
        }
    }
}

fn data_type(dt: &ast::DataType) -> Result<SqlType, SqlError> {
    use ast::DataType as D;
    Ok(match dt {
        D::Int(None) | D::Int4(None) | D::Integer(None) => SqlType::Int4,
        D::BigInt(None) | D::Int8(None) => SqlType::Int8,
        D::SmallInt(None) | D::Int2(None) => SqlType::Int2,
        D::Text => SqlType::Text,
        D::Varchar(len) | D::CharacterVarying(len) | D::CharVarying(len) => match len {
            None => SqlType::Varchar(None),
            Some(ast::CharacterLength::IntegerLength { length, unit: None }) => {
                match u32::try_from(*length) {
                    Ok(n) if (1..=10_485_760).contains(&n) => SqlType::Varchar(Some(n)),
                    _ => return ns(format!("the type {dt}")),
                }
            }
            Some(_) => return ns(format!("the type {dt}")),
        },
        D::Bool | D::Boolean => SqlType::Bool,
        D::Custom(name, args) if args.is_empty() => {
            let n = name.to_string().to_lowercase();
            match n.as_str() {
                "int4" => SqlType::Int4,
                "int8" => SqlType::Int8,
                "int2" => SqlType::Int2,
                "bool" => SqlType::Bool,
                "varchar" => SqlType::Varchar(None),
                _ => return ns(format!("the type {dt}")),
            }
        }
        other => return ns(format!("the type {other}")),
    })
}

fn create_table(c: &ast::CreateTable) -> Result<CreateTable, SqlError> {
    if c.or_replace
        || c.temporary
        || c.unlogged
        || c.external
        || c.query.is_some()
        || c.like.is_some()
        || c.clone.is_some()
        || c.inherits.is_some()
        || c.partition_by.is_some()
        || c.partition_of.is_some()
        || c.on_commit.is_some()
    {
        return ns(
            "this form of CREATE TABLE (only column definitions and constraints are modelled)",
        );
    }
    let name = object_name(&c.name)?;
    let mut columns = Vec::new();
    let mut primary_key: Option<(Vec<String>, Option<String>)> = None;
    let multiple_pk = |name: &str| {
        SqlError::error(
            "42P16",
            format!("multiple primary keys for table \"{name}\" are not allowed"),
        )
    };
    for col in &c.columns {
        let col_name = ident(&col.name);
        let ty = data_type(&col.data_type)?;
        let mut not_null = false;
        for opt in &col.options {
            match &opt.option {
                ast::ColumnOption::Null => {}
                ast::ColumnOption::NotNull => not_null = true,
                ast::ColumnOption::PrimaryKey(_) => {
                    if primary_key.is_some() {
                        return Err(multiple_pk(&name));
                    }
                    primary_key = Some((vec![col_name.clone()], opt.name.as_ref().map(ident)));
                }
                ast::ColumnOption::Default(_) => return ns("DEFAULT"),
                ast::ColumnOption::Unique(_) => return ns("UNIQUE constraints"),
                ast::ColumnOption::ForeignKey(_) => return ns("REFERENCES (foreign keys)"),
                ast::ColumnOption::Check(_) => return ns("CHECK constraints"),
                ast::ColumnOption::Generated { .. } | ast::ColumnOption::Identity(_) => {
                    return ns("generated/identity columns")
                }
                other => return ns(format!("the column option {other}")),
            }
        }
        columns.push(ColumnDef {
            name: col_name,
            ty,
            not_null,
        });
    }
    for constraint in &c.constraints {
        match constraint {
            ast::TableConstraint::PrimaryKey(pk) => {
                if primary_key.is_some() {
                    return Err(multiple_pk(&name));
                }
                let mut cols = Vec::new();
                for ic in &pk.columns {
                    match &ic.column.expr {
                        ast::Expr::Identifier(i) => cols.push(ident(i)),
                        other => return ns(format!("the key expression {other}")),
                    }
                }
                primary_key = Some((cols, pk.name.as_ref().map(ident)));
            }
            ast::TableConstraint::Unique(_) => return ns("UNIQUE constraints"),
            ast::TableConstraint::ForeignKey(_) => return ns("FOREIGN KEY constraints"),
            ast::TableConstraint::Check(_) => return ns("CHECK constraints"),
            other => return ns(format!("the table constraint {other}")),
        }
    }
    Ok(CreateTable {
        name,
        if_not_exists: c.if_not_exists,
        columns,
        primary_key,
    })
}

fn table_factor(t: &ast::TableWithJoins) -> Result<TableRef, SqlError> {
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

fn returning(r: &Option<Vec<ast::SelectItem>>) -> Result<Option<Vec<SelectItem>>, SqlError> {
    match r {
        None => Ok(None),
        Some(items) => {
            let items = select_items(items)?;
            if items.iter().any(|i| match i {
                SelectItem::Expr { expr, .. } => expr.contains_count(),
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

fn select(q: &ast::Query) -> Result<Select, SqlError> {
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
    let s = match q.body.as_ref() {
        ast::SetExpr::Select(s) => s,
        ast::SetExpr::SetOperation { op, .. } => return ns(format!("{op} (set operations)")),
        ast::SetExpr::Values(_) => return ns("VALUES as a query"),
        ast::SetExpr::Query(_) => return ns("a parenthesized query"),
        ast::SetExpr::Table(_) => return ns("TABLE as a query"),
        _ => return ns("this kind of query"),
    };
    if s.distinct.is_some() {
        return ns("DISTINCT");
    }
    if s.into.is_some() {
        return ns("SELECT INTO");
    }
    match &s.group_by {
        ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty() => {}
        _ => return ns("GROUP BY"),
    }
    if s.having.is_some() {
        return ns("HAVING");
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
    let from = match s.from.as_slice() {
        [] => None,
        [one] => Some(table_factor(one)?),
        _ => return ns("JOIN (more than one table in FROM)"),
    };
    let items = select_items(&s.projection)?;
    let filter = s.selection.as_ref().map(expr).transpose()?;
    if filter.as_ref().is_some_and(Expr::contains_count) {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in WHERE",
        ));
    }
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
    let (limit, offset) = match &q.limit_clause {
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
    };
    let mut for_update = false;
    match q.locks.as_slice() {
        [] => {}
        [lock] => {
            match lock.lock_type {
                ast::LockType::Share => return ns("SELECT … FOR SHARE"),
                ast::LockType::Update => {}
            }
            if lock.of.is_some() {
                return ns("FOR UPDATE OF");
            }
            match lock.nonblock {
                None => {}
                Some(ast::NonBlock::Nowait) => return ns("FOR UPDATE NOWAIT"),
                Some(ast::NonBlock::SkipLocked) => return ns("FOR UPDATE SKIP LOCKED"),
            }
            if from.is_none() {
                return ns("FOR UPDATE without FROM");
            }
            for_update = true;
        }
        _ => return ns("several locking clauses"),
    }
    let has_count = items.iter().any(|i| match i {
        SelectItem::Expr { expr, .. } => expr.contains_count(),
        _ => false,
    });
    if has_count {
        if for_update {
            return Err(SqlError::error(
                "0A000",
                "FOR UPDATE is not allowed with aggregate functions",
            ));
        }
        for item in &items {
            match item {
                SelectItem::Expr {
                    expr: Expr::CountStar,
                    ..
                } => {}
                _ => return ns("mixing count(*) with other select items"),
            }
        }
        if !order_by.is_empty() {
            return ns("ORDER BY with count(*)");
        }
    }
    Ok(Select {
        from,
        items,
        filter,
        order_by,
        limit,
        offset,
        for_update,
    })
}

fn insert(i: &ast::Insert) -> Result<Insert, SqlError> {
    if i.or.is_some()
        || i.ignore
        || i.overwrite
        || !i.assignments.is_empty()
        || i.partitioned.is_some()
        || !i.after_columns.is_empty()
        || i.output.is_some()
        || i.replace_into
        || i.priority.is_some()
        || i.insert_alias.is_some()
        || i.settings.is_some()
        || i.format_clause.is_some()
        || i.multi_table_insert_type.is_some()
    {
        return ns("this form of INSERT");
    }
    if i.on.is_some() {
        return ns("INSERT … ON CONFLICT");
    }
    let name = match &i.table {
        ast::TableObject::TableName(n) => object_name(n)?,
        _ => return ns("INSERT into a table function"),
    };
    let alias = i.table_alias.as_ref().map(|a| ident(&a.alias));
    let columns = if i.columns.is_empty() {
        None
    } else {
        let mut cols = Vec::new();
        for c in &i.columns {
            match c.0.as_slice() {
                [ast::ObjectNamePart::Identifier(id)] => cols.push(ident(id)),
                _ => return ns(format!("the insert column {c}")),
            }
        }
        Some(cols)
    };
    let source = match &i.source {
        Some(s) => s,
        None => return ns("INSERT … DEFAULT VALUES"),
    };
    if source.with.is_some() {
        return ns("WITH (common table expressions)");
    }
    if source.order_by.is_some() || source.limit_clause.is_some() || !source.locks.is_empty() {
        return ns("this INSERT source");
    }
    let rows = match source.body.as_ref() {
        ast::SetExpr::Values(v) => {
            let mut rows = Vec::new();
            for row in &v.rows {
                let mut out = Vec::new();
                for e in &row.content {
                    if let ast::Expr::Identifier(id) = e {
                        if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default") {
                            return ns("DEFAULT in VALUES");
                        }
                    }
                    out.push(expr(e)?);
                }
                rows.push(out);
            }
            let width = rows.first().map(Vec::len).unwrap_or(0);
            if rows.iter().any(|r| r.len() != width) {
                return Err(SqlError::error(
                    "42601",
                    "VALUES lists must all be the same length",
                ));
            }
            if rows.iter().flatten().any(Expr::contains_count) {
                return Err(SqlError::error(
                    "42803",
                    "aggregate functions are not allowed in VALUES",
                ));
            }
            rows
        }
        ast::SetExpr::Select(_) => return ns("INSERT … SELECT"),
        _ => return ns("this INSERT source"),
    };
    Ok(Insert {
        table: TableRef { name, alias },
        columns,
        rows,
        returning: returning(&i.returning)?,
    })
}

fn update(u: &ast::Update) -> Result<Update, SqlError> {
    if u.from.is_some() {
        return ns("UPDATE … FROM");
    }
    if u.output.is_some() || u.or.is_some() || !u.order_by.is_empty() || u.limit.is_some() {
        return ns("this form of UPDATE");
    }
    let table = table_factor(&u.table)?;
    let mut sets = Vec::new();
    for a in &u.assignments {
        let col = match &a.target {
            ast::AssignmentTarget::ColumnName(n) => match n.0.as_slice() {
                [ast::ObjectNamePart::Identifier(id)] => ident(id),
                _ => return ns(format!("the assignment target {n}")),
            },
            ast::AssignmentTarget::Tuple(_) => return ns("UPDATE … SET (a, b) = …"),
        };
        if let ast::Expr::Identifier(id) = &a.value {
            if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default") {
                return ns("SET … = DEFAULT");
            }
        }
        let e = expr(&a.value)?;
        if e.contains_count() {
            return Err(SqlError::error(
                "42803",
                "aggregate functions are not allowed in UPDATE",
            ));
        }
        sets.push((col, e));
    }
    let filter = u.selection.as_ref().map(expr).transpose()?;
    if filter.as_ref().is_some_and(Expr::contains_count) {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in WHERE",
        ));
    }
    Ok(Update {
        table,
        sets,
        filter,
        returning: returning(&u.returning)?,
    })
}

fn delete(d: &ast::Delete) -> Result<Delete, SqlError> {
    if !d.tables.is_empty() || d.output.is_some() || !d.order_by.is_empty() || d.limit.is_some() {
        return ns("this form of DELETE");
    }
    if d.using.is_some() {
        return ns("DELETE … USING");
    }
    let from = match &d.from {
        ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
    };
    let table = match from.as_slice() {
        [one] => table_factor(one)?,
        _ => return ns("DELETE from several tables"),
    };
    let filter = d.selection.as_ref().map(expr).transpose()?;
    if filter.as_ref().is_some_and(Expr::contains_count) {
        return Err(SqlError::error(
            "42803",
            "aggregate functions are not allowed in WHERE",
        ));
    }
    Ok(Delete {
        table,
        filter,
        returning: returning(&d.returning)?,
    })
}

fn number(s: &str, negate: bool) -> Result<Expr, SqlError> {
    if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
        return ns(format!(
            "the numeric literal {s} (only integers are modelled)"
        ));
    }
    let v: i128 = match s.parse() {
        Ok(v) => v,
        Err(_) => return ns(format!("the numeric literal {s} (beyond bigint)")),
    };
    let v = if negate { -v } else { v };
    match i64::try_from(v) {
        Ok(v) => Ok(Expr::Int(v)),
        Err(_) => ns(format!("the numeric literal {s} (beyond bigint)")),
    }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn expr(e: &ast::Expr) -> Result<Expr, SqlError> {
    use ast::Expr as E;
    Ok(match e {
        E::Identifier(i) => Expr::Column {
            table: None,
            name: ident(i),
        },
        E::CompoundIdentifier(parts) => match parts.as_slice() {
            [t, c] => Expr::Column {
                table: Some(ident(t)),
                name: ident(c),
            },
            _ => return ns(format!("the column reference {e}")),
        },
        E::Nested(inner) => expr(inner)?,
        E::Value(v) => value(&v.value)?,
        E::IsNull(x) => Expr::IsNull {
            expr: bx(expr(x)?),
            negated: false,
        },
        E::IsNotNull(x) => Expr::IsNull {
            expr: bx(expr(x)?),
            negated: true,
        },
        E::InList {
            expr: x,
            list,
            negated,
        } => Expr::InList {
            expr: bx(expr(x)?),
            list: list.iter().map(expr).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        E::Between {
            expr: x,
            negated,
            low,
            high,
        } => Expr::Between {
            expr: bx(expr(x)?),
            low: bx(expr(low)?),
            high: bx(expr(high)?),
            negated: *negated,
        },
        E::BinaryOp { left, op, right } => {
            use ast::BinaryOperator as B;
            let op = match op {
                B::Plus => BinOp::Add,
                B::Minus => BinOp::Sub,
                B::Multiply => BinOp::Mul,
                B::Divide => BinOp::Div,
                B::Modulo => BinOp::Mod,
                B::StringConcat => BinOp::Concat,
                B::Eq => BinOp::Eq,
                B::NotEq => BinOp::NotEq,
                B::Lt => BinOp::Lt,
                B::LtEq => BinOp::LtEq,
                B::Gt => BinOp::Gt,
                B::GtEq => BinOp::GtEq,
                B::And => BinOp::And,
                B::Or => BinOp::Or,
                other => return ns(format!("the operator {other}")),
            };
            Expr::Binary {
                op,
                left: bx(expr(left)?),
                right: bx(expr(right)?),
            }
        }
        E::UnaryOp { op, expr: x } => match op {
            ast::UnaryOperator::Minus => match x.as_ref() {
                E::Value(ast::ValueWithSpan {
                    value: ast::Value::Number(s, _),
                    ..
                }) => number(s, true)?,
                _ => Expr::Unary {
                    op: UnOp::Neg,
                    expr: bx(expr(x)?),
                },
            },
            ast::UnaryOperator::Plus => Expr::Unary {
                op: UnOp::Plus,
                expr: bx(expr(x)?),
            },
            ast::UnaryOperator::Not => Expr::Unary {
                op: UnOp::Not,
                expr: bx(expr(x)?),
            },
            other => return ns(format!("the operator {other}")),
        },
        E::Cast {
            kind,
            expr: x,
            data_type: dt,
            format,
        } => {
            match kind {
                ast::CastKind::Cast | ast::CastKind::DoubleColon => {}
                _ => return ns(format!("{e}")),
            }
            if format.is_some() {
                return ns("CAST … FORMAT");
            }
            Expr::Cast {
                expr: bx(expr(x)?),
                ty: data_type(dt)?,
            }
        }
        E::Function(f) => function(f)?,
        E::Subquery(_) | E::Exists { .. } | E::InSubquery { .. } => return ns("subqueries"),
        E::Case { .. } => return ns("CASE"),
        E::Like { .. } | E::ILike { .. } => return ns("LIKE"),
        E::IsDistinctFrom(..) | E::IsNotDistinctFrom(..) => return ns("IS [NOT] DISTINCT FROM"),
        E::IsTrue(_) | E::IsNotTrue(_) | E::IsFalse(_) | E::IsNotFalse(_) => {
            return ns("IS [NOT] TRUE/FALSE")
        }
        E::TypedString(_) => return ns(format!("the typed literal {e}")),
        E::Tuple(_) => return ns("row constructors"),
        other => return ns(format!("the expression {other}")),
    })
}

fn function(f: &ast::Function) -> Result<Expr, SqlError> {
    let name = f.name.to_string().to_lowercase();
    let is_star = match &f.args {
        ast::FunctionArguments::List(l) => {
            l.duplicate_treatment.is_none()
                && l.clauses.is_empty()
                && matches!(
                    l.args.as_slice(),
                    [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
                )
        }
        _ => false,
    };
    let plain = f.filter.is_none()
        && f.null_treatment.is_none()
        && f.over.is_none()
        && f.within_group.is_empty()
        && matches!(f.parameters, ast::FunctionArguments::None);
    if name == "count" && is_star && plain {
        return Ok(Expr::CountStar);
    }
    if f.over.is_some() {
        return ns("window functions");
    }
    let aggregate = [
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "array_agg",
        "string_agg",
    ];
    if aggregate.contains(&name.as_str()) {
        return ns(format!(
            "the aggregate function {name}() (only count(*) is modelled)"
        ));
    }
    ns(format!("the function {name}()"))
}

fn value(v: &ast::Value) -> Result<Expr, SqlError> {
    use ast::Value as V;
    Ok(match v {
        V::Number(s, _) => number(s, false)?,
        V::SingleQuotedString(s) | V::EscapedStringLiteral(s) | V::UnicodeStringLiteral(s) => {
            Expr::Str(s.clone())
        }
        V::DollarQuotedString(d) => Expr::Str(d.value.clone()),
        V::Boolean(b) => Expr::Bool(*b),
        V::Null => Expr::Null,
        V::Placeholder(p) => match p.strip_prefix('$').map(str::parse::<usize>) {
            Some(Ok(n)) => Expr::Param(n),
            _ => return ns(format!("the placeholder {p} (use $1, $2, ...)")),
        },
        other => return ns(format!("the literal {other}")),
    })
}
