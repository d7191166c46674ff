//! The server's state, as plain data: [`Db`] with its tables ([`Table`], [`Column`]), their rows
//! ([`Slot`]: committed and uncommitted versions, [`Pending`]) and row locks ([`Lock`],
//! [`LockMode`]), and its sessions ([`Session`], [`Tx`]) with a waiting statement's saved state
//! ([`Waiting`], [`Progress`]). The behaviour lives in the `impl` blocks of the files above:
//! `catalog`, `storage`, `locks`, `tx`, `exec`, `db`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::api::{SessionId, Touch};
use super::prepare::{Prepared, SqlType};
use crate::value::Value;

/// The simulated server. Clone + Hash + Eq so that an explorer can branch on world states.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Db {
    pub(super) tables: Vec<Table>,
    pub(super) sessions: Vec<Session>,
    /// The virtual time, in ms, of the statement being run (set by [`Db::advance`]): what
    /// timeouts and deadlock checks count from.
    pub(super) clock: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) columns: Vec<Column>,
    /// Indexes of the primary-key columns; empty = no primary key (rows keyed by `next_rowid`).
    pub(super) pk: Vec<usize>,
    pub(super) pk_name: String,
    pub(super) rows: BTreeMap<Vec<Value>, Slot>,
    pub(super) next_rowid: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Column {
    pub(super) name: String,
    pub(super) ty: SqlType,
    pub(super) not_null: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub(super) struct Slot {
    pub(super) committed: Option<Vec<Value>>,
    pub(super) pending: Option<Pending>,
    pub(super) lock: Option<Lock>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Pending {
    pub(super) session: SessionId,
    pub(super) values: Option<Vec<Value>>,
}

/// A row's key and its values.
pub(super) type KeyedRow = (Vec<Value>, Vec<Value>);

/// PostgreSQL's four row-lock strengths, weakest first: FOR KEY SHARE, FOR SHARE,
/// FOR NO KEY UPDATE, FOR UPDATE. A locking SELECT takes the one it names; UPDATE takes
/// FOR NO KEY UPDATE (it never changes a key column), DELETE and the inserter of a new row
/// FOR UPDATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum LockMode {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

/// A row lock: the transactions holding it, in the order they took it, each with its mode
/// (never empty: a lock nobody holds is removed), and the FIFO queue of the sessions waiting
/// for it, each with the mode it wants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Lock {
    pub(super) holders: Vec<(SessionId, LockMode)>,
    pub(super) waiters: Vec<(SessionId, LockMode)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(super) enum Tx {
    #[default]
    None,
    Active,
    Aborted,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub(super) struct Session {
    pub(super) tx: Tx,
    /// The open block was started READ ONLY.
    pub(super) read_only: bool,
    pub(super) closed: bool,
    pub(super) waiting: Option<Waiting>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Waiting {
    pub(super) stmt: Prepared,
    pub(super) params: Vec<Value>,
    pub(super) table: usize,
    pub(super) key: Vec<Value>,
    /// The lock mode it waits to take.
    pub(super) mode: LockMode,
    /// Where an UPDATE/DELETE/SELECT … FOR UPDATE stopped (None: INSERT, re-run from scratch).
    pub(super) progress: Option<Progress>,
}

/// A row-by-row statement's progress, kept across a lock wait.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub(super) struct Progress {
    /// Rows not processed yet, in scan order, each with the version the statement's snapshot
    /// saw (the snapshot is taken once, when the statement starts).
    pub(super) todo: VecDeque<KeyedRow>,
    /// Output rows produced so far (RETURNING, or the SELECT list for FOR UPDATE).
    pub(super) out: Vec<Vec<Value>>,
    /// Rows processed (changed or locked) so far: the command tag's count.
    pub(super) done: usize,
    /// Each row this statement changed with the session's previous uncommitted version, in
    /// order: undone (in reverse) if the statement fails.
    pub(super) undo: Vec<(Vec<Value>, Option<Pending>)>,
    /// What the statement touched before the wait.
    pub(super) touches: BTreeSet<Touch>,
}
