//! Row-by-row UPDATE, DELETE and SELECT … FOR UPDATE: rows kept while waiting, re-checks on
//! the newest committed version, undo on error.

use super::*;

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
    // a's rollback frees row 2: b (first in the queue) locks it and waits for row 3, which c
    // holds; c then waits for row 2, which b holds: a cycle. Both began these waits at the
    // same time, b first, so b's deadlock check comes first: b is the victim.
    let r = done(db.execute(a, &p("ROLLBACK"), &[]));
    assert!(r.woken.is_empty());
    assert_eq!(db.wait_for_graph(), vec![(b, c), (c, b)]);
    let woken = db.advance(1000);
    assert_eq!(woken[0].session, b);
    assert_eq!(woken[0].result.clone().unwrap_err().code, "40P01");
    assert_eq!(db.session_state(b), SessionState::Aborted);
    // The abort undoes the DELETE's changes and releases its locks, so c's SELECT … FOR
    // UPDATE goes on in the same call.
    assert_eq!(pending_of(&db, 0), None);
    assert_eq!(pending_of(&db, 1), None);
    assert_eq!(woken[1].session, c);
    let rc = woken[1].result.as_ref().expect("c's SELECT");
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
    // Heap order: b's own update moved row 1 to the end, so the scan meets rows 2, 3, 1 and
    // waits at row 3 with row 2 done.
    blocked(db.execute(b, &p("UPDATE t SET v = v + 1"), &[]));
    assert_eq!(pending_of(&db, 0), Some((b, Some(vec![int(1), int(7)]))));
    assert_eq!(pending_of(&db, 1), Some((b, Some(vec![int(2), int(3)]))));
    let r = done(db.execute(a, &p("COMMIT"), &[]));
    assert!(r.woken[0].result.is_err());
    assert_eq!(db.session_state(b), SessionState::Aborted);
    // The error aborted b's whole transaction at once: its earlier UPDATE of row 1 is gone too.
    assert_eq!(pending_of(&db, 0), None);
    assert_eq!(pending_of(&db, 1), None);
    assert_eq!(db.locks_held(), 0);
    ok(&mut db, b, "ROLLBACK");
}

#[test]
fn scans_return_heap_order_and_refuse_what_the_planner_decides() {
    let (mut db, a, _, _) = rows_1_to(3);
    let ids = |db: &mut Db, sql: &str| -> Vec<Value> {
        ok(db, a, sql)
            .rows
            .into_iter()
            .map(|r| r[0].clone())
            .collect()
    };
    ok(&mut db, a, "UPDATE t SET v = 10 WHERE id = 1");
    // A sequential scan meets the new tuple last; a bitmap index scan goes by the row's first
    // tuple; an index scan by key.
    assert_eq!(
        ids(&mut db, "SELECT * FROM t"),
        vec![int(2), int(3), int(1)]
    );
    assert_eq!(
        ids(&mut db, "SELECT * FROM t WHERE id > 0"),
        vec![int(1), int(2), int(3)]
    );
    ok(&mut db, a, "DELETE FROM t WHERE id = 2");
    ok(&mut db, a, "INSERT INTO t VALUES (2, 2)");
    assert_eq!(
        ids(&mut db, "SELECT * FROM t WHERE id > 0"),
        vec![int(1), int(3), int(2)]
    );
    assert_eq!(
        ids(&mut db, "SELECT * FROM t ORDER BY id"),
        vec![int(1), int(2), int(3)]
    );
    // Equal worlds reached by other histories still hash equal after renumbering.
    let before = hash_of(&db);
    ok(&mut db, a, "SELECT 1");
    assert_eq!(hash_of(&db), before);
    assert_eq!(
        fails(&mut db, a, "SELECT * FROM t WHERE id > 1 LIMIT 1").code,
        "0A000"
    );
    assert_eq!(
        fails(&mut db, a, "SELECT v, count(*) FROM t GROUP BY v").code,
        "0A000"
    );
    assert_eq!(ids(&mut db, "SELECT * FROM t LIMIT 1"), vec![int(3)]);
}
