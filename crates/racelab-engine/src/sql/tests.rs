//! Behaviour of the simulated PostgreSQL: codes, messages, tags and values as PostgreSQL 15's.

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

#[test]
fn lost_update_second_update_waits_and_completes_on_commit() {
    let (mut db, a, b) = bank();
    assert_eq!(ok(&mut db, a, "BEGIN").tag, "BEGIN");
    assert_eq!(ok(&mut db, b, "BEGIN").tag, "BEGIN");
    let sel = "SELECT balance FROM accounts WHERE id = 1";
    assert_eq!(ok(&mut db, a, sel).rows, vec![vec![int(500)]]);
    assert_eq!(ok(&mut db, b, sel).rows, vec![vec![int(500)]]);
    let upd = p("UPDATE accounts SET balance = $1 WHERE id = $2");
    let r = done(db.execute(a, &upd, &[int(300), int(1)]));
    assert_eq!(r.result.as_ref().map(|r| r.tag.as_str()), Ok("UPDATE 1"));
    assert!(r.touches.contains(&Touch::WriteRow {
        table: "accounts".into(),
        key: "(1)".into()
    }));
    assert_eq!(db.locks_held(), 1);

    let on = blocked(db.execute(b, &upd, &[int(300), int(1)]));
    assert_eq!(
        on,
        BlockedOn {
            table: "accounts".into(),
            key: "(id)=(1)".into(),
            holder: a
        }
    );
    assert_eq!(db.session_state(b), SessionState::Waiting);
    let view = db.tables();
    assert_eq!(
        view[0].rows[0].lock,
        Some(LockView {
            holder: a,
            waiters: vec![b]
        })
    );
    assert_eq!(view[0].rows[0].committed, Some(vec![int(1), int(500)]));
    assert_eq!(
        view[0].rows[0].pending,
        Some((a, Some(vec![int(1), int(300)])))
    );

    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(commit.result.map(|r| r.tag), Ok("COMMIT".to_string()));
    assert!(commit.touches.contains(&Touch::Transaction { session: a }));
    assert_eq!(commit.woken.len(), 1);
    assert_eq!(commit.woken[0].session, b);
    assert_eq!(
        commit.woken[0].result.as_ref().map(|r| r.tag.as_str()),
        Ok("UPDATE 1")
    );
    assert_eq!(db.session_state(b), SessionState::InTransaction);
    assert_eq!(ok(&mut db, b, "COMMIT").tag, "COMMIT");
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts WHERE id = 1"),
        vec![vec![int(300)]]
    );
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn for_update_waits_and_then_reads_the_new_value() {
    let (mut db, a, b) = bank();
    let sel = p("SELECT balance FROM accounts WHERE id = 1 FOR UPDATE");
    assert!(!sel.is_read_only());
    ok(&mut db, a, "BEGIN");
    ok(&mut db, b, "BEGIN");
    let r = done(db.execute(a, &sel, &[])).result.unwrap();
    assert_eq!(
        (r.tag.as_str(), r.rows.clone()),
        ("SELECT 1", vec![vec![int(500)]])
    );
    assert_eq!(db.locks_held(), 1);
    let on = blocked(db.execute(b, &sel, &[]));
    assert_eq!(on.holder, a);
    ok(&mut db, a, "UPDATE accounts SET balance = 300 WHERE id = 1");
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(commit.woken.len(), 1);
    let woken = commit.woken[0].result.as_ref().unwrap();
    assert_eq!(woken.tag, "SELECT 1");
    assert_eq!(woken.columns, vec!["balance".to_string()]);
    assert_eq!(woken.rows, vec![vec![int(300)]]);
    // b now holds the lock until it ends its transaction.
    assert_eq!(
        db.tables()[0].rows[0].lock.as_ref().map(|l| l.holder),
        Some(b)
    );
    ok(&mut db, b, "ROLLBACK");
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn for_update_in_autocommit_releases_at_statement_end() {
    let (mut db, a, _) = bank();
    let r = ok(&mut db, a, "SELECT * FROM accounts FOR UPDATE");
    assert_eq!(r.rows, vec![vec![int(1), int(500)]]);
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn close_session_rolls_back_and_wakes_the_waiter_with_the_old_value() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 0 WHERE id = 1");
    ok(&mut db, b, "BEGIN");
    let sel = p("SELECT balance FROM accounts WHERE id = 1 FOR UPDATE");
    blocked(db.execute(b, &sel, &[]));
    let closed = db.close_session(a);
    assert_eq!(closed.result.map(|r| r.tag), Ok("ROLLBACK".to_string()));
    assert_eq!(db.session_state(a), SessionState::Closed);
    assert_eq!(closed.woken.len(), 1);
    assert_eq!(closed.woken[0].session, b);
    assert_eq!(
        closed.woken[0].result.as_ref().map(|r| r.rows.clone()),
        Ok(vec![vec![int(500)]])
    );
    // Closing an idle session: tag "".
    let c = db.open_session();
    assert_eq!(db.close_session(c).result.map(|r| r.tag), Ok(String::new()));
    // A closed session refuses statements.
    assert_eq!(fails(&mut db, a, "SELECT 1").code, "08003");
}

#[test]
fn a_client_dying_while_it_waits_still_runs_its_autocommit_statement() {
    // PostgreSQL's backend does not notice the dead client while it waits for the lock: once the
    // holder commits, the UPDATE runs and commits (oracle scenario crash-while-waiting.txt).
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 300 WHERE id = 1");
    blocked(db.execute(
        b,
        &p("UPDATE accounts SET balance = balance - 200 WHERE id = 1"),
        &[],
    ));
    let closed = db.close_session(b);
    assert_eq!(closed.result.map(|r| r.tag), Ok(String::new()));
    assert!(closed.woken.is_empty());
    assert_eq!(db.session_state(b), SessionState::Closed);
    assert_eq!(
        db.tables()[0].rows[0].lock,
        Some(LockView {
            holder: a,
            waiters: vec![b]
        }),
        "the dead client's backend is still in the queue"
    );
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert!(
        commit.woken.is_empty(),
        "nobody receives the dead client's result"
    );
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts"),
        vec![vec![int(100)]]
    );
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn a_client_dying_while_it_waits_in_a_transaction_keeps_its_locks_until_the_wait_ends() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "INSERT INTO accounts VALUES (2, 70)");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 300 WHERE id = 1");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, b, "UPDATE accounts SET balance = 71 WHERE id = 2");
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 1 WHERE id = 1"), &[]));
    db.close_session(b);
    assert_eq!(
        db.locks_held(),
        2,
        "b's row 2 stays locked while its backend waits"
    );
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert!(commit.woken.is_empty());
    // b's statement ran, then its backend found the connection gone and rolled everything back.
    assert_eq!(
        committed(&db, "SELECT id, balance FROM accounts ORDER BY id"),
        vec![vec![int(1), int(300)], vec![int(2), int(70)]]
    );
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn waiting_update_rechecks_where_after_the_holder_commits() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(
        &mut db,
        a,
        "UPDATE accounts SET balance = balance - 400 WHERE id = 1",
    );
    let upd = p("UPDATE accounts SET balance = balance - 400 WHERE id = 1 AND balance >= 400");
    blocked(db.execute(b, &upd, &[]));
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(
        commit.woken[0].result.as_ref().map(|r| r.tag.as_str()),
        Ok("UPDATE 0")
    );
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts"),
        vec![vec![int(100)]]
    );
}

