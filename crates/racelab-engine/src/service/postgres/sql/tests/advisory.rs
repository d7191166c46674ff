//! Advisory locks: results as PostgreSQL prints them, counted holds, session and transaction
//! level, queueing, waking, deadlocks, crashes, the view and the footprint.

use super::*;

fn cell(r: &QueryResult) -> Value {
    r.rows[0][0].clone()
}

#[test]
fn lock_returns_void_and_try_lock_a_boolean() {
    let (mut db, a, b, _) = rows_1_to(0);
    let r = ok(&mut db, a, "SELECT pg_advisory_lock(42)");
    assert_eq!(r.tag, "SELECT 1");
    assert_eq!(r.columns, vec!["pg_advisory_lock".to_string()]);
    assert_eq!(cell(&r), text(""));
    let r = ok(&mut db, b, "SELECT pg_try_advisory_lock(42) AS got");
    assert_eq!(
        (r.columns[0].as_str(), cell(&r)),
        ("got", Value::Bool(false))
    );
    assert_eq!(
        cell(&ok(&mut db, a, "SELECT pg_advisory_unlock(42)")),
        Value::Bool(true)
    );
    assert_eq!(
        cell(&ok(&mut db, b, "SELECT pg_try_advisory_lock(42)")),
        Value::Bool(true)
    );
    // Two int4 keys are another key space than one bigint.
    assert_eq!(
        cell(&ok(&mut db, a, "SELECT pg_try_advisory_lock(0, 42)")),
        Value::Bool(true)
    );
}

#[test]
fn unlocking_a_lock_not_held_warns_and_answers_false() {
    let (mut db, a, _, _) = rows_1_to(0);
    let r = ok(&mut db, a, "SELECT pg_advisory_unlock_shared(7)");
    assert_eq!(cell(&r), Value::Bool(false));
    assert_eq!(r.notices[0].code, "01000");
    assert_eq!(
        r.notices[0].message,
        "you don't own a lock of type ShareLock"
    );
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT pg_advisory_xact_lock(7)");
    // A transaction-level hold cannot be unlocked.
    let r = ok(&mut db, a, "SELECT pg_advisory_unlock(7)");
    assert_eq!(
        r.notices[0].message,
        "you don't own a lock of type ExclusiveLock"
    );
}

#[test]
fn holds_are_counted_and_an_unlock_wakes_the_waiter() {
    let (mut db, a, b, _) = rows_1_to(0);
    ok(&mut db, a, "SELECT pg_advisory_lock(5)");
    ok(&mut db, a, "SELECT pg_advisory_lock(5)");
    let on = blocked(db.execute(b, &p("SELECT pg_advisory_lock(5)"), &[]));
    assert_eq!(
        (on.table.as_str(), on.key.as_str(), on.holder),
        ("pg_advisory_lock", "5", a)
    );
    assert!(db.wait_for_graph().contains(&(b, a)));
    assert!(done(db.execute(a, &p("SELECT pg_advisory_unlock(5)"), &[]))
        .woken
        .is_empty());
    let r = done(db.execute(a, &p("SELECT pg_advisory_unlock(5)"), &[]));
    assert_eq!(r.woken.len(), 1);
    assert_eq!(r.woken[0].result.as_ref().map(cell), Ok(text("")));
    let view = db.advisory_locks();
    assert_eq!(view.len(), 1);
    assert_eq!(
        view[0].holders,
        vec![AdvisoryHold {
            session: b,
            shared: false,
            session_level: 1,
            xact_level: 0
        }]
    );
    assert_eq!(db.locks_held(), 1);
}

#[test]
fn a_shared_request_queues_behind_a_waiting_exclusive_one() {
    let (mut db, a, b, c) = rows_1_to(0);
    ok(&mut db, a, "SELECT pg_advisory_lock_shared(8)");
    blocked(db.execute(b, &p("SELECT pg_advisory_lock(8)"), &[]));
    let on = blocked(db.execute(c, &p("SELECT pg_advisory_lock_shared(8)"), &[]));
    assert_eq!(on.holder, b);
    let r = done(db.execute(a, &p("SELECT pg_advisory_unlock_shared(8)"), &[]));
    assert_eq!(
        r.woken.iter().map(|w| w.session).collect::<Vec<_>>(),
        vec![b]
    );
    let r = done(db.execute(b, &p("SELECT pg_advisory_unlock(8)"), &[]));
    assert_eq!(
        r.woken.iter().map(|w| w.session).collect::<Vec<_>>(),
        vec![c]
    );
}

