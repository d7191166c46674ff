//! PostgreSQL's state as the page and the command line show it. A leaf of the postgres service.

use super::sql::{SessionId, TableView};
use crate::value::Value;

/// PostgreSQL's state as students see it: every table with its rows, uncommitted writes and
/// row locks, with sessions named by their clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgView {
    pub tables: Vec<PgTable>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<PgRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgRow {
    /// The primary key's values, e.g. "(1, FOOD)"; "(0,n)" for a table without primary key.
    pub key: String,
    /// None: inserted but not committed yet.
    pub committed: Option<Vec<Value>>,
    /// An uncommitted write: who, and the new values (None = delete).
    pub pending: Option<(String, Option<Vec<Value>>)>,
    /// A row lock: who holds it, and who waits for it in order.
    pub lock: Option<(String, Vec<String>)>,
}

/// A table of the simulator as students see it, sessions named by `who`.
pub fn table_view(t: TableView, who: &dyn Fn(SessionId) -> String) -> PgTable {
    let rows = t
        .rows
        .into_iter()
        .map(|row| PgRow {
            pending: row.pending.map(|(s, vals)| (who(s), vals)),
            lock: row
                .lock
                .map(|l| (who(l.holder), l.waiters.iter().map(|s| who(*s)).collect())),
            key: row.key,
            committed: row.committed,
        })
        .collect();
    PgTable {
        name: t.name,
        columns: t.columns,
        rows,
    }
}
