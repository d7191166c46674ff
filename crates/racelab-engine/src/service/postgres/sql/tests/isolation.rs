use super::*;

fn show(db: &mut Db, s: SessionId, name: &str) -> String {
    match &ok(db, s, &format!("SHOW {name}")).rows[0][0] {
        Value::Text(t) => t.clone(),
        other => panic!("SHOW {name} gave {other:?}"),
    }
}

#[test]
fn repeatable_read_takes_its_snapshot_at_the_first_statement_not_at_begin() {
    let (mut db, a, b, _) = rows_1_to(2);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, b, "UPDATE t SET v = 10 WHERE id = 1");
    // The snapshot is taken now: b's commit is in it.
    let first = ok(&mut db, a, "SELECT v FROM t ORDER BY id").rows;
    assert_eq!(first, vec![vec![int(10)], vec![int(2)]]);
    ok(&mut db, b, "UPDATE t SET v = 20 WHERE id = 1");
    ok(&mut db, b, "INSERT INTO t VALUES (3, 3)");
    ok(&mut db, b, "DELETE FROM t WHERE id = 2");
    // Later commits are not.
    assert_eq!(ok(&mut db, a, "SELECT v FROM t ORDER BY id").rows, first);
    ok(&mut db, a, "COMMIT");
    assert_eq!(
        ok(&mut db, a, "SELECT id, v FROM t ORDER BY id").rows,
        vec![vec![int(1), int(20)], vec![int(3), int(3)]]
    );
}

#[test]
fn read_committed_sees_each_statements_newest_commits() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN");
    assert_eq!(ok(&mut db, a, "SELECT v FROM t").rows, vec![vec![int(1)]]);
    ok(&mut db, b, "UPDATE t SET v = 10 WHERE id = 1");
    assert_eq!(ok(&mut db, a, "SELECT v FROM t").rows, vec![vec![int(10)]]);
}

#[test]
fn repeatable_read_fails_to_write_or_lock_a_row_changed_since_its_snapshot() {
    let cases = [
        (
            "UPDATE t SET v = 0 WHERE id = 1",
            "UPDATE t SET v = 5 WHERE id = 1",
            "update",
        ),
        (
            "DELETE FROM t WHERE id = 1",
            "UPDATE t SET v = 5 WHERE id = 1",
            "delete",
        ),
        (
            "UPDATE t SET v = 0 WHERE id = 1",
            "DELETE FROM t WHERE id = 1",
            "update",
        ),
        (
            "DELETE FROM t WHERE id = 1",
            "DELETE FROM t WHERE id = 1",
            "delete",
        ),
        (
            "UPDATE t SET v = 0 WHERE id = 1",
            "SELECT v FROM t WHERE id = 1 FOR SHARE",
            "update",
        ),
        // A locking SELECT words a deletion as an update too (PostgreSQL 15's nodeLockRows).
        (
            "DELETE FROM t WHERE id = 1",
            "SELECT v FROM t WHERE id = 1 FOR UPDATE",
            "update",
        ),
    ];
    for (other, mine, word) in cases {
        let (mut db, a, b, _) = rows_1_to(2);
        ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        ok(&mut db, a, "SELECT 1");
        ok(&mut db, b, other);
        let e = fails(&mut db, a, mine);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "40001",
                format!("could not serialize access due to concurrent {word}").as_str()
            ),
            "{other} then {mine}"
        );
        assert_eq!(db.session_state(a), SessionState::Aborted);
    }
}

#[test]
fn repeatable_read_is_not_disturbed_by_a_lock_only_or_a_rolled_back_change() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT 1");
    ok(&mut db, b, "SELECT v FROM t WHERE id = 1 FOR UPDATE");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, b, "UPDATE t SET v = 7 WHERE id = 1");
    ok(&mut db, b, "ROLLBACK");
    assert_eq!(
        ok(&mut db, a, "UPDATE t SET v = v + 1 WHERE id = 1").tag,
        "UPDATE 1"
    );
    ok(&mut db, a, "COMMIT");
    assert_eq!(committed(&db, "SELECT v FROM t"), vec![vec![int(2)]]);
}

#[test]
fn repeatable_read_waits_then_fails_when_the_holder_commits_a_change() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT v FROM t");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, b, "UPDATE t SET v = v - 1 WHERE id = 1");
    blocked(db.execute(a, &p("UPDATE t SET v = v - 1 WHERE id = 1"), &[]));
    let d = done(db.execute(b, &p("COMMIT"), &[]));
    let e = d.woken[0].result.clone().unwrap_err();
    assert_eq!(e.code, "40001");
    assert_eq!(db.session_state(a), SessionState::Aborted);
    assert_eq!(committed(&db, "SELECT v FROM t"), vec![vec![int(0)]]);
}

#[test]
fn repeatable_read_waits_then_goes_on_when_the_holder_rolls_back() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT v FROM t");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, b, "UPDATE t SET v = v - 1 WHERE id = 1");
    blocked(db.execute(a, &p("UPDATE t SET v = v - 1 WHERE id = 1"), &[]));
    let d = done(db.execute(b, &p("ROLLBACK"), &[]));
    assert_eq!(d.woken[0].result.clone().unwrap().tag, "UPDATE 1");
}

