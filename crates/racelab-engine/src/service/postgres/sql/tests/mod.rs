//! Behaviour of the simulated PostgreSQL: codes, messages, tags and values as PostgreSQL 15's.
//!
//! This file holds the shared helpers; the tests are grouped by topic: `advisory` (advisory locks), `locks` (waiting,
//! waking, wait queues, deadlocks, crashed clients), `isolation` (snapshots, REPEATABLE READ,
//! SET/SHOW of the transaction modes, row versions), `ssi` (SERIALIZABLE), `savepoints` (subtransactions), `rows` (row-by-row UPDATE/DELETE/FOR UPDATE
//! and re-checks), `transactions` (visibility, transaction blocks, errors), `parse` (statement
//! preparation, syntax errors, what is not modelled) and `types` (types, casts, NULLs,
//! parameters, DDL details) and `upsert` (INSERT … ON CONFLICT).

mod advisory;
mod aggregates;
mod constraints;
mod isolation;
mod locks;
mod numeric;
mod parse;
mod rows;
mod savepoints;
mod ssi;
mod transactions;
mod types;
mod upsert;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::*;
use crate::value::Value;

fn p(sql: &str) -> Prepared {
    match prepare(sql) {
        Ok(p) => p,
        Err(e) => panic!("prepare({sql:?}) failed: {e}"),
    }
}

fn done(exec: Exec) -> Done {
    match exec {
        Exec::Done(d) => d,
        Exec::Blocked(b) => panic!("unexpectedly blocked on {b:?}"),
    }
}

fn blocked(exec: Exec) -> BlockedOn {
    match exec {
        Exec::Blocked(b) => b,
        Exec::Done(d) => panic!("expected to block, got {d:?}"),
    }
}

/// Runs a statement that must succeed without blocking; returns its result.
fn ok(db: &mut Db, s: SessionId, sql: &str) -> QueryResult {
    ok_with(db, s, sql, &[])
}

fn ok_with(db: &mut Db, s: SessionId, sql: &str, params: &[Value]) -> QueryResult {
    match done(db.execute(s, &p(sql), params)).result {
        Ok(r) => r,
        Err(e) => panic!("{sql:?} failed: {e}"),
    }
}

/// Runs a statement that must fail without blocking; returns its error.
fn fails(db: &mut Db, s: SessionId, sql: &str) -> SqlError {
    fails_with(db, s, sql, &[])
}

fn fails_with(db: &mut Db, s: SessionId, sql: &str, params: &[Value]) -> SqlError {
    match done(db.execute(s, &p(sql), params)).result {
        Ok(r) => panic!("{sql:?} unexpectedly succeeded: {r:?}"),
        Err(e) => e,
    }
}

fn committed(db: &Db, sql: &str) -> Vec<Vec<Value>> {
    match db.query_committed(&p(sql), &[]) {
        Ok(r) => r.rows,
        Err(e) => panic!("{sql:?} failed: {e}"),
    }
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// A database with `accounts(id int primary key, balance int not null)` holding (1, 500).
fn bank() -> (Db, SessionId, SessionId) {
    let mut db = Db::new();
    let setup = db.open_session();
    assert_eq!(setup, 0);
    ok(
        &mut db,
        setup,
        "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)",
    );
    ok(&mut db, setup, "INSERT INTO accounts VALUES (1, 500)");
    db.close_session(setup);
    let a = db.open_session();
    let b = db.open_session();
    assert_eq!((a, b), (1, 2));
    (db, a, b)
}

fn hash_of(db: &Db) -> u64 {
    let mut h = DefaultHasher::new();
    db.hash(&mut h);
    h.finish()
}

/// `t(id int primary key, v int not null)` with rows (1, 1) … (n, n); sessions a, b, c.
fn rows_1_to(n: i64) -> (Db, SessionId, SessionId, SessionId) {
    let mut db = Db::new();
    let setup = db.open_session();
    ok(
        &mut db,
        setup,
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
    );
    for i in 1..=n {
        ok(&mut db, setup, &format!("INSERT INTO t VALUES ({i}, {i})"));
    }
    db.close_session(setup);
    let a = db.open_session();
    let b = db.open_session();
    let c = db.open_session();
    (db, a, b, c)
}

fn pending_of(db: &Db, row: usize) -> Option<(SessionId, Option<Vec<Value>>)> {
    db.tables()[0].rows[row].pending.clone()
}

fn lock_of(db: &Db, row: usize) -> Option<LockView> {
    db.tables()[0].rows[row].lock.clone()
}
