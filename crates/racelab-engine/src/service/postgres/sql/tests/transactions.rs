//! Visibility, transaction blocks, aborted transactions, warnings, and the value semantics of `Db`.

use super::*;

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
    // AND CHAIN outside a block is an error, not the warning; inside, a block follows.
    assert_eq!(fails(&mut db, a, "COMMIT AND CHAIN").code, "25P01");
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_eq!(ok(&mut db, a, "ROLLBACK AND CHAIN").tag, "ROLLBACK");
    assert_eq!(db.session_state(a), SessionState::InTransaction);
    assert_eq!(
        db.isolation_of(a),
        Some(crate::sql::Isolation::RepeatableRead)
    );
    ok(&mut db, a, "ROLLBACK");
    assert_eq!(
        ok(
            &mut db,
            a,
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ"
        )
        .tag,
        "START TRANSACTION"
    );
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
fn a_read_only_block_refuses_writes_and_row_locks_with_25006() {
    let (mut db, a, _) = bank();
    ok(&mut db, a, "BEGIN READ ONLY");
    assert_eq!(
        ok(&mut db, a, "SELECT balance FROM accounts WHERE id = 1").rows,
        vec![vec![int(500)]]
    );
    let e = fails(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("25006", "cannot execute UPDATE in a read-only transaction")
    );
    ok(&mut db, a, "ROLLBACK");
    ok(&mut db, a, "START TRANSACTION READ ONLY");
    let e = fails(&mut db, a, "SELECT * FROM accounts FOR NO KEY UPDATE");
    assert_eq!(
        e.message,
        "cannot execute SELECT FOR NO KEY UPDATE in a read-only transaction"
    );
    ok(&mut db, a, "ROLLBACK");
    // The next block is read-write again.
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut db, a, "COMMIT");
}

#[test]
fn an_idle_session_is_terminated_in_virtual_time() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "SET idle_in_transaction_session_timeout = '1s'");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    assert_eq!(db.next_deadline(), Some(1000));
    let woken = db.advance(1000);
    // a's transaction rolled back and its lock went: b's UPDATE ran.
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0].session, b);
    assert_eq!(db.session_state(a), SessionState::Terminated);
    let e = fails(&mut db, a, "SELECT 1");
    assert_eq!((e.code.as_str(), e.severity), ("25P03", "FATAL"));
    assert_eq!(fails(&mut db, a, "SELECT 1").code, "08003");
    // Outside a block, idle_session_timeout applies instead (not set: no deadline).
    assert_eq!(db.next_deadline(), None);
}
