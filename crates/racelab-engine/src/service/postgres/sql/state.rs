//! The server's state, as plain data: [`Db`] with its tables ([`Table`], [`Column`]), their rows
//! ([`Slot`]: committed and uncommitted versions, [`Pending`]) and row locks ([`Lock`],
//! [`LockMode`]), and its sessions ([`Session`], [`Tx`]) with a waiting statement's saved state
//! ([`Waiting`], [`Progress`]) and its savepoints ([`Savepoint`]). The behaviour lives in the `impl` blocks of the files above:
//! `catalog`, `storage`, `locks`, `tx`, `exec`, `db`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::api::{SessionId, Touch};
use super::prepare::{Expr, Isolation, Prepared, SqlType, Strength};
use crate::value::Value;

/// The simulated server. Clone + Hash + Eq so that an explorer can branch on world states.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Db {
    pub(super) tables: Vec<Table>,
    pub(super) sessions: Vec<Session>,
    /// The virtual time of the call being served (set by [`Db::advance`]): what timeouts and
    /// deadlock checks count from. Not part of the server's state (see [`Now`]).
    pub(super) clock: Now,
    /// What the clock functions of the statement being run read (like `clock`, not state).
    pub(super) stmt_clock: StmtClock,
    /// The stamp of the newest commit that wrote rows (see [`Version`]).
    pub(super) commits: u64,
    /// The order number the next lock wait gets (see [`Waiting::order`]).
    pub(super) waits: u64,
    /// SERIALIZABLE transactions: their SIREAD locks and read/write dependencies.
    pub(super) ssi: Ssi,
    /// Advisory locks by key.
    pub(super) advisory: BTreeMap<AdvisoryKey, AdvisoryLock>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) columns: Vec<Column>,
    /// Indexes of the primary-key columns; empty = no primary key (rows keyed by `next_rowid`).
    pub(super) pk: Vec<usize>,
    pub(super) pk_name: String,
    pub(super) rows: BTreeMap<Vec<Value>, Slot>,
    pub(super) next_rowid: i64,
    /// The heap position the next tuple version takes (see [`Place`]).
    pub(super) next_pos: u32,
    /// CHECK constraints, in name order (the order PostgreSQL tests them in).
    pub(super) checks: Vec<Check>,
}

/// A CHECK constraint: its name and condition (bound on the row when tested).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Check {
    pub(super) name: String,
    pub(super) expr: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Column {
    pub(super) name: String,
    pub(super) ty: SqlType,
    pub(super) not_null: bool,
    /// The DEFAULT expression (None: NULL).
    pub(super) default: Option<Expr>,
}

/// The current virtual time, in ms. It belongs to the world, not to the server: two servers
/// that differ only in the time of their last call are equal and hash alike (what the server
/// keeps of time, such as when a wait began, is stored in its own fields).
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Now(pub(super) u64);

impl PartialEq for Now {
    fn eq(&self, _: &Now) -> bool {
        true
    }
}

impl Eq for Now {}

impl std::hash::Hash for Now {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// One row: its committed versions, at most one uncommitted one, and its lock.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Slot {
    /// The committed versions some snapshot may still see, oldest first; the last is the
    /// newest. Empty: the row was never committed (an uncommitted insert).
    pub(super) versions: Vec<Version>,
    pub(super) pending: Option<Pending>,
    pub(super) lock: Option<Lock>,
}

/// A committed version of a row: what PostgreSQL's xmin/xmax say, told as "written by this
/// session's transaction, the n-th commit". A snapshot taken at stamp `s` sees the newest
/// version with `stamp <= s`. Stamps are renumbered after every call (`Db::normalize`) so that
/// two servers that differ only in how many commits happened compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Version {
    /// None: the commit deleted the row.
    pub(super) values: Option<Vec<Value>>,
    pub(super) stamp: u64,
    /// The session whose transaction committed it.
    pub(super) by: SessionId,
    /// Which tuple of the key it belongs to: an UPDATE keeps the generation, an INSERT after a
    /// DELETE starts the next one. A statement that read generation g and meets another one
    /// finds its row deleted (PostgreSQL follows the update chain, and a re-insert is not on it).
    pub(super) gen: u32,
    /// The SERIALIZABLE transactions that wrote it (several when versions no snapshot tells
    /// apart were merged), for their read/write dependencies.
    pub(super) sx: Vec<SxId>,
    /// The previous version was updated into this one (even if the same transaction then
    /// deleted it): a writer that meets the previous version reports a concurrent *update*.
    pub(super) updated: bool,
    /// The change conflicts with FOR KEY SHARE: a deletion, or an update by a transaction
    /// that held FOR UPDATE on the row (PostgreSQL then records the update at that strength).
    pub(super) strong: bool,
    pub(super) place: Place,
}

