//! Lock waits: blocking, waking in FIFO order, crashed clients, deadlock refusal.

use super::*;
use crate::sql::locks::conflicts;
use crate::sql::state::{Lock, LockMode};

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
            modes: vec![(a, "FOR NO KEY UPDATE")],
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
            modes: vec![(a, "FOR NO KEY UPDATE")],
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
            modes: vec![(b, "FOR NO KEY UPDATE")],
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
fn a_deadlock_is_found_by_the_first_check_after_the_cycle_closes() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "INSERT INTO accounts VALUES (2, 0)");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut db, b, "UPDATE accounts SET balance = 1 WHERE id = 2");
    assert_eq!(db.next_deadline(), None);
    db.advance(100);
    blocked(db.execute(a, &p("UPDATE accounts SET balance = 2 WHERE id = 2"), &[]));
    // No cycle yet: a's check would find nothing, so nothing is due.
    assert_eq!(db.next_deadline(), None);
    db.advance(300);
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    // a began waiting first (at 100): its check, at 1100, is the first since the cycle closed.
    assert_eq!(db.next_deadline(), Some(1100));
    assert!(db.advance(1099).is_empty());
    assert_eq!(db.deadlock_cycle(), vec![a, b]);
    let woken = db.advance(1100);
    assert_eq!(db.deadlock_cycle(), Vec::<SessionId>::new());
    let victims: Vec<SessionId> = db
        .sessions_view()
        .into_iter()
        .filter(|v| v.deadlock_victim)
        .map(|v| v.session)
        .collect();
    assert_eq!(victims, vec![a]);
    assert_eq!(woken.len(), 2);
    assert_eq!(woken[0].session, a);
    let e = woken[0].result.clone().unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("40P01", "deadlock detected")
    );
    assert_eq!(db.session_state(a), SessionState::Aborted);
    // a's abort releases row 1: b goes on.
    assert_eq!(woken[1].session, b);
    assert_eq!(woken[1].result.as_ref().unwrap().tag, "UPDATE 1");
    assert_eq!(db.next_deadline(), None);
    ok(&mut db, b, "COMMIT");
    assert_eq!(
        committed(&db, "SELECT balance FROM accounts ORDER BY id"),
        vec![vec![int(2)], vec![int(1)]]
    );
    // The mark lasts until the victim's next statement.
    ok(&mut db, a, "ROLLBACK");
    assert!(db.sessions_view().iter().all(|v| !v.deadlock_victim));
}

#[test]
fn a_wait_whose_check_already_ran_is_not_the_victim() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "INSERT INTO accounts VALUES (2, 0)");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut db, b, "UPDATE accounts SET balance = 1 WHERE id = 2");
    blocked(db.execute(a, &p("UPDATE accounts SET balance = 2 WHERE id = 2"), &[]));
    // a's check ran at 1000 and found no cycle; b closes it at 5000: b's check, at 6000, finds it.
    db.advance(5000);
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    assert_eq!(db.next_deadline(), Some(6000));
    let woken = db.advance(6000);
    assert_eq!(woken[0].session, b);
    assert_eq!(woken[0].result.clone().unwrap_err().code, "40P01");
    assert_eq!(woken[1].session, a);
    assert!(woken[1].result.is_ok());
}

#[test]
fn lock_and_statement_timeouts_cancel_the_waiting_statement() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut db, b, "SET lock_timeout = '1s'");
    assert_eq!(
        ok(&mut db, b, "SHOW lock_timeout").rows,
        vec![vec![text("1s")]]
    );
    ok(&mut db, b, "BEGIN");
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    assert_eq!(db.next_deadline(), Some(1000));
    let woken = db.advance(2000);
    let e = woken[0].result.clone().unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("55P03", "canceling statement due to lock timeout")
    );
    assert_eq!(db.session_state(b), SessionState::Aborted);
    // The SET inside no block stays; the one inside the rolled-back block goes.
    ok(&mut db, b, "ROLLBACK");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, b, "SET statement_timeout = 500");
    ok(&mut db, b, "SET lock_timeout = 0");
    blocked(db.execute(b, &p("UPDATE accounts SET balance = 2 WHERE id = 1"), &[]));
    assert_eq!(db.next_deadline(), Some(2500));
    let e = db.advance(2500)[0].result.clone().unwrap_err();
    assert_eq!(e.code, "57014");
    ok(&mut db, b, "ROLLBACK");
    assert_eq!(
        ok(&mut db, b, "SHOW statement_timeout").rows,
        vec![vec![text("0")]]
    );
    assert_eq!(
        ok(&mut db, b, "SHOW lock_timeout").rows,
        vec![vec![text("1s")]]
    );
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
fn row_lock_conflicts_are_postgres_table() {
    // PostgreSQL 15 documentation, 13.3.2 "Row-Level Locks", "Conflicting Row-Level Locks":
    // requested mode (rows) against current mode (columns), in the order FOR KEY SHARE,
    // FOR SHARE, FOR NO KEY UPDATE, FOR UPDATE; X = conflict.
    use LockMode::*;
    let modes = [KeyShare, Share, NoKeyUpdate, Update];
    let table = [
        [false, false, false, true],
        [false, false, true, true],
        [false, true, true, true],
        [true, true, true, true],
    ];
    for (i, &requested) in modes.iter().enumerate() {
        for (j, &current) in modes.iter().enumerate() {
            assert_eq!(
                conflicts(requested, current),
                table[i][j],
                "{requested:?} against {current:?}"
            );
        }
    }
}

