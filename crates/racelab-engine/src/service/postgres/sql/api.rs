//! The server's interface types: what a statement returns ([`Exec`], [`Done`], [`Wake`],
//! [`QueryResult`]), what it touched ([`Touch`]), why it waits ([`BlockedOn`]), and the views the
//! UI reads ([`SessionState`], [`TableView`], [`RowView`], [`LockView`], [`AdvisoryView`]). All public through
//! `sql`; they import nothing of the server.

use super::error::SqlError;
use crate::value::Value;

/// One connection to the simulated server. Each client has its own; the world opens them.
pub type SessionId = usize;

/// The rows a statement returned (SELECT, or DML with RETURNING) and its command tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueryResult {
    /// PostgreSQL's command tag: "SELECT 1", "UPDATE 1", "INSERT 0 1", "BEGIN", "COMMIT",
    /// "ROLLBACK", "DELETE 0", "CREATE TABLE".
    pub tag: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Warnings PostgreSQL would send (e.g. 25P01 "there is no transaction in progress").
    pub notices: Vec<SqlError>,
}

/// What a statement touched, for the trace and (later) partial-order reduction.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Touch {
    /// A row read (seen by a snapshot).
    ReadRow { table: String, key: String },
    /// A row written (inserted, updated, deleted) or locked FOR UPDATE.
    WriteRow { table: String, key: String },
    /// The table as a whole (a scan that saw no row still depends on the table's contents).
    ReadTable { table: String },
    /// The session's transaction state (BEGIN, COMMIT, ROLLBACK).
    Transaction { session: SessionId },
}

/// A statement's outcome when it did not have to wait.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Done {
    pub result: Result<QueryResult, SqlError>,
    pub touches: Vec<Touch>,
    /// Statements of other sessions that were waiting on locks this statement released
    /// (COMMIT/ROLLBACK/error ending a transaction), retried in queue order.
    pub woken: Vec<Wake>,
}

/// A waiting statement of another session that ran (or failed) because locks were released.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Wake {
    pub session: SessionId,
    pub result: Result<QueryResult, SqlError>,
    pub touches: Vec<Touch>,
}

/// Why a statement waits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlockedOn {
    pub table: String,
    /// The row's primary key rendered as PostgreSQL shows it: `(account_id, category_id)=(1, FOOD)`.
    pub key: String,
    /// The session whose transaction holds the lock.
    pub holder: SessionId,
}

/// The answer of [`Db::execute`](crate::sql::Db::execute).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Exec {
    Done(Done),
    /// The statement waits in a lock queue; its outcome arrives later as a [`Wake`].
    Blocked(BlockedOn),
}

/// What a session is doing, for the UI and the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// Connected, no transaction block open.
    Idle,
    /// Inside BEGIN … COMMIT.
    InTransaction,
    /// Inside a transaction block that hit an error: only ROLLBACK/COMMIT are accepted.
    Aborted,
    /// A statement waits for a row lock.
    Waiting,
    /// The connection is gone (or was never opened).
    Closed,
    /// The server ended the session (an idle timeout); its next statement reads why.
    Terminated,
}

/// One table as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableView {
    pub name: String,
    pub columns: Vec<String>,
    /// The primary-key columns (empty for a table without primary key).
    pub key_columns: Vec<String>,
    pub rows: Vec<RowView>,
}

/// One row (all its versions) as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowView {
    /// The primary key's values, e.g. "(1, FOOD)"; "(0,n)" for a table without primary key.
    pub key: String,
    /// None: inserted but not committed yet.
    pub committed: Option<Vec<Value>>,
    /// An uncommitted write: new values, or None = deleted.
    pub pending: Option<(SessionId, Option<Vec<Value>>)>,
    pub lock: Option<LockView>,
    /// Older committed versions still kept because a snapshot sees them (REPEATABLE READ,
    /// SERIALIZABLE), oldest first, each with the session whose commit wrote it (None values: a
    /// deletion).
    pub older: Vec<(Option<Vec<Value>>, SessionId)>,
}

/// A session as the page shows it: its state, isolation level and snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    pub session: SessionId,
    pub state: SessionState,
    /// `read committed`, `repeatable read`, ...
    pub isolation: &'static str,
    /// `None`: no snapshot yet; `Some(None)`: a new one per statement (READ COMMITTED);
    /// `Some(Some(n))`: one kept for the transaction, seeing the first n commits still told
    /// apart.
    pub snapshot: Option<Option<u64>>,
    /// Its last statement was chosen as a deadlock's victim (40P01).
    pub deadlock_victim: bool,
}

/// A row lock: who holds it and who queues for it, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockView {
    /// The first holder (the only one, unless sharers hold the row together).
    pub holder: SessionId,
    /// Every holder with its lock mode as SQL names it (`FOR UPDATE`, `FOR NO KEY UPDATE`,
    /// `FOR SHARE`, `FOR KEY SHARE`), in the order they took the lock.
    pub modes: Vec<(SessionId, &'static str)>,
    pub waiters: Vec<SessionId>,
}

/// An advisory lock as the UI shows it: its key (`42`, or `(1, 2)` for the two-int4 form),
/// its holders and its queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvisoryView {
    pub key: String,
    pub holders: Vec<AdvisoryHold>,
    /// The waiting sessions in queue order, each with whether it wants the lock shared.
    pub waiters: Vec<(SessionId, bool)>,
}

/// One session's hold of an advisory lock in one mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvisoryHold {
    pub session: SessionId,
    /// ShareLock (true) or ExclusiveLock.
    pub shared: bool,
    /// How many times it is held at session level (until unlocked) and at transaction level.
    pub session_level: u32,
    pub xact_level: u32,
}

/// A result with only a command tag (no columns, no rows, no notices).
pub(super) fn tag_only(tag: impl Into<String>) -> QueryResult {
    QueryResult {
        tag: tag.into(),
        columns: Vec::new(),
        rows: Vec::new(),
        notices: Vec::new(),
    }
}