/// Where a tuple version sits in the table's heap, which is the order scans return rows in.
/// Every INSERT and every UPDATE writes a new tuple at the end of the heap (`pos`); an UPDATE
/// is a HOT update (keys never change), so the index still points at the first tuple of the
/// row's chain (`root`). A sequential scan returns rows by `pos`, a bitmap index scan by
/// `root`, an index scan by key. Positions are renumbered densely by `Db::normalize`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub(super) struct Place {
    pub(super) pos: u32,
    pub(super) root: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Pending {
    pub(super) session: SessionId,
    pub(super) values: Option<Vec<Value>>,
    /// The tuple generation (see [`Version::gen`]).
    pub(super) gen: u32,
    /// The writer's SERIALIZABLE transaction, if it is one.
    pub(super) sx: Option<SxId>,
    /// The writer updated the committed version (before any later delete of its own).
    pub(super) updated: bool,
    /// See [`Version::strong`] (any of the writer's changes of the row so far).
    pub(super) strong: bool,
    /// The newest version's heap place (a deletion keeps the place of what it deleted).
    pub(super) place: Place,
}

/// A row's key, its values and its tuple generation, as a statement read them.
pub(super) type KeyedRow = (Vec<Value>, Vec<Value>, u32);

/// PostgreSQL's four row-lock strengths, weakest first: FOR KEY SHARE, FOR SHARE,
/// FOR NO KEY UPDATE, FOR UPDATE. A locking SELECT takes the one it names; UPDATE takes
/// FOR NO KEY UPDATE (it never changes a key column), DELETE and the inserter of a new row
/// FOR UPDATE.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(super) enum LockMode {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

impl LockMode {
    /// The mode as SQL names it.
    pub(super) fn clause(self) -> &'static str {
        match self {
            LockMode::KeyShare => "FOR KEY SHARE",
            LockMode::Share => "FOR SHARE",
            LockMode::NoKeyUpdate => "FOR NO KEY UPDATE",
            LockMode::Update => "FOR UPDATE",
        }
    }

    /// The mode a locking SELECT's strength takes.
    pub(super) fn of(strength: Strength) -> LockMode {
        match strength {
            Strength::KeyShare => LockMode::KeyShare,
            Strength::Share => LockMode::Share,
            Strength::NoKeyUpdate => LockMode::NoKeyUpdate,
            Strength::Update => LockMode::Update,
        }
    }
}

/// A row lock: the transactions holding it, in the order they took it, each with its mode
/// (never empty: a lock nobody holds is removed), and the FIFO queue of the sessions waiting
/// for it, each with the mode it wants.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Lock {
    pub(super) holders: Vec<(SessionId, LockMode)>,
    pub(super) waiters: Vec<(SessionId, LockMode)>,
    /// Holders that locked a version older than the newest (FOR KEY SHARE past a no-key
    /// update): they hold the versions since too, so a snapshot that sees the older version
    /// waits for them.
    pub(super) early: Vec<SessionId>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub(super) enum Tx {
    #[default]
    None,
    Active,
    Aborted,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Session {
    pub(super) tx: Tx,
    /// The open block is READ ONLY.
    pub(super) read_only: bool,
    pub(super) closed: bool,
    pub(super) waiting: Option<Waiting>,
    /// The isolation level of the open transaction; outside a block, of the next statement's
    /// implicit transaction (the default).
    pub(super) isolation: Isolation,
    /// The session's settings (SET).
    pub(super) settings: Settings,
    /// The settings before the open block changed them: restored if the block rolls back.
    pub(super) saved: Option<Settings>,
    /// After a SET LOCAL in the open block: the settings without the local changes, which a
    /// commit keeps.
    pub(super) local: Option<Settings>,
    /// The transaction's snapshot.
    pub(super) snapshot: Snap,
    /// The transaction's SERIALIZABLE record, while it is tracked.
    pub(super) sx: Option<SxId>,
    /// The open block's savepoints (subtransactions), oldest first.
    pub(super) savepoints: Vec<Savepoint>,
    /// When the open block began (virtual ms): what `now()` reads. 0 outside a block.
    pub(super) xact_start: u64,
    /// When the session's last statement ended (virtual ms), kept only while an idle timeout
    /// is set (0 otherwise, so that servers without one compare equal across time).
    pub(super) idle_since: u64,
    /// The server terminated the session: the FATAL its next statement reads.
    pub(super) fatal: Option<Fatal>,
    /// Its last statement was a deadlock's victim (for the page; see [`Remark`]).
    pub(super) victim: Remark,
}

/// A remark for the page about how the server got here, which changes nothing it does next:
/// not part of the server's state (two servers that differ only here are equal, like
/// [`Now`]).
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Remark(pub(super) bool);

impl PartialEq for Remark {
    fn eq(&self, _: &Remark) -> bool {
        true
    }
}

impl Eq for Remark {}

impl std::hash::Hash for Remark {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// Why the server terminated a session.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(super) enum Fatal {
    IdleInTransaction,
    IdleSession,
}

/// A subtransaction opened by SAVEPOINT: what ROLLBACK TO (or an error inside it) puts back.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Savepoint {
    pub(super) name: String,
    /// The session's settings and access mode when it began.
    pub(super) settings: Settings,
    /// The session's settings without SET LOCAL changes when it began (see [`Session::local`]).
    pub(super) local: Option<Settings>,
    pub(super) read_only: bool,
    /// The rows the session wrote or locked since (before the next savepoint began), each as
    /// it was when first touched: the session's uncommitted version and its lock mode.
    pub(super) before: BTreeMap<(usize, Vec<Value>), RowBefore>,
    /// The transaction-level advisory locks the session took since, each (key, shared) with
    /// how many times the session held it at transaction level before.
    pub(super) advisory: BTreeMap<(AdvisoryKey, bool), u32>,
}

