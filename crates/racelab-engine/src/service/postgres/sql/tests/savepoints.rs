//! Savepoints (subtransactions): ROLLBACK TO undoes writes and releases or weakens row locks,
//! an error inside a savepoint aborts only the subtransaction, RELEASE merges, and the errors
//! PostgreSQL gives outside a block and for unknown names.

use super::*;

#[test]
fn rollback_to_undoes_writes_after_the_savepoint_and_keeps_earlier_ones() {
    let (mut db, a, _, _) = rows_1_to(2);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 10 WHERE id = 1");
    assert_eq!(ok(&mut db, a, "SAVEPOINT s").tag, "SAVEPOINT");
    ok(&mut db, a, "UPDATE t SET v = 11 WHERE id = 1");
    ok(&mut db, a, "DELETE FROM t WHERE id = 2");
    ok(&mut db, a, "INSERT INTO t VALUES (3, 3)");
    assert_eq!(ok(&mut db, a, "ROLLBACK TO SAVEPOINT s").tag, "ROLLBACK");
    assert_eq!(
        ok(&mut db, a, "SELECT * FROM t ORDER BY id").rows,
        vec![vec![int(1), int(10)], vec![int(2), int(2)]]
    );
    // Row 2 (locked only inside the savepoint) is free again; the new row 3 is gone.
    assert_eq!(lock_of(&db, 1), None);
    assert_eq!(db.tables()[0].rows.len(), 2);
    assert_eq!(db.session_state(a), SessionState::InTransaction);
    ok(&mut db, a, "COMMIT");
    assert_eq!(
        committed(&db, "SELECT * FROM t ORDER BY id"),
        vec![vec![int(1), int(10)], vec![int(2), int(2)]]
    );
}

#[test]
fn rollback_to_wakes_a_waiter_at_once() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SAVEPOINT s");
    ok(&mut db, a, "SELECT * FROM t WHERE id = 1 FOR UPDATE");
    blocked(db.execute(b, &p("UPDATE t SET v = 5 WHERE id = 1"), &[]));
    let r = done(db.execute(a, &p("ROLLBACK TO s"), &[]));
    assert_eq!(r.woken.len(), 1);
    assert_eq!(r.woken[0].session, b);
    assert_eq!(
        r.woken[0].result.as_ref().map(|x| x.tag.as_str()),
        Ok("UPDATE 1")
    );
    assert_eq!(committed(&db, "SELECT v FROM t"), vec![vec![int(5)]]);
}

#[test]
fn rollback_to_brings_an_upgraded_lock_back_to_its_earlier_strength() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT * FROM t WHERE id = 1 FOR SHARE");
    ok(&mut db, a, "SAVEPOINT s");
    ok(&mut db, a, "UPDATE t SET v = 9 WHERE id = 1");
    ok(&mut db, a, "ROLLBACK TO s");
    ok(&mut db, b, "SELECT * FROM t WHERE id = 1 FOR SHARE NOWAIT");
    let e = fails(&mut db, b, "SELECT * FROM t WHERE id = 1 FOR UPDATE NOWAIT");
    assert_eq!(e.code, "55P03");
    assert_eq!(pending_of(&db, 0), None);
}

#[test]
fn an_error_inside_a_savepoint_aborts_only_the_subtransaction() {
    let (mut db, a, b, _) = rows_1_to(2);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 10 WHERE id = 1");
    ok(&mut db, a, "SAVEPOINT s");
    ok(&mut db, a, "UPDATE t SET v = 20 WHERE id = 2");
    fails(&mut db, a, "SELECT 1 / 0");
    assert_eq!(db.session_state(a), SessionState::Aborted);
    // Row 2's lock went with the subtransaction, row 1's stays.
    ok(&mut db, b, "SELECT * FROM t WHERE id = 2 FOR UPDATE NOWAIT");
    let e = fails(&mut db, b, "SELECT * FROM t WHERE id = 1 FOR UPDATE NOWAIT");
    assert_eq!(e.code, "55P03");
    assert_eq!(fails(&mut db, a, "SAVEPOINT s2").code, "25P02");
    assert_eq!(fails(&mut db, a, "RELEASE s").code, "25P02");
    ok(&mut db, a, "ROLLBACK TO s");
    assert_eq!(db.session_state(a), SessionState::InTransaction);
    ok(&mut db, a, "COMMIT");
    assert_eq!(
        committed(&db, "SELECT * FROM t ORDER BY id"),
        vec![vec![int(1), int(10)], vec![int(2), int(2)]]
    );
}