#[test]
fn waiting_delete_skips_a_row_deleted_by_the_holder() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "DELETE FROM accounts WHERE id = 1");
    // b still sees the committed row.
    assert_eq!(
        ok(&mut db, b, "SELECT id FROM accounts").rows,
        vec![vec![int(1)]]
    );
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 7"), &[]));
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(
        commit.woken[0].result.as_ref().map(|r| r.tag.as_str()),
        Ok("UPDATE 0")
    );
    assert!(db.tables()[0].rows.is_empty());
}

#[test]
fn waiters_are_retried_in_fifo_order_and_requeue() {
    let (mut db, a, b) = bank();
    let c = db.open_session();
    for s in [a, b, c] {
        ok(&mut db, s, "BEGIN");
    }
    ok(
        &mut db,
        a,
        "UPDATE accounts SET balance = balance + 1 WHERE id = 1",
    );
    let inc = p("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
    blocked(db.execute(b, &inc, &[]));
    blocked(db.execute(c, &inc, &[]));
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    // b runs and takes the lock; c blocks again, now behind b.
    assert_eq!(commit.woken.len(), 1);
    assert_eq!(commit.woken[0].session, b);
    assert_eq!(db.session_state(c), SessionState::Waiting);
    assert_eq!(
        db.tables()[0].rows[0].lock,
        Some(LockView {
            holder: b,
            waiters: vec![c]
        })
    );
    let commit = done(db.execute(b, &p("COMMIT"), &[]));
    assert_eq!(commit.woken.len(), 1);
    assert_eq!(commit.woken[0].session, c);
    ok(&mut db, c, "COMMIT");
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts"),
        vec![vec![int(503)]]
    );
}

#[test]
fn uncommitted_writes_are_invisible_to_others_and_to_query_committed() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut db, a, "INSERT INTO accounts VALUES (2, 20)");
    // a sees its own writes.
    assert_eq!(
        ok(&mut db, a, "SELECT id, balance FROM accounts ORDER BY id").rows,
        vec![vec![int(1), int(1)], vec![int(2), int(20)]]
    );
    // b and the assertion query see only committed data.
    assert_eq!(
        ok(&mut db, b, "SELECT id, balance FROM accounts").rows,
        vec![vec![int(1), int(500)]]
    );
    assert_eq!(
        committed(&db, "SELECT id, balance FROM accounts"),
        vec![vec![int(1), int(500)]]
    );
    // An uncommitted insert is invisible, so an UPDATE does not wait for it.
    assert_eq!(
        ok(&mut db, b, "UPDATE accounts SET balance = 5 WHERE id = 2").tag,
        "UPDATE 0"
    );
    let rows = &db.tables()[0].rows;
    assert_eq!(rows[1].key, "(2)");
    assert_eq!(rows[1].committed, None);
    assert_eq!(rows[1].pending, Some((a, Some(vec![int(2), int(20)]))));
    assert!(db
        .query_committed(&p("UPDATE accounts SET balance = 0"), &[])
        .is_err_and(|e| e.is_not_supported()));
    assert!(db
        .query_committed(&p("SELECT * FROM accounts FOR UPDATE"), &[])
        .is_err_and(|e| e.is_not_supported()));
}

#[test]
fn insert_duplicate_key() {
    let (mut db, a, _) = bank();
    let e = fails(&mut db, a, "INSERT INTO accounts VALUES (1, 1)");
    assert_eq!(e.code, "23505");
    assert_eq!(
        e.message,
        "duplicate key value violates unique constraint \"accounts_pkey\""
    );
    // Within one statement too.
    let e = fails(&mut db, a, "INSERT INTO accounts VALUES (5, 1), (5, 2)");
    assert_eq!(e.code, "23505");
    assert_eq!(
        committed(&db, "SELECT count(*) FROM accounts"),
        vec![vec![int(1)]]
    );
    assert_eq!(
        ok(
            &mut db,
            a,
            "INSERT INTO accounts (balance, id) VALUES (9, 2), (8, 3)"
        )
        .tag,
        "INSERT 0 2"
    );
}

