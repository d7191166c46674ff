use super::*;

fn serializable(db: &mut Db, s: SessionId) {
    ok(db, s, "BEGIN ISOLATION LEVEL SERIALIZABLE");
}

const SSI: &str = "could not serialize access due to read/write dependencies among transactions";

#[test]
fn write_skew_fails_the_second_commit() {
    let (mut db, a, b, _) = rows_1_to(2);
    serializable(&mut db, a);
    serializable(&mut db, b);
    // Both read both rows (a sequential scan: the whole table is locked), each updates one.
    ok(&mut db, a, "SELECT count(*) FROM t WHERE v > 0");
    ok(&mut db, b, "SELECT count(*) FROM t WHERE v > 0");
    ok(&mut db, a, "UPDATE t SET v = 0 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 0 WHERE id = 2");
    ok(&mut db, a, "COMMIT");
    let e = fails(&mut db, b, "COMMIT");
    assert_eq!((e.code.as_str(), e.message.as_str()), ("40001", SSI));
    assert_eq!(e.hint(), Some("The transaction might succeed if retried."));
    // A failed COMMIT rolls back: the session is idle, b's write is gone.
    assert_eq!(db.session_state(b), SessionState::Idle);
    assert_eq!(
        committed(&db, "SELECT v FROM t ORDER BY id"),
        vec![vec![int(0)], vec![int(2)]]
    );
}

#[test]
fn the_same_skew_at_repeatable_read_commits_both() {
    let (mut db, a, b, _) = rows_1_to(2);
    for s in [a, b] {
        ok(&mut db, s, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        ok(&mut db, s, "SELECT count(*) FROM t WHERE v > 0");
    }
    ok(&mut db, a, "UPDATE t SET v = 0 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 0 WHERE id = 2");
    ok(&mut db, a, "COMMIT");
    ok(&mut db, b, "COMMIT");
    assert_eq!(
        committed(&db, "SELECT v FROM t ORDER BY id"),
        vec![vec![int(0)], vec![int(0)]]
    );
}

#[test]
fn reads_by_primary_key_lock_rows_so_disjoint_work_commits() {
    let (mut db, a, b, _) = rows_1_to(2);
    serializable(&mut db, a);
    serializable(&mut db, b);
    ok(&mut db, a, "SELECT v FROM t WHERE id = 1");
    ok(&mut db, b, "SELECT v FROM t WHERE id = 2");
    ok(&mut db, a, "UPDATE t SET v = 10 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 20 WHERE id = 2");
    ok(&mut db, a, "COMMIT");
    ok(&mut db, b, "COMMIT");
}

#[test]
fn a_serializable_transaction_with_a_read_committed_one_is_not_protected() {
    let (mut db, a, b, _) = rows_1_to(2);
    serializable(&mut db, a);
    ok(&mut db, b, "BEGIN");
    ok(&mut db, a, "SELECT count(*) FROM t WHERE v > 0");
    ok(&mut db, b, "SELECT count(*) FROM t WHERE v > 0");
    ok(&mut db, a, "UPDATE t SET v = 0 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 0 WHERE id = 2");
    ok(&mut db, a, "COMMIT");
    ok(&mut db, b, "COMMIT");
}

#[test]
fn a_rollback_removes_its_dependencies() {
    let (mut db, a, b, _) = rows_1_to(2);
    serializable(&mut db, a);
    serializable(&mut db, b);
    ok(&mut db, a, "SELECT count(*) FROM t WHERE v > 0");
    ok(&mut db, b, "SELECT count(*) FROM t WHERE v > 0");
    ok(&mut db, a, "UPDATE t SET v = 0 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 0 WHERE id = 2");
    ok(&mut db, a, "ROLLBACK");
    ok(&mut db, b, "COMMIT");
}

#[test]
fn bookkeeping_is_forgotten_when_nobody_overlaps_and_numbering_is_canonical() {
    let run = |extra: bool| {
        let (mut db, a, b, _) = rows_1_to(2);
        if extra {
            // A serializable transaction that came and went before changes nothing.
            serializable(&mut db, b);
            ok(&mut db, b, "SELECT v FROM t WHERE id = 2");
            ok(&mut db, b, "COMMIT");
        }
        serializable(&mut db, a);
        ok(&mut db, a, "SELECT count(*) FROM t WHERE v > 0");
        db
    };
    assert_eq!(run(false), run(true));
    assert_eq!(hash_of(&run(false)), hash_of(&run(true)));
    let mut db = run(false);
    ok(&mut db, 1, "COMMIT");
    assert_eq!(
        db,
        rows_1_to(2).0,
        "no bookkeeping is left once all are done"
    );
}