#[test]
fn transaction_level_locks_end_with_the_transaction_and_session_ones_do_not() {
    let (mut db, a, b, _) = rows_1_to(0);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT pg_advisory_xact_lock(1)");
    ok(&mut db, a, "SELECT pg_advisory_lock(2)");
    fails(&mut db, a, "SELECT 1 / 0");
    // The error released the transaction-level lock at once; the session-level one stays.
    assert_eq!(
        cell(&ok(&mut db, b, "SELECT pg_try_advisory_lock(1)")),
        Value::Bool(true)
    );
    assert_eq!(
        cell(&ok(&mut db, b, "SELECT pg_try_advisory_lock(2)")),
        Value::Bool(false)
    );
    ok(&mut db, a, "ROLLBACK");
    assert_eq!(
        cell(&ok(&mut db, b, "SELECT pg_try_advisory_lock(2)")),
        Value::Bool(false)
    );
    // In autocommit a transaction-level lock lasts for its statement only.
    assert_eq!(
        cell(&ok(&mut db, a, "SELECT pg_try_advisory_xact_lock(3)")),
        Value::Bool(true)
    );
    assert_eq!(
        cell(&ok(&mut db, b, "SELECT pg_try_advisory_lock(3)")),
        Value::Bool(true)
    );
}

#[test]
fn a_deadlock_on_advisory_locks_fails_the_first_waiter_and_keeps_its_session_locks() {
    let (mut db, a, b, _) = rows_1_to(0);
    ok(&mut db, a, "SELECT pg_advisory_lock(1)");
    ok(&mut db, b, "SELECT pg_advisory_lock(2)");
    blocked(db.execute(a, &p("SELECT pg_advisory_lock(2)"), &[]));
    db.advance(10);
    blocked(db.execute(b, &p("SELECT pg_advisory_lock(1)"), &[]));
    let woken = db.advance(1500);
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0].session, a);
    assert_eq!(
        woken[0].result.as_ref().map_err(|e| e.code.as_str()),
        Err("40P01")
    );
    assert_eq!(db.session_state(b), SessionState::Waiting);
    let r = done(db.execute(a, &p("SELECT pg_advisory_unlock(1)"), &[]));
    assert_eq!(r.woken[0].session, b);
}

#[test]
fn two_shared_holders_upgrading_fail_the_second_at_once() {
    let (mut db, a, b, _) = rows_1_to(0);
    ok(&mut db, a, "SELECT pg_advisory_lock_shared(1)");
    ok(&mut db, b, "SELECT pg_advisory_lock_shared(1)");
    blocked(db.execute(a, &p("SELECT pg_advisory_lock(1)"), &[]));
    assert_eq!(
        fails(&mut db, b, "SELECT pg_advisory_lock(1)").code,
        "40P01"
    );
}

#[test]
fn a_crash_releases_the_session_locks() {
    let (mut db, a, b, _) = rows_1_to(0);
    ok(&mut db, a, "SELECT pg_advisory_lock(77)");
    blocked(db.execute(b, &p("SELECT pg_advisory_lock(77)"), &[]));
    let r = db.close_session(a);
    assert_eq!(r.woken.len(), 1);
    assert_eq!(r.woken[0].session, b);
}

#[test]
fn advisory_calls_are_locks_in_the_footprint() {
    let (db, _, _, _) = rows_1_to(0);
    assert_eq!(
        db.row_locks(&p("SELECT pg_advisory_lock_shared($1)")),
        RowLocks::Advisory {
            key: vec![KeyPart::Param(1)],
            shared: true,
            session: true
        }
    );
    assert_eq!(
        db.row_locks(&p("SELECT pg_advisory_unlock(1)")),
        RowLocks::None
    );
    assert!(prepare("SELECT pg_advisory_lock(1) FROM t").is_err());
    assert_eq!(
        prepare("SELECT pg_advisory_lock(NULL)")
            .map(|_| ())
            .unwrap_err()
            .code,
        NOT_SUPPORTED
    );
}

#[test]
fn a_rolled_back_savepoint_releases_its_transaction_level_advisory_locks() {
    let (mut db, a, b, _) = rows_1_to(0);
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "SELECT 1");
    ok(&mut db, a, "SAVEPOINT s");
    let before = db.clone();
    ok(&mut db, a, "SELECT pg_advisory_xact_lock(2)");
    blocked(db.execute(b, &p("SELECT pg_advisory_lock(2)"), &[]));
    let r = done(db.execute(a, &p("ROLLBACK TO s"), &[]));
    assert_eq!(r.woken[0].session, b);
    ok(&mut db, b, "SELECT pg_advisory_unlock(2)");
    assert_eq!(db, before);
}