#[test]
fn insert_waits_for_an_uncommitted_insert_of_the_same_key() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "INSERT INTO accounts VALUES (2, 1)");
    let ins = p("INSERT INTO accounts VALUES (2, 2)");
    let on = blocked(db.execute(b, &ins, &[]));
    assert_eq!(on.key, "(id)=(2)");
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(
        commit.woken[0].result.as_ref().map_err(|e| e.code.as_str()),
        Err("23505")
    );
    // And when the first inserter rolls back, the waiting insert succeeds.
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "INSERT INTO accounts VALUES (3, 1)");
    blocked(db.execute(b, &p("INSERT INTO accounts VALUES (3, 2)"), &[]));
    let rollback = done(db.execute(a, &p("ROLLBACK"), &[]));
    assert_eq!(
        rollback.woken[0].result.as_ref().map(|r| r.tag.as_str()),
        Ok("INSERT 0 1")
    );
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts WHERE id = 3"),
        vec![vec![int(2)]]
    );
}

#[test]
fn aborted_transaction_ignores_commands_and_commit_rolls_back() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    assert_eq!(fails(&mut db, a, "SELECT nope FROM accounts").code, "42703");
    assert_eq!(db.session_state(a), SessionState::Aborted);
    let e = fails(&mut db, a, "SELECT 1");
    assert_eq!(e.code, "25P02");
    assert_eq!(
        e.message,
        "current transaction is aborted, commands ignored until end of transaction block"
    );
    // PostgreSQL aborted the transaction at the error: its write is gone and its row lock
    // released, so b's update runs at once although a's block is still open.
    assert_eq!(db.locks_held(), 0);
    assert_eq!(
        ok(&mut db, b, "UPDATE accounts SET balance = 2 WHERE id = 1").tag,
        "UPDATE 1"
    );
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(commit.result.map(|r| r.tag), Ok("ROLLBACK".to_string()));
    assert_eq!(db.session_state(a), SessionState::Idle);
    assert!(commit.woken.is_empty());
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts"),
        vec![vec![int(2)]]
    );
}

#[test]
fn error_in_autocommit_only_rolls_back_that_statement() {
    let (mut db, a, _) = bank();
    let e = fails(&mut db, a, "UPDATE accounts SET balance = balance / 0");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22012", "division by zero")
    );
    assert_eq!(db.session_state(a), SessionState::Idle);
    assert_eq!(ok(&mut db, a, "SELECT 1").tag, "SELECT 1");
}

#[test]
fn transaction_warnings() {
    let (mut db, a, _) = bank();
    let r = ok(&mut db, a, "COMMIT");
    assert_eq!(r.tag, "COMMIT");
    assert_eq!(r.notices.len(), 1);
    assert_eq!(
        (
            r.notices[0].severity,
            r.notices[0].code.as_str(),
            r.notices[0].message.as_str()
        ),
        ("WARNING", "25P01", "there is no transaction in progress")
    );
    let r = ok(&mut db, a, "ROLLBACK");
    assert_eq!(
        (r.tag.as_str(), r.notices[0].code.as_str()),
        ("ROLLBACK", "25P01")
    );
    let r = ok(&mut db, a, "START TRANSACTION");
    assert_eq!(r.tag, "START TRANSACTION");
    assert!(r.notices.is_empty());
    let r = ok(&mut db, a, "BEGIN");
    assert_eq!(r.tag, "BEGIN");
    assert_eq!(
        (r.notices[0].code.as_str(), r.notices[0].message.as_str()),
        ("25001", "there is already a transaction in progress")
    );
    assert_eq!(db.session_state(a), SessionState::InTransaction);
    assert_eq!(ok(&mut db, a, "END").tag, "COMMIT");
    assert_eq!(db.session_state(a), SessionState::Idle);
    assert_eq!(
        ok(&mut db, a, "BEGIN ISOLATION LEVEL READ COMMITTED").tag,
        "BEGIN"
    );
    ok(&mut db, a, "ROLLBACK");
    assert!(prepare("BEGIN ISOLATION LEVEL SERIALIZABLE").is_err_and(|e| e.is_not_supported()));
    assert!(prepare("START TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .is_err_and(|e| e.is_not_supported()));
}

#[test]
fn undefined_objects() {
    let (mut db, a, _) = bank();
    let e = fails(&mut db, a, "SELECT * FROM nope");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P01", "relation \"nope\" does not exist")
    );
    let e = fails(&mut db, a, "SELECT balanse FROM accounts");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42703", "column \"balanse\" does not exist")
    );
    let e = fails(&mut db, a, "UPDATE accounts SET nope = 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "42703",
            "column \"nope\" of relation \"accounts\" does not exist"
        )
    );
    let e = fails(&mut db, a, "INSERT INTO accounts (id, nope) VALUES (1, 2)");
    assert_eq!(e.code, "42703");
    let e = fails(&mut db, a, "SELECT a.id FROM accounts");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P01", "missing FROM-clause entry for table \"a\"")
    );
    assert_eq!(
        ok(&mut db, a, "SELECT a.id FROM accounts a").rows,
        vec![vec![int(1)]]
    );
    let e = fails(&mut db, a, "CREATE TABLE accounts (id int)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P07", "relation \"accounts\" already exists")
    );
    // check() reports the same codes without executing.
    assert_eq!(
        db.check(&p("SELECT x FROM accounts")).map_err(|e| e.code),
        Err("42703".into())
    );
    assert_eq!(
        db.check(&p("DELETE FROM nope")).map_err(|e| e.code),
        Err("42P01".into())
    );
    assert_eq!(
        db.check(&p("UPDATE accounts SET balance = $1 WHERE id = $2")),
        Ok(())
    );
}

