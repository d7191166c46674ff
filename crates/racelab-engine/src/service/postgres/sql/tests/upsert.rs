//! INSERT … ON CONFLICT: DO NOTHING and DO UPDATE, their waits (for a writer's transaction, or
//! in a row's lock queue), multi-row progress across a wait, isolation levels and errors.

use super::*;

/// `kv(id int primary key, v int not null)` with (1, 10); sessions a, b, c.
fn kv() -> (Db, SessionId, SessionId, SessionId) {
    let mut db = Db::new();
    let setup = db.open_session();
    ok(
        &mut db,
        setup,
        "CREATE TABLE kv (id int PRIMARY KEY, v int NOT NULL)",
    );
    ok(&mut db, setup, "INSERT INTO kv VALUES (1, 10)");
    db.close_session(setup);
    let a = db.open_session();
    let b = db.open_session();
    let c = db.open_session();
    (db, a, b, c)
}

fn tag_and_rows(r: &QueryResult) -> (&str, Vec<Vec<Value>>) {
    (r.tag.as_str(), r.rows.clone())
}

#[test]
fn do_nothing_and_do_update_count_inserted_and_updated_rows() {
    let (mut db, a, _, _) = kv();
    let r = ok(
        &mut db,
        a,
        "INSERT INTO kv VALUES (1, 5), (2, 20) ON CONFLICT DO NOTHING RETURNING *",
    );
    assert_eq!(
        tag_and_rows(&r),
        ("INSERT 0 1", vec![vec![int(2), int(20)]])
    );
    let r = ok(
        &mut db,
        a,
        "INSERT INTO kv AS t VALUES (1, 5), (3, 30) ON CONFLICT (id) \
         DO UPDATE SET v = t.v + EXCLUDED.v RETURNING t.id, t.v",
    );
    assert_eq!(
        tag_and_rows(&r),
        (
            "INSERT 0 2",
            vec![vec![int(1), int(15)], vec![int(3), int(30)]]
        )
    );
    let r = ok(
        &mut db,
        a,
        "INSERT INTO kv VALUES (1, 0) ON CONFLICT ON CONSTRAINT kv_pkey \
         DO UPDATE SET v = 0 WHERE kv.v > 100",
    );
    assert_eq!(r.tag, "INSERT 0 0");
    assert_eq!(
        committed(&db, "SELECT * FROM kv ORDER BY id"),
        vec![
            vec![int(1), int(15)],
            vec![int(2), int(20)],
            vec![int(3), int(30)]
        ]
    );
}

#[test]
fn the_pre_check_waits_for_the_writers_transaction_not_in_the_row_queue() {
    let (mut db, a, b, _) = kv();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "INSERT INTO kv VALUES (2, 20)");
    let upsert =
        p("INSERT INTO kv VALUES (2, 1) ON CONFLICT (id) DO UPDATE SET v = kv.v + 1 RETURNING v");
    let on = blocked(db.execute(b, &upsert, &[]));
    assert_eq!(on.holder, a);
    assert_eq!(db.wait_for_graph(), vec![(b, a)]);
    // b is not in the row's lock queue: it waits for a's transaction.
    assert_eq!(lock_of(&db, 1).map(|l| l.waiters), Some(Vec::new()));
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(commit.woken.len(), 1);
    let r = commit.woken[0].result.clone().unwrap();
    assert_eq!(tag_and_rows(&r), ("INSERT 0 1", vec![vec![int(21)]]));
}

