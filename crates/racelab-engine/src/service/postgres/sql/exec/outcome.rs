//! What running a statement produces: a [`Step`] (done, with the sessions its end released, or
//! blocked), a statement body's [`Outcome`] (rows, or a lock to wait for), and how output rows
//! and RETURNING results are built.

use std::collections::BTreeSet;

use crate::sql::api::{BlockedOn, QueryResult, SessionId, Touch};
use crate::sql::error::SqlError;
use crate::sql::eval::{eval, B};
use crate::sql::state::{AdvisoryKey, LockMode, Progress};
use crate::value::Value;

/// The outcome of running one statement once.
pub(in crate::service::postgres::sql) enum Step {
    Done {
        result: Result<QueryResult, SqlError>,
        touches: Vec<Touch>,
        released: Vec<SessionId>,
    },
    Blocked(BlockedOn),
}

/// What a statement body produced when it did not fail.
pub(in crate::service::postgres::sql) enum Outcome {
    Rows(QueryResult),
    /// Rows, and the waiters granted the advisory locks the statement released.
    Released(QueryResult, Vec<SessionId>),
    /// Must wait to take the lock on `(table, key)` in `mode`; `holder` holds it in a
    /// conflicting mode. `on_tx`: an INSERT's wait for `holder`'s transaction, which wrote the
    /// key (not in the row's lock queue).
    Wait {
        table: usize,
        key: Vec<Value>,
        mode: LockMode,
        holder: SessionId,
        progress: Option<Progress>,
        on_tx: bool,
    },
    /// Waits (already queued) for the advisory lock `key`; `holder` holds it or is ahead in
    /// the queue with a conflicting request.
    WaitAdvisory {
        key: AdvisoryKey,
        shared: bool,
        holder: SessionId,
    },
}

impl Step {
    pub(super) fn done(
        result: Result<QueryResult, SqlError>,
        touches: BTreeSet<Touch>,
        released: Vec<SessionId>,
    ) -> Step {
        Step::Done {
            result,
            touches: touches.into_iter().collect(),
            released,
        }
    }
}

pub(in crate::service::postgres::sql) fn with_returning(
    tag: String,
    items: Option<&Vec<(String, B)>>,
    rows: Option<Vec<Vec<Value>>>,
) -> QueryResult {
    QueryResult {
        tag,
        columns: items
            .map(|i| i.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default(),
        rows: rows.unwrap_or_default(),
        notices: Vec::new(),
    }
}

pub(in crate::service::postgres::sql) fn project(
    items: &[(String, B)],
    row: &[Value],
) -> Result<Vec<Value>, SqlError> {
    items.iter().map(|(_, b)| eval(b, row)).collect()
}