#[test]
fn not_supported_constructs_are_named() {
    let cases = [
        (
            "SELECT * FROM accounts a JOIN accounts b ON a.id = b.id",
            "JOIN",
        ),
        ("SELECT * FROM accounts, accounts", "JOIN"),
        ("SELECT * FROM accounts FOR SHARE", "FOR SHARE"),
        ("SELECT * FROM accounts FOR UPDATE NOWAIT", "NOWAIT"),
        (
            "SELECT * FROM accounts FOR UPDATE SKIP LOCKED",
            "SKIP LOCKED",
        ),
        ("SELECT * FROM (SELECT 1) AS x", "subqueries"),
        ("SELECT id FROM accounts GROUP BY id", "GROUP BY"),
        ("SELECT sum(balance) FROM accounts", "sum()"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH"),
        ("DROP TABLE accounts", "DROP TABLE"),
        ("CREATE TABLE t (x numeric)", "NUMERIC"),
        (
            "SELECT * FROM accounts WHERE id IN (SELECT 1)",
            "subqueries",
        ),
    ];
    for (sql, what) in cases {
        match prepare(sql) {
            Err(e) => {
                assert_eq!(e.code, NOT_SUPPORTED, "{sql}");
                assert!(e.message.contains(what), "{sql}: {}", e.message);
                assert!(
                    e.message.ends_with("is not supported by the simulator"),
                    "{sql}"
                );
            }
            Ok(_) => panic!("{sql} should not be supported"),
        }
    }
}

#[test]
fn syntax_errors_have_postgres_wording_and_position() {
    let e = prepare("SELECT * FORM accounts").unwrap_err();
    assert_eq!(e.code, "42601");
    assert_eq!(e.message, "syntax error at or near \"FORM\"");
    assert_eq!(e.position, Some((1, 10)));
    let e = prepare("SELECT * x FROM accounts").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.position),
        ("syntax error at or near \"x\"", Some((1, 10)))
    );
    let e = prepare("SELECT * FROM").unwrap_err();
    assert_eq!(e.message, "syntax error at end of input");
    let e =
        prepare_script("CREATE TABLE t (x int);\n\nUPDATE t SET x = 1 WHER x = 2;").unwrap_err();
    assert_eq!(e.code, "42601");
    assert_eq!(e.message, "syntax error at or near \"WHER\"");
    assert_eq!(e.position, Some((3, 20)));
    assert_eq!(
        prepare("SELECT 1; SELECT 2").map_err(|e| e.code),
        Err("42601".to_string())
    );
}

#[test]
fn prepare_script_reports_lines_and_texts() {
    let script = "CREATE TABLE t (\n  id int PRIMARY KEY\n);\n-- seed\nINSERT INTO t VALUES (1);\n\nINSERT INTO t VALUES (2)";
    let stmts = prepare_script(script).unwrap();
    let summary: Vec<(usize, &str, &str)> = stmts
        .iter()
        .map(|(l, p)| (*l, p.kind(), p.text()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                1,
                "CREATE TABLE",
                "CREATE TABLE t (\n  id int PRIMARY KEY\n)"
            ),
            (5, "INSERT", "INSERT INTO t VALUES (1)"),
            (7, "INSERT", "INSERT INTO t VALUES (2)"),
        ]
    );
    let e = prepare_script("BEGIN;\nSELECT * FROM a JOIN b ON true;").unwrap_err();
    assert!(e.is_not_supported());
    assert_eq!(e.position, Some((2, 1)));
}

#[test]
fn prepared_metadata() {
    let q = p("UPDATE accounts SET balance = $2 WHERE id = $1;");
    assert_eq!(q.text(), "UPDATE accounts SET balance = $2 WHERE id = $1;");
    assert_eq!(q.param_count(), 2);
    assert_eq!(q.kind(), "UPDATE");
    assert!(!q.is_read_only());
    let s = p("SELECT balance FROM accounts WHERE id = $1");
    assert!(s.is_read_only());
    assert_eq!(s.param_count(), 1);
    assert_eq!(p("begin").kind(), "BEGIN");
    assert_eq!(p("commit").kind(), "COMMIT");
    assert_eq!(p("select 1").clone(), p("select 1"));
}

#[test]
fn params_are_interpolated_like_psycopg2() {
    let (mut db, a, _) = bank();
    let sel = "SELECT balance FROM accounts WHERE balance = $1";
    assert_eq!(
        ok_with(&mut db, a, sel, &[text("500")]).rows,
        vec![vec![int(500)]]
    );
    assert_eq!(
        ok_with(&mut db, a, sel, &[int(500)]).rows,
        vec![vec![int(500)]]
    );
    assert_eq!(ok_with(&mut db, a, sel, &[Value::Null]).tag, "SELECT 0");
    let e = fails_with(&mut db, a, sel, &[text("abc")]);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22P02", "invalid input syntax for type integer: \"abc\"")
    );
    let e = fails_with(&mut db, a, sel, &[Value::Bool(true)]);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42883", "operator does not exist: integer = boolean")
    );
    let e = fails_with(&mut db, a, "SELECT $1, $3", &[int(1), int(2)]);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P02", "there is no parameter $3")
    );
    // Text parameters into a text column, and the `'...'` vs int column mismatch.
    ok(
        &mut db,
        a,
        "CREATE TABLE users (name text PRIMARY KEY, age int)",
    );
    ok_with(
        &mut db,
        a,
        "INSERT INTO users VALUES ($1, $2)",
        &[text("ann"), text("42")],
    );
    assert_eq!(
        committed(&db, "SELECT name, age FROM users"),
        vec![vec![text("ann"), int(42)]]
    );
    let e = fails(&mut db, a, "SELECT * FROM users WHERE age = name");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42883", "operator does not exist: integer = text")
    );
    let e = fails_with(&mut db, a, "SELECT * FROM users WHERE name = $1", &[int(1)]);
    assert_eq!(e.message, "operator does not exist: text = integer");
}

