//! A simulated PostgreSQL 15 (the modelled subset).
//!
//! Statements are parsed once, with the `sqlparser` crate (PostgreSQL dialect), into a small
//! IR ([`Prepared`]); anything outside the modelled subset is rejected at that point with a
//! [`SqlError`] whose code is [`NOT_SUPPORTED`]. Execution is atomic per statement and happens at
//! one virtual instant chosen by the scheduler, unless it must wait for a row lock:
//! [`Db::execute`] answers [`Exec::Blocked`] and the database keeps the statement, with its
//! progress, in the row's FIFO wait queue. When the holder's transaction ends (COMMIT, ROLLBACK,
//! or the session is closed because its client crashed), the waiters are resumed in queue order,
//! inside that same call, and their outcomes are returned as [`Wake`]s. A statement that fails
//! fails as a whole: the rows it changed are undone.
//!
//! Modelled: CREATE TABLE (int/integer/int4, bigint/int8, smallint, text/varchar, boolean,
//! numeric(p, s);
//! PRIMARY KEY, NOT NULL, CHECK, DEFAULT), INSERT … VALUES / DEFAULT VALUES [ON CONFLICT …]
//! [RETURNING] (an upsert goes row by row: `exec/upsert.rs`), SELECT (one table, WHERE, GROUP BY,
//! HAVING, aggregates, ORDER BY, LIMIT, FOR UPDATE), UPDATE … SET … [WHERE] [RETURNING], DELETE … [WHERE] [RETURNING],
//! BEGIN/START TRANSACTION [ISOLATION LEVEL …] [READ ONLY]/COMMIT/END/ROLLBACK, SAVEPOINT/
//! ROLLBACK TO/RELEASE (subtransactions, `savepoints`), advisory locks (`SELECT
//! pg_advisory_lock(…)` and kin, `advisory`), SET TRANSACTION,
//! SET SESSION CHARACTERISTICS, SET/SHOW of transaction_isolation, default_transaction_isolation
//! and transaction_read_only, autocommit outside a transaction block, READ COMMITTED (a fresh
//! snapshot per statement; READ UNCOMMITTED behaves the same), REPEATABLE READ (one snapshot,
//! taken at the transaction's first query; writing or locking a row a later commit changed
//! fails with 40001), row versions (`storage`), row locks of four strengths with FIFO wait
//! queues, and SERIALIZABLE: REPEATABLE READ plus PostgreSQL's serializable snapshot isolation
//! (`ssi`: SIREAD locks as PostgreSQL's plans take them, rw-dependencies, 40001 where
//! PostgreSQL raises it).
//! UPDATE, DELETE and SELECT … FOR UPDATE process their rows one at a time in scan order, as
//! PostgreSQL does: each row is locked (and changed) when reached; a row locked by another
//! transaction makes the statement wait there, keeping the rows it already did. The rows it
//! reaches are those of its snapshot; one that a committed transaction changed since is re-read
//! at its newest version and its WHERE re-checked (PostgreSQL's EvalPlanQual); rows inserted
//! after the statement started are not seen.
//!
//! Further simplifications (see `db.rs`): tables without a PRIMARY KEY are allowed (rows keyed by
//! an internal counter, shown like a ctid: `(0,1)`); scans return rows in primary-key order (use
//! ORDER BY where order matters); text compares bytewise (the "C" collation); CREATE TABLE only
//! outside a transaction block; UPDATE of a primary-key column is not supported. Deadlocks,
//! lock and statement timeouts are PostgreSQL's, in virtual time (`timeouts`).

mod advisory;
mod api;
mod bind;
mod catalog;
mod db;
mod error;
mod eval;
mod exec;
mod footprint;
mod group;
mod locks;
mod prepare;
mod savepoints;
mod settings;
mod ssi;
mod state;
mod storage;
mod timeouts;
mod tx;
mod types;

pub use api::{
    AdvisoryHold, AdvisoryView, BlockedOn, Done, Exec, LockView, QueryResult, RowView, SessionId,
    SessionState, SessionView, TableView, Touch, Wake,
};
pub use error::{SqlError, NOT_SUPPORTED};
pub use footprint::{KeyPart, RowLocks};
pub use prepare::{prepare, prepare_script, Isolation, Prepared};
pub use state::Db;

#[cfg(test)]
mod tests;