#[test]
fn key_share_passes_a_committed_update_and_returns_the_snapshots_version() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT 1");
    ok(&mut db, b, "UPDATE t SET v = 11 WHERE id = 1");
    let r = ok(&mut db, a, "SELECT v FROM t WHERE id = 1 FOR KEY SHARE");
    assert_eq!(r.rows, vec![vec![int(1)]]);
}

#[test]
fn a_repeatable_read_insert_of_a_key_its_snapshot_does_not_show_is_a_duplicate() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT 1");
    ok(&mut db, b, "INSERT INTO t VALUES (2, 2)");
    assert_eq!(
        ok(&mut db, a, "SELECT count(*) FROM t").rows,
        vec![vec![int(1)]]
    );
    assert_eq!(
        fails(&mut db, a, "INSERT INTO t VALUES (2, 9)").code,
        "23505"
    );
}

#[test]
fn old_versions_are_kept_only_while_a_snapshot_needs_them() {
    let (mut db, a, b, _) = rows_1_to(1);
    ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, a, "SELECT 1");
    ok(&mut db, b, "UPDATE t SET v = 2 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 3 WHERE id = 1");
    ok(&mut db, b, "DELETE FROM t WHERE id = 1");
    // a's snapshot sees (1, 1): that version and the newest (the deletion) are kept; the two
    // updates in between are seen by no snapshot.
    assert_eq!(db.tables()[0].rows.len(), 1);
    assert_eq!(
        db.slot_versions(0, 0),
        vec![Some(vec![int(1), int(1)]), None]
    );
    ok(&mut db, a, "COMMIT");
    assert!(db.tables()[0].rows.is_empty());
}

#[test]
fn servers_that_differ_only_in_their_history_are_equal() {
    // One update vs three updates ending in the same value, with a snapshot open in both.
    let run = |updates: &[i64]| {
        let (mut db, a, b, _) = rows_1_to(2);
        ok(&mut db, a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        ok(&mut db, b, "UPDATE t SET v = 7 WHERE id = 2");
        ok(&mut db, a, "SELECT 1");
        for v in updates {
            ok(&mut db, b, &format!("UPDATE t SET v = {v} WHERE id = 1"));
        }
        db
    };
    let one = run(&[5]);
    let three = run(&[3, 4, 5]);
    assert_eq!(one, three);
    assert_eq!(hash_of(&one), hash_of(&three));
    assert_ne!(one, run(&[6]));
}

#[test]
fn set_transaction_rules() {
    let (mut db, a, _, _) = rows_1_to(1);
    let r = ok(
        &mut db,
        a,
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    );
    assert_eq!(
        (
            r.tag.as_str(),
            r.notices[0].code.as_str(),
            r.notices[0].message.as_str()
        ),
        (
            "SET",
            "25P01",
            "SET TRANSACTION can only be used in transaction blocks"
        )
    );
    assert_eq!(show(&mut db, a, "transaction_isolation"), "read committed");
    ok(&mut db, a, "BEGIN");
    ok(
        &mut db,
        a,
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    );
    assert_eq!(show(&mut db, a, "transaction_isolation"), "repeatable read");
    ok(&mut db, a, "SELECT 1");
    // The same level again is fine; another one is not, once a query ran.
    ok(
        &mut db,
        a,
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    );
    let e = fails(&mut db, a, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "25001",
            "SET TRANSACTION ISOLATION LEVEL must be called before any query"
        )
    );
    ok(&mut db, a, "ROLLBACK");
    ok(&mut db, a, "BEGIN READ ONLY");
    ok(&mut db, a, "SELECT 1");
    let e = fails(&mut db, a, "SET TRANSACTION READ WRITE");
    assert_eq!(
        e.message,
        "transaction read-write mode must be set before any query"
    );
    ok(&mut db, a, "ROLLBACK");
}

#[test]
fn session_defaults_and_their_rollback() {
    let (mut db, a, _, _) = rows_1_to(1);
    ok(
        &mut db,
        a,
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ",
    );
    assert_eq!(show(&mut db, a, "transaction_isolation"), "repeatable read");
    assert_eq!(
        show(&mut db, a, "default_transaction_isolation"),
        "repeatable read"
    );
    ok(&mut db, a, "BEGIN ISOLATION LEVEL READ UNCOMMITTED");
    assert_eq!(
        show(&mut db, a, "transaction_isolation"),
        "read uncommitted"
    );
    ok(
        &mut db,
        a,
        "SET default_transaction_isolation = 'read committed'",
    );
    // The open block keeps its level; the rollback brings the old default back.
    assert_eq!(
        show(&mut db, a, "transaction_isolation"),
        "read uncommitted"
    );
    ok(&mut db, a, "ROLLBACK");
    assert_eq!(
        show(&mut db, a, "default_transaction_isolation"),
        "repeatable read"
    );
    ok(&mut db, a, "BEGIN");
    ok(
        &mut db,
        a,
        "SET default_transaction_isolation TO 'read committed'",
    );
    ok(&mut db, a, "COMMIT");
    assert_eq!(show(&mut db, a, "transaction_isolation"), "read committed");
    let e = prepare("SET default_transaction_isolation = 'sometimes'").unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "22023",
            "invalid value for parameter \"default_transaction_isolation\": \"sometimes\""
        )
    );
}