#[test]
fn integer_ranges_and_arithmetic() {
    let (mut db, a, _) = bank();
    let e = fails(&mut db, a, "UPDATE accounts SET balance = 2147483647 + 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22003", "integer out of range")
    );
    let e = fails(&mut db, a, "UPDATE accounts SET balance = 3000000000");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22003", "integer out of range")
    );
    let e = fails_with(
        &mut db,
        a,
        "UPDATE accounts SET balance = $1",
        &[text("3000000000")],
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "22003",
            "value \"3000000000\" is out of range for type integer"
        )
    );
    assert_eq!(
        ok(
            &mut db,
            a,
            "SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 2 + 3 * 4, (2 + 3) * 4"
        )
        .rows,
        vec![vec![int(3), int(-3), int(1), int(-1), int(14), int(20)]]
    );
    assert_eq!(
        ok(&mut db, a, "SELECT 3000000000 + 1").rows,
        vec![vec![int(3000000001)]]
    );
    ok(&mut db, a, "CREATE TABLE small (x smallint)");
    let e = fails(&mut db, a, "INSERT INTO small VALUES (40000)");
    assert_eq!(e.message, "smallint out of range");
    let e = fails(&mut db, a, "SELECT 1 % 0");
    assert_eq!(e.code, "22012");
}

#[test]
fn three_valued_logic_and_null_handling() {
    let (mut db, a, _) = bank();
    ok(
        &mut db,
        a,
        "CREATE TABLE t (id int PRIMARY KEY, v int, s text)",
    );
    ok(
        &mut db,
        a,
        "INSERT INTO t VALUES (1, NULL, 'x'), (2, 5, NULL), (3, 7, 'y')",
    );
    let ids = |db: &mut Db, w: &str| -> Vec<Vec<Value>> {
        ok(db, a, &format!("SELECT id FROM t WHERE {w} ORDER BY id")).rows
    };
    assert_eq!(ids(&mut db, "v > 4"), vec![vec![int(2)], vec![int(3)]]);
    assert_eq!(ids(&mut db, "NOT (v > 6)"), vec![vec![int(2)]]);
    assert_eq!(ids(&mut db, "v IS NULL"), vec![vec![int(1)]]);
    assert_eq!(
        ids(&mut db, "v IS NULL OR v = 7"),
        vec![vec![int(1)], vec![int(3)]]
    );
    assert_eq!(
        ids(&mut db, "v = 5 OR s = 'x'"),
        vec![vec![int(1)], vec![int(2)]]
    );
    assert_eq!(
        ids(&mut db, "id IN (1, 3)"),
        vec![vec![int(1)], vec![int(3)]]
    );
    assert_eq!(ids(&mut db, "id NOT IN (1, 3)"), vec![vec![int(2)]]);
    assert_eq!(ids(&mut db, "v NOT IN (5, NULL)"), Vec::<Vec<Value>>::new());
    assert_eq!(
        ids(&mut db, "id BETWEEN 2 AND 3"),
        vec![vec![int(2)], vec![int(3)]]
    );
    assert_eq!(
        ok(&mut db, a, "SELECT id, v FROM t ORDER BY v DESC").rows,
        vec![
            vec![int(1), Value::Null],
            vec![int(3), int(7)],
            vec![int(2), int(5)]
        ]
    );
    assert_eq!(
        ok(
            &mut db,
            a,
            "SELECT id FROM t ORDER BY id DESC LIMIT 1 OFFSET 1"
        )
        .rows,
        vec![vec![int(2)]]
    );
    let e = fails(&mut db, a, "SELECT id FROM t WHERE v");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "42804",
            "argument of WHERE must be type boolean, not type integer"
        )
    );
    let e = fails(&mut db, a, "INSERT INTO t (v) VALUES (1)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "23502",
            "null value in column \"id\" of relation \"t\" violates not-null constraint"
        )
    );
    let r = ok(
        &mut db,
        a,
        "SELECT v::text, s || '!' AS shout, 5::int, true FROM t WHERE id = 2",
    );
    assert_eq!(r.columns, vec!["v", "shout", "int4", "bool"]);
    assert_eq!(
        r.rows,
        vec![vec![text("5"), Value::Null, int(5), Value::Bool(true)]]
    );
}

#[test]
fn returning_and_delete() {
    let (mut db, a, _) = bank();
    let r = ok(
        &mut db,
        a,
        "UPDATE accounts SET balance = balance + 1 WHERE id = 1 RETURNING balance",
    );
    assert_eq!(
        (r.tag.as_str(), r.rows.clone()),
        ("UPDATE 1", vec![vec![int(501)]])
    );
    let r = ok(&mut db, a, "INSERT INTO accounts VALUES (2, 5) RETURNING *");
    assert_eq!(r.columns, vec!["id", "balance"]);
    assert_eq!(r.rows, vec![vec![int(2), int(5)]]);
    let r = ok(
        &mut db,
        a,
        "DELETE FROM accounts WHERE balance < 100 RETURNING id",
    );
    assert_eq!(
        (r.tag.as_str(), r.rows.clone()),
        ("DELETE 1", vec![vec![int(2)]])
    );
    assert_eq!(
        ok(&mut db, a, "DELETE FROM accounts WHERE id = 99").tag,
        "DELETE 0"
    );
}