#[test]
fn a_lock_has_several_holders_and_frees_the_waiters_it_no_longer_blocks() {
    use LockMode::*;
    let mut lock = Lock::new(1, KeyShare);
    lock.grant(2, Share);
    assert!(lock.holds(1) && lock.holds(2) && !lock.holds(3));
    assert_eq!(lock.blocker(3, Share), None);
    assert_eq!(lock.blocker(3, NoKeyUpdate), Some(2));
    assert_eq!(lock.blocker(3, Update), Some(1));
    assert_eq!(lock.blocker(2, Update), Some(1));
    lock.grant(1, Update);
    assert_eq!(lock.holders, vec![(1, Update), (2, Share)]);
    lock.grant(1, KeyShare);
    assert_eq!(lock.holders, vec![(1, Update), (2, Share)]);

    let mut lock = Lock::new(1, KeyShare);
    lock.grant(2, Share);
    lock.waiters = vec![(3, Update), (4, NoKeyUpdate), (5, KeyShare)];
    assert_eq!(lock.release(2), vec![4, 5]);
    assert_eq!(lock.holders, vec![(1, KeyShare)]);
    assert_eq!(lock.waiters, vec![(3, Update)]);
    assert_eq!(lock.release(1), vec![3]);
    assert!(lock.holders.is_empty() && lock.waiters.is_empty());
}

#[test]
fn wait_for_graph_has_an_edge_from_each_waiter_to_its_holder() {
    let (mut db, a, b, c) = rows_1_to(2);
    assert!(db.wait_for_graph().is_empty());
    ok(&mut db, a, "BEGIN");
    ok(&mut db, b, "BEGIN");
    ok(&mut db, a, "UPDATE t SET v = 10 WHERE id = 1");
    ok(&mut db, b, "UPDATE t SET v = 20 WHERE id = 2");
    blocked(db.execute(c, &p("UPDATE t SET v = 30 WHERE id = 2"), &[]));
    assert_eq!(db.wait_for_graph(), vec![(c, b)]);
    blocked(db.execute(b, &p("SELECT * FROM t WHERE id = 1 FOR UPDATE"), &[]));
    assert_eq!(db.wait_for_graph(), vec![(b, a), (c, b)]);
    // a's UPDATE of row 2 queues behind c, which waited for row 2 first and holds PostgreSQL's
    // tuple lock: a waits for c. The cycle is a → c → b → a.
    blocked(db.execute(a, &p("UPDATE t SET v = 11 WHERE id = 2"), &[]));
    assert_eq!(db.wait_for_graph(), vec![(a, c), (b, a), (c, b)]);
    // All began waiting at time 0, c first: c's check comes first and c is the victim. a then
    // holds the tuple lock and waits for b (a new wait), b for a: b's check, next, makes b the
    // victim too (its wait is older than a's new one), and a goes on.
    // (Oracle: deadlock-behind-a-waiter.txt.)
    let woken = db.advance(1000);
    let sessions: Vec<SessionId> = woken.iter().map(|w| w.session).collect();
    assert_eq!(sessions, vec![c, b, a]);
    assert_eq!(woken[0].result.clone().unwrap_err().code, "40P01");
    assert_eq!(woken[1].result.clone().unwrap_err().code, "40P01");
    assert!(woken[2].result.is_ok());
    assert!(db.wait_for_graph().is_empty());
}

#[test]
fn sharers_hold_together_and_a_writer_waits_for_them() {
    let (mut db, a, b) = bank();
    ok(&mut db, a, "BEGIN");
    ok(&mut db, b, "BEGIN");
    let share = "SELECT balance FROM accounts WHERE id = 1 FOR SHARE";
    assert_eq!(ok(&mut db, a, share).rows, vec![vec![int(500)]]);
    assert_eq!(ok(&mut db, b, share).rows, vec![vec![int(500)]]);
    let upd = p("UPDATE accounts SET balance = 1 WHERE id = 1");
    assert!(matches!(db.execute(a, &upd, &[]), Exec::Blocked(_)));
    // b's COMMIT releases the last other sharer: a's UPDATE goes on.
    let commit = done(db.execute(b, &p("COMMIT"), &[]));
    assert_eq!(commit.woken.len(), 1);
    assert_eq!(commit.woken[0].result.as_ref().unwrap().tag, "UPDATE 1");
}

#[test]
fn nowait_fails_with_55p03_and_skip_locked_leaves_the_row_out() {
    let (mut db, a, b) = bank();
    ok(&mut db, b, "INSERT INTO accounts VALUES (2, 7)");
    ok(&mut db, a, "BEGIN");
    ok(&mut db, a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    let e = fails(
        &mut db,
        b,
        "SELECT * FROM accounts WHERE id = 1 FOR SHARE NOWAIT",
    );
    assert_eq!(e.code, "55P03");
    assert_eq!(
        e.message,
        "could not obtain lock on row in relation \"accounts\""
    );
    let r = ok(&mut db, b, "SELECT id FROM accounts FOR UPDATE SKIP LOCKED");
    assert_eq!((r.tag.as_str(), r.rows), ("SELECT 1", vec![vec![int(2)]]));
}