/// A row as one session had it: its uncommitted version (None: it had not written the row)
/// and the mode in which it held the row's lock (None: it held none).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct RowBefore {
    pub(super) pending: Option<Pending>,
    pub(super) mode: Option<LockMode>,
}

/// A session's run-time settings (SET …), times in virtual ms (0: off).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Settings {
    /// `default_transaction_isolation` (also SET SESSION CHARACTERISTICS).
    pub(super) default_isolation: Isolation,
    /// How long a lock wait lasts before the deadlock check runs (PostgreSQL: 1 s).
    pub(super) deadlock_timeout: u64,
    pub(super) lock_timeout: u64,
    pub(super) statement_timeout: u64,
    /// A session idle inside a block this long is terminated (FATAL 25P03).
    pub(super) idle_in_transaction_timeout: u64,
    /// A session idle outside a block this long is terminated (FATAL 57P05).
    pub(super) idle_session_timeout: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            default_isolation: Isolation::ReadCommitted,
            deadlock_timeout: 1000,
            lock_timeout: 0,
            statement_timeout: 0,
            idle_in_transaction_timeout: 0,
            idle_session_timeout: 0,
        }
    }
}

/// A transaction's snapshot: none taken yet (SET TRANSACTION may still change the level), taken
/// per statement (READ COMMITTED: every statement sees the newest commits), or kept for the
/// whole transaction at a commit stamp (REPEATABLE READ).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub(super) enum Snap {
    #[default]
    None,
    PerStatement,
    At(u64),
}

/// What one statement sees: its session's uncommitted writes, and the committed versions of
/// a snapshot (None: the newest ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct View {
    pub(super) session: Option<SessionId>,
    pub(super) snap: Option<u64>,
}

impl View {
    /// The newest committed state, nobody's uncommitted writes (assertions, the UI).
    pub(super) const COMMITTED: View = View {
        session: None,
        snap: None,
    };
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct Waiting {
    pub(super) stmt: Prepared,
    pub(super) params: Vec<Value>,
    /// The lock it waits to take.
    pub(super) on: WaitOn,
    /// Where an UPDATE/DELETE/SELECT … FOR UPDATE or INSERT … ON CONFLICT stopped (None: a
    /// plain INSERT, re-run from scratch; for an advisory lock, always Some and empty: when it
    /// is retried the lock is granted).
    pub(super) progress: Option<Progress>,
    /// When this wait began (lock_timeout and the deadlock check count from it).
    pub(super) since: u64,
    /// When the statement began (statement_timeout counts from it, across waits).
    pub(super) started: u64,
    /// The deadlock check of this wait has run (it runs once, deadlock_timeout after `since`).
    pub(super) checked: bool,
    /// Which waits began first, among those that began at the same virtual time (renumbered
    /// 0, 1, ... after every call, like commit stamps).
    pub(super) order: u64,
    /// An INSERT (and ON CONFLICT's check for a conflicting row) waits for the transaction
    /// writing the same key to end (PostgreSQL waits on its transaction id, not on a row lock:
    /// lockers of the row do not hold it up); None: a wait in the row's lock queue.
    pub(super) on_tx: Option<SessionId>,
}

/// What a waiting statement waits for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) enum WaitOn {
    /// The lock of a row, in `mode`.
    Row {
        table: usize,
        key: Vec<Value>,
        mode: LockMode,
    },
    /// An advisory lock (the release that wakes the statement grants it: see `advisory`).
    Advisory { key: AdvisoryKey, shared: bool },
}