#[test]
fn table_without_primary_key() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(&mut db, s, "CREATE TABLE log (msg text)");
    ok(&mut db, s, "INSERT INTO log VALUES ('a'), ('a')");
    let t = &db.tables()[0];
    assert!(t.key_columns.is_empty());
    let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, vec!["(0,1)", "(0,2)"]);
    assert_eq!(ok(&mut db, s, "SELECT msg FROM log").rows.len(), 2);
}

#[test]
fn deadlock_is_refused_not_hung() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "INSERT INTO accounts VALUES (2, 0)");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut db, b, "UPDATE accounts SET balance = 1 WHERE id = 2");
    blocked(db.execute(a, &p("UPDATE accounts SET balance = 2 WHERE id = 2"), &[]));
    let refused = done(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    let e = refused.result.expect_err("deadlock refused");
    assert!(e.is_not_supported());
    assert!(e.message.contains("deadlock"));
    assert_eq!(db.session_state(b), SessionState::Aborted);
    // Like any error, the refusal aborts b's transaction at once, which lets a go on.
    assert_eq!(refused.woken.len(), 1);
    assert_eq!(refused.woken[0].session, a);
    assert_eq!(
        refused.woken[0].result.as_ref().map(|r| r.tag.as_str()),
        Ok("UPDATE 1")
    );
    let r = done(db.execute(b, &p("ROLLBACK"), &[]));
    assert!(r.woken.is_empty());
}

#[test]
fn create_table_inside_a_transaction_is_not_supported() {
    let (mut db, a, _) = bank();
    ok(&mut db, a, "BEGIN");
    assert!(fails(&mut db, a, "CREATE TABLE t (x int)").is_not_supported());
    assert_eq!(db.session_state(a), SessionState::Aborted);
}

#[test]
fn db_clone_equality_and_hash_are_stable() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    let copy = db.clone();
    assert_eq!(copy, db);
    assert_eq!(hash_of(&copy), hash_of(&db));
    // Two independent runs of the same history give equal states.
    let (mut db2, a2, b2) = bank();
    ok(&mut db2, a2, "BEGIN");
    ok(&mut db2, a2, "UPDATE accounts SET balance = 1 WHERE id = 1");
    blocked(db2.execute(b2, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    assert_eq!(db2, db);
    assert_eq!(hash_of(&db2), hash_of(&db));
    // Branches diverge.
    let mut branch = db.clone();
    done(branch.execute(a, &p("COMMIT"), &[]));
    assert_ne!(branch, db);
    assert_eq!(db.session_state(b), SessionState::Waiting);
    // b's UPDATE ran in autocommit once woken.
    assert_eq!(branch.session_state(b), SessionState::Idle);
    assert_eq!(
        committed(&branch, "SELECT balance FROM accounts"),
        vec![vec![int(2)]]
    );
}

#[test]
fn assignment_types_and_ddl_details() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE budget (account_id int, category varchar(5), amount bigint, ok boolean, \
         CONSTRAINT budget_key PRIMARY KEY (account_id, category))",
    );
    let r = ok(&mut db, s, "CREATE TABLE IF NOT EXISTS budget (x int)");
    assert_eq!(r.tag, "CREATE TABLE");
    assert_eq!(
        (r.notices[0].severity, r.notices[0].code.as_str()),
        ("NOTICE", "42P07")
    );
    assert_eq!(
        db.check(&p("CREATE TABLE budget (x int)"))
            .map_err(|e| e.code),
        Err("42P07".to_string())
    );
    ok(
        &mut db,
        s,
        "INSERT INTO budget VALUES (1, 'FOOD', 10, 'yes')",
    );
    let e = fails(&mut db, s, "INSERT INTO budget VALUES (1, 'FOOD', 1, true)");
    assert_eq!(
        e.message,
        "duplicate key value violates unique constraint \"budget_key\""
    );
    let e = fails(
        &mut db,
        s,
        "INSERT INTO budget VALUES (2, 'TOOLONG', 1, true)",
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22001", "value too long for type character varying(5)")
    );
    let e = fails(&mut db, s, "UPDATE budget SET ok = 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "42804",
            "column \"ok\" is of type boolean but expression is of type integer"
        )
    );
    let e = fails(&mut db, s, "UPDATE budget SET amount = category");
    assert_eq!(
        e.message,
        "column \"amount\" is of type bigint but expression is of type character varying"
    );
    let e = fails(&mut db, s, "UPDATE budget SET ok = 'maybe'");
    assert_eq!(
        e.message,
        "invalid input syntax for type boolean: \"maybe\""
    );
    assert!(fails(&mut db, s, "UPDATE budget SET category = 'X'").is_not_supported());
    ok(
        &mut db,
        s,
        "INSERT INTO budget VALUES (1, 'RENT', 7, false), (0, 'FOOD', 3, NULL)",
    );
    let r = ok(
        &mut db,
        s,
        "SELECT category AS c, amount FROM budget ORDER BY c DESC, 2",
    );
    assert_eq!(
        r.rows,
        vec![
            vec![text("RENT"), int(7)],
            vec![text("FOOD"), int(3)],
            vec![text("FOOD"), int(10)]
        ]
    );
    let keys: Vec<String> = db.tables()[0].rows.iter().map(|r| r.key.clone()).collect();
    assert_eq!(keys, vec!["(0, FOOD)", "(1, FOOD)", "(1, RENT)"]);
    assert_eq!(db.tables()[0].key_columns, vec!["account_id", "category"]);
    let e = fails(&mut db, s, "SELECT * FROM budget ORDER BY 9");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P10", "ORDER BY position 9 is not in select list")
    );
    let e = fails(&mut db, s, "SELECT * FROM budget LIMIT -1");
    assert_eq!(e.code, "2201W");
}