#[test]
fn a_locker_holds_up_do_update_but_not_do_nothing() {
    let (mut db, a, b, _) = kv();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT * FROM kv WHERE id = 1 FOR SHARE");
    let r = ok(
        &mut db,
        b,
        "INSERT INTO kv VALUES (1, 5) ON CONFLICT DO NOTHING",
    );
    assert_eq!(r.tag, "INSERT 0 0");
    let upsert = p("INSERT INTO kv VALUES (1, 5) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v");
    blocked(db.execute(b, &upsert, &[]));
    assert_eq!(lock_of(&db, 0).map(|l| l.waiters), Some(vec![b]));
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    assert_eq!(
        commit.woken[0].result.as_ref().map(|r| r.tag.as_str()),
        Ok("INSERT 0 1")
    );
    assert_eq!(
        committed(&db, "SELECT v FROM kv WHERE id = 1"),
        vec![vec![int(5)]]
    );
}

#[test]
fn a_multi_row_upsert_keeps_the_rows_before_its_wait() {
    let (mut db, a, b, _) = kv();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "INSERT INTO kv VALUES (3, 30)");
    ok(&mut db, b, "BEGIN");
    let upsert = p("INSERT INTO kv VALUES (1, 1), (2, 2), (3, 3), (4, 4) \
                    ON CONFLICT (id) DO UPDATE SET v = kv.v + EXCLUDED.v RETURNING id, v");
    blocked(db.execute(b, &upsert, &[]));
    // Rows 1 (updated) and 2 (inserted) are b's already.
    assert_eq!(pending_of(&db, 0), Some((b, Some(vec![int(1), int(11)]))));
    assert_eq!(pending_of(&db, 1), Some((b, Some(vec![int(2), int(2)]))));
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    let r = commit.woken[0].result.clone().unwrap();
    assert_eq!(
        tag_and_rows(&r),
        (
            "INSERT 0 4",
            vec![
                vec![int(1), int(11)],
                vec![int(2), int(2)],
                vec![int(3), int(33)],
                vec![int(4), int(4)]
            ]
        )
    );
}

#[test]
fn a_failed_wait_undoes_the_rows_done_before_it() {
    let (mut db, a, b, c) = kv();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "INSERT INTO kv VALUES (3, 30)");
    ok(&mut db, b, "SET lock_timeout = '100ms'");
    let upsert = p("INSERT INTO kv VALUES (2, 2), (3, 3) ON CONFLICT DO NOTHING");
    blocked(db.execute(b, &upsert, &[]));
    let woken = db.advance(100);
    assert_eq!(woken.len(), 1);
    assert_eq!(
        woken[0].result.as_ref().map_err(|e| e.code.as_str()),
        Err("55P03")
    );
    // Key 2 is free again: c inserts it at once.
    assert_eq!(
        ok(&mut db, c, "INSERT INTO kv VALUES (2, 200)").tag,
        "INSERT 0 1"
    );
}

#[test]
fn repeatable_read_fails_on_a_row_committed_after_its_snapshot() {
    let (mut db, a, b, _) = kv();
    ok(&mut db, b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, b, "SELECT * FROM kv");
    ok(&mut db, a, "INSERT INTO kv VALUES (2, 20)");
    let r = ok(
        &mut db,
        b,
        "INSERT INTO kv VALUES (1, 0) ON CONFLICT DO NOTHING",
    );
    assert_eq!(r.tag, "INSERT 0 0");
    let e = fails(
        &mut db,
        b,
        "INSERT INTO kv VALUES (2, 0) ON CONFLICT DO NOTHING",
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "40001",
            "could not serialize access due to concurrent update"
        )
    );
}

#[test]
fn repeatable_read_after_a_lock_wait_reports_a_concurrent_delete() {
    let (mut db, a, b, _) = kv();
    ok(&mut db, b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(&mut db, b, "SELECT * FROM kv");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT * FROM kv FOR UPDATE");
    let upsert = p("INSERT INTO kv VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET v = 0");
    blocked(db.execute(b, &upsert, &[]));
    ok(&mut db, a, "DELETE FROM kv WHERE id = 1");
    let commit = done(db.execute(a, &p("COMMIT"), &[]));
    let e = commit.woken[0].result.clone().unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "40001",
            "could not serialize access due to concurrent delete"
        )
    );
}