#[test]
fn savepoint_errors_as_postgres_words_them() {
    let (mut db, a, _, _) = rows_1_to(1);
    for (sql, command) in [
        ("SAVEPOINT s", "SAVEPOINT"),
        ("ROLLBACK TO SAVEPOINT s", "ROLLBACK TO SAVEPOINT"),
        ("RELEASE SAVEPOINT s", "RELEASE SAVEPOINT"),
    ] {
        let e = fails(&mut db, a, sql);
        assert_eq!(e.code, "25P01");
        assert_eq!(
            e.message,
            format!("{command} can only be used in transaction blocks")
        );
        assert_eq!(db.session_state(a), SessionState::Idle);
    }
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "INSERT INTO t VALUES (2, 2)");
    let e = fails(&mut db, a, "ROLLBACK TO \"S\"");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("3B001", "savepoint \"S\" does not exist")
    );
    // No savepoint: the whole block aborted, its insert is gone.
    assert_eq!(db.tables()[0].rows.len(), 1);
    assert_eq!(ok(&mut db, a, "COMMIT").tag, "ROLLBACK");
}

#[test]
fn the_newest_savepoint_of_a_name_wins_and_release_merges() {
    let (mut db, a, _, _) = rows_1_to(0);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SAVEPOINT s");
    ok(&mut db, a, "INSERT INTO t VALUES (1, 1)");
    ok(&mut db, a, "SAVEPOINT s");
    ok(&mut db, a, "INSERT INTO t VALUES (2, 2)");
    assert_eq!(ok(&mut db, a, "RELEASE SAVEPOINT s").tag, "RELEASE");
    assert_eq!(ok(&mut db, a, "SELECT id FROM t").rows.len(), 2);
    ok(&mut db, a, "ROLLBACK TO s");
    assert_eq!(ok(&mut db, a, "SELECT id FROM t").rows.len(), 0);
    assert_eq!(db.tables()[0].rows.len(), 0);
}

#[test]
fn repeatable_read_keeps_its_snapshot_across_rollback_to() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT v FROM t");
    ok(&mut db, a, "SAVEPOINT s");
    ok(&mut db, b, "UPDATE t SET v = 7 WHERE id = 1");
    let e = fails(&mut db, a, "UPDATE t SET v = 8 WHERE id = 1");
    assert_eq!(e.code, "40001");
    ok(&mut db, a, "ROLLBACK TO s");
    assert_eq!(ok(&mut db, a, "SELECT v FROM t").rows, vec![vec![int(1)]]);
}

#[test]
fn set_transaction_inside_a_savepoint() {
    let (mut db, a, _, _) = rows_1_to(0);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SAVEPOINT s");
    let e = fails(&mut db, a, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    assert_eq!(
        e.message,
        "SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction"
    );
    ok(&mut db, a, "ROLLBACK TO s");
    ok(&mut db, a, "SET TRANSACTION READ ONLY");
    ok(&mut db, a, "SET lock_timeout = '2s'");
    ok(&mut db, a, "ROLLBACK TO s");
    assert_eq!(
        ok(&mut db, a, "SHOW transaction_read_only").rows,
        vec![vec![text("off")]]
    );
    assert_eq!(
        ok(&mut db, a, "SHOW lock_timeout").rows,
        vec![vec![text("0")]]
    );
}

#[test]
fn a_rolled_back_savepoint_leaves_the_server_as_the_savepoint_found_it() {
    let (mut db, a, _, _) = rows_1_to(2);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 10 WHERE id = 1");
    ok(&mut db, a, "SAVEPOINT s");
    let before = db.clone();
    ok(&mut db, a, "UPDATE t SET v = 11 WHERE id = 1");
    ok(&mut db, a, "SELECT * FROM t WHERE id = 2 FOR UPDATE");
    ok(&mut db, a, "INSERT INTO t VALUES (3, 3)");
    ok(&mut db, a, "ROLLBACK TO s");
    assert_eq!(db, before);
    assert_eq!(hash_of(&db), hash_of(&before));
}