#[test]
fn blocked_on_a_composite_key_and_busy_session() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE b (account_id int, category text, PRIMARY KEY (account_id, category))",
    );
    ok(&mut db, s, "INSERT INTO b VALUES (1, 'FOOD')");
    let t = db.open_session();
    ok(&mut db, s, "BEGIN");
    ok(&mut db, s, "DELETE FROM b");
    let on = blocked(db.execute(t, &p("DELETE FROM b WHERE category = 'FOOD'"), &[]));
    assert_eq!(on.key, "(account_id, category)=(1, FOOD)");
    // A waiting session cannot send another statement; its state is unchanged.
    let before = db.clone();
    assert!(fails(&mut db, t, "SELECT 1").is_not_supported());
    assert_eq!(db, before);
}

#[test]
fn odd_inputs_never_panic() {
    let inputs = [
        "",
        ";",
        "SELECT",
        "SELECT $0",
        "SELECT $99999999999999999999",
        "SELECT 99999999999999999999",
        "SELECT 1.5",
        "SELECT -9223372036854775808",
        "SELECT 9223372036854775807 + 1",
        "SELECT -(-9223372036854775807 - 1)",
        "SELECT (-9223372036854775807 - 1) / -1",
        "SELECT (-2147483647 - 1) % -1",
        "SELECT 'a' + 'b'",
        "SELECT -'a'",
        "SELECT NOT 1",
        "SELECT 1 AND true",
        "SELECT 1 IN ('a', true)",
        "SELECT true::bigint",
        "SELECT 'x'::int",
        "SELECT 'é'::varchar(1), 'éé'::varchar(1)",
        "SELECT * FROM t",
        "SELECT t.* FROM accounts",
        "SELECT accounts.* FROM accounts a",
        "INSERT INTO accounts VALUES (1, 2, 3)",
        "INSERT INTO accounts (id, id) VALUES (1, 2)",
        "INSERT INTO accounts (id, balance) VALUES (1)",
        "INSERT INTO accounts VALUES (DEFAULT, 1)",
        "UPDATE accounts SET balance = 1, balance = 2",
        "SELECT * FROM accounts LIMIT 'x'",
        "SELECT * FROM accounts OFFSET -1",
        "CREATE TABLE z (a int, a int)",
        "CREATE TABLE z (a int PRIMARY KEY, b int PRIMARY KEY)",
        "CREATE TABLE z (a int, PRIMARY KEY (nope))",
        "CREATE TABLE z (a serial)",
        "SELECT 'unterminated",
        "ROLLBACK TO SAVEPOINT x",
        "SAVEPOINT x",
        "COMMIT AND CHAIN",
        "SELECT \u{0}",
    ];
    let (mut db, a, _) = bank();
    for sql in inputs {
        if let Ok(stmt) = prepare(sql) {
            let _ = db.check(&stmt);
            let _ = db.query_committed(&stmt, &[]);
            let _ = db.execute(a, &stmt, &[int(1)]);
            let _ = db.execute(a, &p("ROLLBACK"), &[]);
        }
    }
    let _ = prepare_script(&inputs.join(";\n"));
    assert_eq!(db.session_state(a), SessionState::Idle);
    assert_eq!(
        committed(&db, "SELECT * FROM accounts"),
        vec![vec![int(1), int(500)]]
    );
}