#[test]
fn do_update_cannot_affect_a_row_twice() {
    let (mut db, a, _, _) = kv();
    let e = fails(
        &mut db,
        a,
        "INSERT INTO kv VALUES (2, 1), (2, 2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v",
    );
    assert_eq!(e.code, "21000");
    assert_eq!(
        e.message,
        "ON CONFLICT DO UPDATE command cannot affect row a second time"
    );
    assert!(e
        .hint()
        .is_some_and(|h| h.starts_with("Ensure that no rows")));
    assert_eq!(
        committed(&db, "SELECT count(*) FROM kv"),
        vec![vec![int(1)]]
    );
    let r = ok(
        &mut db,
        a,
        "INSERT INTO kv VALUES (2, 1), (2, 2) ON CONFLICT DO NOTHING",
    );
    assert_eq!(r.tag, "INSERT 0 1");
}

#[test]
fn an_error_undoes_the_whole_statement() {
    let (mut db, a, _, _) = kv();
    ok(&mut db, a, "BEGIN");
    let e = fails(
        &mut db,
        a,
        "INSERT INTO kv VALUES (1, 1), (2, 2), (3, NULL) ON CONFLICT (id) DO UPDATE SET v = 5",
    );
    assert_eq!(e.code, "23502");
    assert_eq!(pending_of(&db, 0), None);
    assert_eq!(db.locks_held(), 0);
    ok(&mut db, a, "ROLLBACK");
}

#[test]
fn planning_errors_in_postgresqls_order() {
    let (db, _, _, _) = kv();
    let code = |sql: &str| db.check(&p(sql)).map_err(|e| e.code);
    assert_eq!(
        code("INSERT INTO kv VALUES (1, 1) ON CONFLICT DO UPDATE SET v = 1"),
        Err("42601".into())
    );
    assert_eq!(
        code("INSERT INTO kv VALUES (1, 1) ON CONFLICT (v) DO NOTHING"),
        Err("42P10".into())
    );
    // The SET is analysed before the planner finds no matching index.
    assert_eq!(
        code("INSERT INTO kv VALUES (1, 1) ON CONFLICT (v) DO UPDATE SET v = nope"),
        Err("42703".into())
    );
    assert_eq!(
        code("INSERT INTO kv VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = v"),
        Err("42702".into())
    );
    assert_eq!(
        code("INSERT INTO kv VALUES (1, 1) ON CONFLICT ON CONSTRAINT nope DO NOTHING"),
        Err("42704".into())
    );
    assert_eq!(code("INSERT INTO kv VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = 1 RETURNING excluded.v"), Err("42P01".into()));
    assert_eq!(
        code("INSERT INTO kv VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET id = 2"),
        Err(NOT_SUPPORTED.into())
    );
    assert_eq!(code("INSERT INTO kv VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v + kv.v WHERE EXCLUDED.v > 0"), Ok(()));
    let e = prepare("INSERT INTO kv VALUES (1, 1) ON CONFLICT (id) WHERE v > 0 DO NOTHING")
        .unwrap_err();
    assert_eq!(e.code, NOT_SUPPORTED);
}

#[test]
fn parameters_and_footprint() {
    let (db, _, _, _) = kv();
    let stmt =
        p("INSERT INTO kv VALUES ($1, 0) ON CONFLICT (id) DO UPDATE SET v = $2 WHERE kv.v < $3");
    assert_eq!(stmt.param_count(), 3);
    // DO UPDATE may lock the existing row FOR NO KEY UPDATE (strength 2); DO NOTHING only
    // inserts (FOR UPDATE, 3).
    assert!(matches!(
        db.row_locks(&stmt),
        RowLocks::One { strength: 2, .. }
    ));
    let stmt = p("INSERT INTO kv VALUES ($1, 0) ON CONFLICT DO NOTHING");
    assert!(matches!(
        db.row_locks(&stmt),
        RowLocks::One { strength: 3, .. }
    ));
}