/// An advisory lock's key: one bigint, or two int4s (a separate key space, as in PostgreSQL).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(super) enum AdvisoryKey {
    Big(i64),
    Pair(i32, i32),
}

/// An advisory lock: its holders, each (session, shared) with how many times it holds the
/// lock at session and at transaction level (never both 0: a hold that ends is removed, and
/// a lock nobody holds or waits for too), and its FIFO queue.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct AdvisoryLock {
    pub(super) holders: BTreeMap<(SessionId, bool), Holds>,
    pub(super) waiters: Vec<AdvisoryWaiter>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub(super) struct Holds {
    pub(super) session: u32,
    pub(super) xact: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(super) struct AdvisoryWaiter {
    pub(super) session: SessionId,
    pub(super) shared: bool,
    /// A transaction-level request.
    pub(super) xact: bool,
}

/// A row-by-row statement's progress, kept across a lock wait.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
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
    /// The commit stamp the rows in `todo` were read at: the versions committed after it
    /// changed them since (renumbered with the snapshots by `Db::normalize`).
    pub(super) read_at: u64,
    /// INSERT … ON CONFLICT: the VALUES rows done (inserted, updated or skipped). Its `todo`
    /// holds, while DO UPDATE waits to lock it, the conflicting row as it was found (at
    /// `read_at`), and its `undo` the rows the statement inserted or updated.
    pub(super) next_row: usize,
}

/// The virtual times a statement's clock functions read, in ms.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct StmtClock {
    /// When the transaction began (BEGIN, or the statement itself outside a block).
    pub(super) xact: u64,
    /// When the statement began (before any lock wait).
    pub(super) stmt: u64,
    /// Now.
    pub(super) now: u64,
}

/// Derived from the world's time at each call, like [`Now`]: not server state.
impl PartialEq for StmtClock {
    fn eq(&self, _: &StmtClock) -> bool {
        true
    }
}

impl Eq for StmtClock {}

impl std::hash::Hash for StmtClock {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The order a scan returns rows in (see [`Place`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScanOrder {
    /// An index scan: key order.
    Key,
    /// A bitmap index scan: the heap order of each row's first tuple.
    Root,
    /// A sequential scan: the heap order of the version seen.
    Heap,
}

// SERIALIZABLE's bookkeeping (the rules that use it are in `ssi.rs`).

/// A serializable transaction's id (renumbered 0, 1, ... after every call).
pub(super) type SxId = u32;

/// The serializable transactions and what they read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Ssi {
    pub(super) xacts: BTreeMap<SxId, Sxact>,
    /// rw-conflicts `(reader, writer)`.
    pub(super) conflicts: BTreeSet<(SxId, SxId)>,
    /// READ ONLY transactions and the writable ones whose commit decides whether they are
    /// safe: `(read_only, writable)`.
    pub(super) unsafe_pairs: BTreeSet<(SxId, SxId)>,
    /// SIREAD locks by transaction and table index.
    pub(super) locks: BTreeMap<(SxId, usize), Sireads>,
    /// PostgreSQL's `LastSxactCommitSeqNo`.
    pub(super) last_seq: u64,
    pub(super) next_id: SxId,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Sxact {
    pub(super) session: SessionId,
    /// Declared READ ONLY (or, once committed, wrote nothing).
    pub(super) read_only: bool,
    pub(super) did_write: bool,
    pub(super) doomed: bool,
    /// READ ONLY and every writable transaction it overlapped ended harmlessly.
    pub(super) ro_safe: bool,
    /// Prepare and commit sequence numbers (both taken at COMMIT).
    pub(super) prepared: Option<u64>,
    pub(super) committed: Option<u64>,
    /// The last commit sequence number its snapshot includes.
    pub(super) before_snapshot: u64,
    /// Committed with a conflict out to a transaction that had committed: the earliest such
    /// one's prepare number (PostgreSQL's SXACT_FLAG_CONFLICT_OUT + earliestOutConflictCommit).
    pub(super) conflict_out: Option<u64>,
}

/// One transaction's SIREAD locks on one table (all of a lesson table's rows share one heap
/// page and its primary key one index leaf page).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Sireads {
    pub(super) relation: bool,
    pub(super) index_page: bool,
    pub(super) heap_page: bool,
    /// Keys whose current tuple is locked.
    pub(super) tuples: BTreeSet<Vec<Value>>,
    /// Tuple locks on versions that were replaced since (they still count for promotion).
    pub(super) dead: u32,
}
