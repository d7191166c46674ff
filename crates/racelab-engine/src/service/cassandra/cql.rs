//! The CQL subset, parsed with sqlparser after the lightweight-transaction clause (`IF NOT
//! EXISTS`, `IF EXISTS`, `IF col = value AND …`) is taken off the end: statements on one
//! partition key only. A leaf.

use crate::value::Value;
use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// A value in a statement: written in it, or a script variable (`:name`, parameter n).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Term {
    Lit(Value),
    Param(usize),
}

/// The lightweight-transaction condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Cond {
    None,
    NotExists,
    Exists,
    Equals(Vec<(String, Term)>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Cql {
    CreateTable {
        name: String,
        columns: Vec<(String, ColType)>,
        key: String,
    },
    Insert {
        table: String,
        columns: Vec<String>,
        values: Vec<Term>,
        cond: Cond,
    },
    Update {
        table: String,
        sets: Vec<(String, Term)>,
        key: (String, Term),
        cond: Cond,
    },
    Select {
        table: String,
        columns: Option<Vec<String>>,
        key: (String, Term),
    },
    Delete {
        table: String,
        key: (String, Term),
        cond: Cond,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ColType {
    Int,
    Text,
    Boolean,
}

type R<T> = Result<T, String>;

fn ns<T>(what: impl std::fmt::Display) -> R<T> {
    Err(format!("{what} is not supported by the simulator"))
}

/// Splits off a trailing ` IF …` outside quotes.
fn split_if(text: &str) -> (&str, Option<&str>) {
    let upper = text.to_ascii_uppercase();
    let mut quoted = false;
    let mut found = None;
    for (i, c) in text.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        } else if !quoted && upper[i..].starts_with(" IF ") {
            found = Some(i);
        }
    }
    match found {
        Some(i) => (&text[..i], Some(text[i + 4..].trim())),
        None => (text, None),
    }
}

pub fn parse(text: &str) -> R<(Cql, Vec<String>)> {
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    if matches!(first.as_str(), "BEGIN" | "APPLY" | "BATCH") {
        return ns("BATCH (one lightweight transaction covers one partition; nothing spans two)");
    }
    let (sql, params) = crate::service::postgres::params::extract_params(text.trim());
    let (body, cond) = split_if(&sql);
    let mut stmts = Parser::parse_sql(&PostgreSqlDialect {}, body).map_err(|e| {
        format!(
            "CQL syntax error: {}",
            e.to_string().trim_start_matches("sql parser error: ")
        )
    })?;
    if stmts.len() != 1 {
        return Err("one CQL statement per line".into());
    }
    let stmt = match stmts.remove(0) {
        ast::Statement::Insert(i) => insert(&i, condition(cond)?)?,
        ast::Statement::Update(u) => update(&u, condition(cond)?)?,
        ast::Statement::Delete(d) => delete(&d, condition(cond)?)?,
        ast::Statement::Query(q) if cond.is_none() => select(&q)?,
        ast::Statement::CreateTable(c) if cond.is_none() => create(&c)?,
        other => {
            let first = other.to_string();
            let word = first.split_whitespace().next().unwrap_or("this statement");
            return ns(format!(
                "{word} in CQL (single-partition INSERT, UPDATE, SELECT, DELETE only; no BATCH)"
            ));
        }
    };
    Ok((stmt, params))
}

fn condition(cond: Option<&str>) -> R<Cond> {
    let Some(c) = cond else { return Ok(Cond::None) };
    match c.to_ascii_uppercase().as_str() {
        "NOT EXISTS" => return Ok(Cond::NotExists),
        "EXISTS" => return Ok(Cond::Exists),
        _ => {}
    }
    let e = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(c)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| format!("CQL syntax error in the IF condition: {e}"))?;
    let mut out = Vec::new();
    equalities(&e, &mut out)?;
    Ok(Cond::Equals(out))
}

fn equalities(e: &ast::Expr, out: &mut Vec<(String, Term)>) -> R<()> {
    match e {
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::And,
            right,
        } => {
            equalities(left, out)?;
            equalities(right, out)
        }
        ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::Eq,
            right,
        } => {
            out.push((column(left)?, term(right)?));
            Ok(())
        }
        other => ns(format!("the condition `{other}` (IF col = value [AND …])")),
    }
}

fn column(e: &ast::Expr) -> R<String> {
    match e {
        ast::Expr::Identifier(id) => Ok(id.value.to_ascii_lowercase()),
        other => ns(format!("`{other}` where a column name goes")),
    }
}

fn term(e: &ast::Expr) -> R<Term> {
    use ast::Value as V;
    let v = match e {
        ast::Expr::Value(v) => &v.value,
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => {
            return match term(expr)? {
                Term::Lit(Value::Int(i)) => Ok(Term::Lit(Value::Int(-i))),
                _ => ns(format!("`{e}`")),
            }
        }
        other => return ns(format!("the value `{other}` (a literal or :variable)")),
    };
    match v {
        V::Number(n, _) => n
            .parse::<i64>()
            .map(|i| Term::Lit(Value::Int(i)))
            .map_err(|_| format!("{n} is not a whole number the simulator models")),
        V::SingleQuotedString(s) => Ok(Term::Lit(Value::Text(s.clone()))),
        V::Boolean(b) => Ok(Term::Lit(Value::Bool(*b))),
        V::Null => Ok(Term::Lit(Value::Null)),
        V::Placeholder(p) => p
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| Term::Param(n - 1))
            .ok_or_else(|| format!("the placeholder {p}")),
        other => ns(format!("the value {other}")),
    }
}