#[test]
fn locking_clauses_sqlparser_cannot_read_are_refused_not_called_syntax_errors() {
    for (sql, what) in [
        (
            "SELECT * FROM t WHERE id = 1 FOR KEY SHARE",
            "FOR KEY SHARE",
        ),
        ("SELECT * FROM t FOR NO KEY UPDATE", "FOR NO KEY UPDATE"),
        ("SELECT 1 FOR UPDATE", "without FROM"),
        ("SELECT 1 FOR SHARE", "without FROM"),
    ] {
        let e = prepare(sql).expect_err(sql);
        assert_eq!(e.code, NOT_SUPPORTED, "{sql}: {e}");
        assert!(e.message.contains(what), "{sql}: {e}");
    }
    // A real syntax error right after FOR is still PostgreSQL's 42601.
    let e = prepare("SELECT * FROM t FOR BANANA").unwrap_err();
    assert_eq!(e.code, "42601");
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

#[test]
fn multi_row_update_keeps_the_rows_it_passed_while_it_waits() {
    let (mut db, a, b, c) = rows_1_to(2);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 20 WHERE id = 2");
    let on = blocked(db.execute(b, &p("UPDATE t SET v = v + 1 RETURNING v"), &[]));
    assert_eq!(on.key, "(id)=(2)");
    // b already changed and locked row 1.
    assert_eq!(pending_of(&db, 0), Some((b, Some(vec![int(1), int(2)]))));
    assert_eq!(lock_of(&db, 0).map(|l| l.holder), Some(b));
    let on = blocked(db.execute(c, &p("UPDATE t SET v = 100 WHERE id = 1"), &[]));
    assert_eq!(on.holder, b);
    let r = done(db.execute(a, &p("COMMIT"), &[]));
    let woken: Vec<SessionId> = r.woken.iter().map(|w| w.session).collect();
    assert_eq!(woken, vec![b, c]);
    let rb = r.woken[0].result.as_ref().expect("b's UPDATE");
    assert_eq!(rb.tag, "UPDATE 2");
    assert_eq!(rb.rows, vec![vec![int(2)], vec![int(21)]]);
    assert!(r.woken[0].touches.contains(&Touch::WriteRow {
        table: "t".into(),
        key: "(1)".into()
    }));
    assert_eq!(
        committed(&db, "SELECT * FROM t ORDER BY id"),
        vec![vec![int(1), int(100)], vec![int(2), int(21)]]
    );
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn rows_not_reached_yet_are_rechecked_on_their_newest_committed_version() {
    let (mut db, a, b, _) = rows_1_to(4);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 50 WHERE id = 2");
    ok(&mut db, a, "UPDATE t SET v = 0 WHERE id = 3");
    ok(&mut db, a, "DELETE FROM t WHERE id = 4");
    blocked(db.execute(
        b,
        &p("UPDATE t SET v = v + 10 WHERE v >= 1 RETURNING *"),
        &[],
    ));
    // Inserted after b's statement started: not seen by it.
    ok(&mut db, a, "INSERT INTO t VALUES (5, 5)");
    let r = done(db.execute(a, &p("COMMIT"), &[]));
    let rb = r.woken[0].result.as_ref().expect("b's UPDATE");
    assert_eq!(rb.tag, "UPDATE 2");
    assert_eq!(rb.rows, vec![vec![int(1), int(11)], vec![int(2), int(60)]]);
    assert_eq!(
        committed(&db, "SELECT * FROM t ORDER BY id"),
        vec![
            vec![int(1), int(11)],
            vec![int(2), int(60)],
            vec![int(3), int(0)],
            vec![int(5), int(5)]
        ]
    );
}

#[test]
fn multi_row_delete_and_for_update_lock_row_by_row() {
    let (mut db, a, b, c) = rows_1_to(3);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT * FROM t WHERE id = 2 FOR UPDATE");
    ok(&mut db, b, "BEGIN");
    blocked(db.execute(b, &p("DELETE FROM t RETURNING id"), &[]));
    assert_eq!(pending_of(&db, 0), Some((b, None)));
    ok(&mut db, c, "BEGIN");
    let on = blocked(db.execute(c, &p("SELECT * FROM t ORDER BY id DESC FOR UPDATE"), &[]));
    // c locked row 3 first (its output order), then waits for row 2.
    assert_eq!(on.key, "(id)=(2)");
    assert_eq!(on.holder, a);
    assert_eq!(lock_of(&db, 2).map(|l| l.holder), Some(c));
    // b now waits on row 2 and holds row 1; c waits on row 2 and holds row 3: b's turn comes
    // first, then it needs row 3 held by c, which waits for row 2 held by b: a cycle, refused.
    let r = done(db.execute(a, &p("ROLLBACK"), &[]));
    assert_eq!(r.woken.len(), 2);
    assert_eq!(r.woken[0].session, b);
    let e = r.woken[0].result.clone().expect_err("deadlock refused");
    assert!(e.is_not_supported() && e.message.contains("deadlock"));
    assert_eq!(db.session_state(b), SessionState::Aborted);
    // The refusal aborts b's transaction at once: the DELETE's changes are undone and its locks
    // released, so c's SELECT … FOR UPDATE goes on in the same call.
    assert_eq!(pending_of(&db, 0), None);
    assert_eq!(pending_of(&db, 1), None);
    assert_eq!(r.woken[1].session, c);
    let rc = r.woken[1].result.as_ref().expect("c's SELECT");
    assert_eq!(rc.tag, "SELECT 3");
    let r = done(db.execute(b, &p("ROLLBACK"), &[]));
    assert!(r.woken.is_empty());
    ok(&mut db, c, "COMMIT");
    assert_eq!(committed(&db, "SELECT count(*) FROM t"), vec![vec![int(3)]]);
    assert_eq!(db.locks_held(), 0);
}

#[test]
fn an_error_after_a_wait_undoes_the_whole_statement() {
    let (mut db, a, b, c) = rows_1_to(3);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 2147483647 WHERE id = 3");
    blocked(db.execute(b, &p("UPDATE t SET v = v + 1"), &[]));
    blocked(db.execute(c, &p("UPDATE t SET v = 100 WHERE id = 1"), &[]));
    let copy = db.clone();
    assert_eq!(hash_of(&copy), hash_of(&db));
    let r = done(db.execute(a, &p("COMMIT"), &[]));
    let woken: Vec<SessionId> = r.woken.iter().map(|w| w.session).collect();
    assert_eq!(woken, vec![b, c]);
    assert_eq!(
        r.woken[0].result.clone().map_err(|e| e.code),
        Err("22003".to_string())
    );
    assert_eq!(db.session_state(b), SessionState::Idle);
    assert_eq!(
        committed(&db, "SELECT * FROM t ORDER BY id"),
        vec![
            vec![int(1), int(100)],
            vec![int(2), int(2)],
            vec![int(3), int(2147483647)]
        ]
    );
    assert_eq!(db.locks_held(), 0);

    // In a block: the statement's rows are undone and the block is aborted.
    let (mut db, a, b, _) = rows_1_to(3);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 2147483647 WHERE id = 3");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, b, "UPDATE t SET v = 7 WHERE id = 1");
    blocked(db.execute(b, &p("UPDATE t SET v = v + 1"), &[]));
    assert_eq!(pending_of(&db, 0), Some((b, Some(vec![int(1), int(8)]))));
    let r = done(db.execute(a, &p("COMMIT"), &[]));
    assert!(r.woken[0].result.is_err());
    assert_eq!(db.session_state(b), SessionState::Aborted);
    // The error aborted b's whole transaction at once: its earlier UPDATE of row 1 is gone too.
    assert_eq!(pending_of(&db, 0), None);
    assert_eq!(pending_of(&db, 1), None);
    assert_eq!(db.locks_held(), 0);
    ok(&mut db, b, "ROLLBACK");
}
