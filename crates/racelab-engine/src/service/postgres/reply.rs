//! Reading PostgreSQL's replies: the values a script line binds and the short rendering the trace
//! shows. A leaf of the postgres service.

use super::sql::QueryResult;
use crate::value::Value;

/// The values of the one row a query returned, for `a, b = SELECT …`: no row gives nulls; more
/// rows, or fewer columns than names, is a script error.
pub fn bind_row(r: &QueryResult, names: &[String]) -> Result<Vec<Value>, String> {
    if r.rows.len() > 1 {
        return Err(format!(
            "the query returned {} rows; `{}` can hold only one row",
            r.rows.len(),
            names.join(", ")
        ));
    }
    if r.columns.len() < names.len() {
        return Err(format!(
            "the query returns {} column(s) but the line assigns {} variables",
            r.columns.len(),
            names.len()
        ));
    }
    Ok((0..names.len())
        .map(|i| {
            r.rows
                .first()
                .map(|row| row[i].clone())
                .unwrap_or(Value::Null)
        })
        .collect())
}

/// A short rendering of a query result: the single value, a row, or the command tag.
pub fn summarize(r: &QueryResult) -> String {
    match (r.rows.len(), r.columns.len()) {
        (1, 1) => r.rows[0][0].to_string(),
        (1, _) => {
            let cells: Vec<String> = r.rows[0].iter().map(|v| v.to_string()).collect();
            format!("({})", cells.join(", "))
        }
        (0, n) if n > 0 && r.tag.starts_with("SELECT") => "no row".to_string(),
        _ => r.tag.clone(),
    }
}