fn table_name(name: &ast::ObjectName) -> R<String> {
    match name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(id)] => Ok(id.value.to_ascii_lowercase()),
        _ => ns(format!("the table name {name}")),
    }
}

fn insert(i: &ast::Insert, cond: Cond) -> R<Cql> {
    if !matches!(cond, Cond::None | Cond::NotExists) {
        return ns("an INSERT condition other than IF NOT EXISTS");
    }
    let table = match &i.table {
        ast::TableObject::TableName(n) => table_name(n)?,
        _ => return ns("INSERT into a table function"),
    };
    let columns = i
        .columns
        .iter()
        .map(|c| match c.0.as_slice() {
            [ast::ObjectNamePart::Identifier(id)] => Ok(id.value.to_ascii_lowercase()),
            _ => ns(format!("the column {c}")),
        })
        .collect::<R<Vec<_>>>()?;
    let rows = match i.source.as_ref().map(|s| s.body.as_ref()) {
        Some(ast::SetExpr::Values(v)) if v.rows.len() == 1 => &v.rows[0].content,
        _ => return ns("this INSERT (one VALUES row)"),
    };
    if columns.is_empty() || columns.len() != rows.len() {
        return Err("an INSERT names its columns, one value each".into());
    }
    let values = rows.iter().map(term).collect::<R<Vec<_>>>()?;
    Ok(Cql::Insert {
        table,
        columns,
        values,
        cond,
    })
}

fn single_table(t: &ast::TableWithJoins) -> R<String> {
    if !t.joins.is_empty() {
        return ns("JOIN");
    }
    match &t.relation {
        ast::TableFactor::Table { name, .. } => table_name(name),
        other => ns(format!("FROM {other}")),
    }
}

/// `WHERE key = value`: one partition.
fn key(selection: &Option<ast::Expr>) -> R<(String, Term)> {
    match selection {
        Some(ast::Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::Eq,
            right,
        }) => Ok((column(left)?, term(right)?)),
        _ => ns("a WHERE other than `key = value` (statements on one partition only)"),
    }
}

fn update(u: &ast::Update, cond: Cond) -> R<Cql> {
    if u.from.is_some() {
        return ns("UPDATE … FROM");
    }
    let table = single_table(&u.table)?;
    let mut sets = Vec::new();
    for a in &u.assignments {
        let col = match &a.target {
            ast::AssignmentTarget::ColumnName(n) => table_name(n)?,
            _ => return ns("this SET target"),
        };
        if let ast::Expr::BinaryOp { .. } = &a.value {
            return ns(format!(
                "`{col} = {}` (arithmetic in SET works on counter columns only, which the simulator does not model; read, compute and write with IF instead)",
                a.value
            ));
        }
        sets.push((col, term(&a.value)?));
    }
    Ok(Cql::Update {
        table,
        sets,
        key: key(&u.selection)?,
        cond,
    })
}

fn delete(d: &ast::Delete, cond: Cond) -> R<Cql> {
    if !matches!(cond, Cond::None | Cond::Exists) {
        return ns("a DELETE condition other than IF EXISTS");
    }
    let from = match &d.from {
        ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
    };
    let [t] = from.as_slice() else {
        return ns("DELETE from several tables");
    };
    Ok(Cql::Delete {
        table: single_table(t)?,
        key: key(&d.selection)?,
        cond,
    })
}

fn select(q: &ast::Query) -> R<Cql> {
    let ast::SetExpr::Select(s) = q.body.as_ref() else {
        return ns("this SELECT");
    };
    let [from] = s.from.as_slice() else {
        return ns("SELECT from several tables");
    };
    let mut columns = Vec::new();
    for item in &s.projection {
        match item {
            ast::SelectItem::Wildcard(_) if s.projection.len() == 1 => {
                return Ok(Cql::Select {
                    table: single_table(from)?,
                    columns: None,
                    key: key(&s.selection)?,
                })
            }
            ast::SelectItem::UnnamedExpr(e) => columns.push(column(e)?),
            other => return ns(format!("the select item {other}")),
        }
    }
    Ok(Cql::Select {
        table: single_table(from)?,
        columns: Some(columns),
        key: key(&s.selection)?,
    })
}

fn create(c: &ast::CreateTable) -> R<Cql> {
    let name = table_name(&c.name)?;
    let mut columns = Vec::new();
    let mut key = None;
    for col in &c.columns {
        let ty = match col.data_type.to_string().to_ascii_lowercase().as_str() {
            "int" | "bigint" | "integer" => ColType::Int,
            "text" | "varchar" => ColType::Text,
            "boolean" => ColType::Boolean,
            other => return ns(format!("the column type {other}")),
        };
        let cname = col.name.value.to_ascii_lowercase();
        if col
            .options
            .iter()
            .any(|o| matches!(&o.option, ast::ColumnOption::PrimaryKey(_)))
        {
            key = Some(cname.clone());
        }
        columns.push((cname, ty));
    }
    let Some(key) = key else {
        return ns("a table without a single-column PRIMARY KEY (the partition key)");
    };
    Ok(Cql::CreateTable { name, columns, key })
}
