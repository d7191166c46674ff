//! The lost-update lesson (seed 001) through the whole engine: lesson → run → trace → verdicts.

use racelab_engine::fault::{Fault, FaultPlan};
use racelab_engine::lesson;
use racelab_engine::model::{Action, Status};
use racelab_engine::property::Verdict;
use racelab_engine::run::Run;
use racelab_engine::service::{Reply, Wait};
use racelab_engine::sql::Db;
use racelab_engine::trace::{CallOutcome, EventKind};
use racelab_engine::view::{ClientStatus, LineState};
use racelab_engine::{Lesson, Value};
use std::sync::Arc;

const TEXT: &str = include_str!("../../../lessons/lost-update.toml");

fn lesson() -> Arc<Lesson> {
    Arc::new(
        lesson::parse("lost-update", "lessons/lost-update.toml", TEXT).unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }),
    )
}

fn db(r: &Run) -> &Db {
    r.world()
        .postgres()
        .expect("the lesson uses PostgreSQL")
        .db()
}

fn balance(r: &Run) -> Value {
    let t = db(r).tables();
    let table = t
        .iter()
        .find(|t| t.name == "category_balance")
        .expect("table");
    let col = table
        .columns
        .iter()
        .position(|c| c == "balance")
        .expect("column");
    table.rows[0].committed.as_ref().expect("committed row")[col].clone()
}

fn verdict(r: &Run, id: &str) -> Verdict {
    r.verdicts()
        .into_iter()
        .find(|v| v.id == id)
        .expect("assertion")
        .verdict
}

#[test]
fn naive_variant_loses_an_update() {
    let l = lesson();
    let mut r = Run::new(
        l.clone(),
        l.variant_index("naive").unwrap(),
        FaultPlan::new(),
    );
    assert_eq!(verdict(&r, "balance-is-100"), Verdict::Pending);
    r.run_to_end().unwrap();
    assert_eq!(balance(&r), Value::Int(300));
    assert_eq!(verdict(&r, "balance-is-100"), Verdict::Fail);
    assert_eq!(verdict(&r, "within-timeout"), Verdict::Pass);
    // The document's interleaving: both SELECTs read 500 before either UPDATE.
    let reads: Vec<(Option<usize>, String)> = r
        .trace()
        .events
        .iter()
        .filter(|e| e.line == 2)
        .map(|e| (e.client, r.describe(e)))
        .collect();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|(_, d)| d.ends_with("→ 500")), "{reads:?}");
    // T2's UPDATE waits for T1's row lock, then overwrites with its stale 300.
    let t2_update: Vec<&EventKind> = r
        .trace()
        .events
        .iter()
        .filter(|e| e.client == Some(1) && e.line == 4)
        .map(|e| &e.kind)
        .collect();
    assert!(
        matches!(t2_update[0], EventKind::Call { outcome: CallOutcome::Waits(Wait::RowLock { holder, .. }), .. } if *holder == Some(0))
    );
    assert!(
        matches!(t2_update[1], EventKind::Woken { reply: Reply::Sql(Ok(q)), .. } if q.tag == "UPDATE 1")
    );
}

#[test]
fn for_update_blocks_the_second_reader_until_commit() {
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    let mut r = Run::new(l.clone(), v, FaultPlan::new());
    assert_eq!(
        r.next_event_preview(),
        Some((Action::Step(0), 5)),
        "T1's BEGIN takes effect at 5 ms"
    );
    // T1 BEGIN, T2 BEGIN, T1 SELECT FOR UPDATE, T2 SELECT FOR UPDATE → blocked.
    for expected in [0, 1, 0, 1] {
        assert_eq!(r.next_event().unwrap(), Some(Action::Step(expected)));
    }
    let t2 = r.client_view(1).unwrap();
    assert_eq!(t2.status, ClientStatus::Blocked);
    assert_eq!(t2.lines[1].state, LineState::Blocked);
    assert!(
        t2.status_text.contains("locked by T1"),
        "{}",
        t2.status_text
    );
    assert!(!r.is_runnable(1));
    assert!(r.step(1).is_err(), "a blocked client cannot be stepped");
    let tables = db(&r).tables();
    let lock = tables[0].rows[0].lock.as_ref().expect("row lock");
    let pg = r.world().postgres().unwrap();
    assert_eq!(
        (lock.holder, lock.waiters.clone()),
        (pg.session(0).unwrap(), vec![pg.session(1).unwrap()])
    );

    // T1 computes, updates, commits; the commit wakes T2, which reads 300.
    while r.is_runnable(0) {
        r.step(0).unwrap();
    }
    let woken = r.trace().events.last().unwrap();
    assert_eq!((woken.client, woken.time), (Some(1), 25));
    assert!(
        matches!(&woken.kind, EventKind::Woken { reply: Reply::Sql(Ok(q)), .. } if q.rows == vec![vec![Value::Int(300)]])
    );
    assert_eq!(r.world().clients[1].vars.get("bal"), Some(&Value::Int(300)));

    r.run_to_end().unwrap();
    assert_eq!(balance(&r), Value::Int(100));
    assert_eq!(r.world().clients[0].finished_at, Some(25));
    assert_eq!(
        r.world().clients[1].finished_at,
        Some(40),
        "the document's ~40 ms"
    );
    assert_eq!(verdict(&r, "balance-is-100"), Verdict::Pass);
    assert_eq!(verdict(&r, "within-timeout"), Verdict::Pass);
}

#[test]
fn exit_after_update_rolls_back_and_releases_the_lock() {
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    let mut faults = FaultPlan::new();
    faults.insert((0, 5), Fault::Exit); // before COMMIT, after UPDATE
    let mut r = Run::new(l.clone(), v, faults);
    r.run_to_end().unwrap();
    assert_eq!(r.world().clients[0].status, Status::Crashed);
    assert!(matches!(r.world().clients[1].status, Status::Done { .. }));
    // T1's 300 was rolled back; T2 read 500 after the lock was released and wrote 300.
    assert_eq!(r.world().clients[1].vars.get("bal"), Some(&Value::Int(500)));
    assert_eq!(balance(&r), Value::Int(300));
    assert_eq!(r.world().locks_held(), 0);
    assert_eq!(verdict(&r, "within-timeout"), Verdict::Fail);
    let exit = r
        .trace()
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Fault { .. }))
        .unwrap();
    assert_eq!((exit.client, exit.line, exit.time), (Some(0), 5, 20));
}

#[test]
fn sleep_fault_pauses_one_client_while_the_other_goes_on() {
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    let mut faults = FaultPlan::new();
    faults.insert((0, 4), Fault::Sleep(60_000)); // T1 holds the row lock and pauses
    let mut r = Run::new(l.clone(), v, faults);
    // BEGIN, BEGIN, SELECT FOR UPDATE (T1 locks), SELECT FOR UPDATE (T2 waits), compute:
    // T1's next line is 4, where the sleep fault fires.
    for _ in 0..5 {
        r.next_event().unwrap();
    }
    assert_eq!(r.client_view(0).unwrap().status, ClientStatus::Runnable);
    assert_eq!(
        r.next_event().unwrap(),
        Some(Action::Fault {
            client: 0,
            fault: Fault::Sleep(60_000)
        })
    );
    let t1 = r.client_view(0).unwrap();
    assert_eq!(t1.status, ClientStatus::Sleeping, "{}", t1.status_text);
    assert_eq!(r.client_view(1).unwrap().status, ClientStatus::Blocked);
    r.run_to_end().unwrap();
    assert_eq!(r.world().clients[0].finished_at, Some(15 + 60_000 + 10));
    assert_eq!(r.world().clients[1].finished_at, Some(60_025 + 15));
    assert_eq!(balance(&r), Value::Int(100));
    assert_eq!(verdict(&r, "within-timeout"), Verdict::Fail);
}

#[test]
fn replaying_the_choices_gives_the_same_trace_and_state() {
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    let mut faults = FaultPlan::new();
    faults.insert((1, 3), Fault::Sleep(7));
    let mut live = Run::new(l.clone(), v, faults.clone());
    // A hand-chosen interleaving, then next events.
    for c in [1, 1, 0, 1, 0] {
        live.step(c).unwrap();
    }
    live.run_to_end().unwrap();
    let again = Run::replay(l.clone(), v, faults, &live.trace().actions).unwrap();
    assert_eq!(again.trace(), live.trace());
    assert_eq!(again.world(), live.world());

    // Back undoes exactly one step; reset goes to the start.
    let mut back = live.clone();
    assert!(back.back());
    let n = live.trace().actions.len();
    let prefix = Run::replay(
        l.clone(),
        v,
        live.faults().clone(),
        &live.trace().actions[..n - 1],
    )
    .unwrap();
    assert_eq!(back.world(), prefix.world());
    back.reset();
    assert_eq!(back.world(), Run::new(l, v, live.faults().clone()).world());
    assert!(back.trace().events.is_empty());
}

#[test]
fn faults_only_go_before_lines_not_yet_run() {
    let l = lesson();
    let mut r = Run::new(l.clone(), 0, FaultPlan::new());
    r.step(0).unwrap();
    assert!(
        r.set_fault(0, 1, Some(Fault::Exit)).is_err(),
        "line 1 has run"
    );
    assert!(r.set_fault(0, 3, Some(Fault::Exit)).is_ok());
    assert!(r.set_fault(0, 3, None).is_ok());
    assert!(r.set_fault(0, 99, Some(Fault::Exit)).is_err());
    assert!(r.faults().is_empty());
}

#[test]
fn lesson_expectations_hold() {
    let l = lesson();
    let problems = racelab_engine::run::check_expectations(&l);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_wrong_expectation_is_reported_at_its_place() {
    let text = TEXT.replace(
        "expect = { balance-is-100 = \"fail\", within-timeout = \"pass\" }",
        "expect = { balance-is-100 = \"pass\", within-timeout = \"pass\" }",
    );
    let l = Arc::new(lesson::parse("x", "x.toml", &text).unwrap());
    let problems = racelab_engine::run::check_expectations(&l);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("got 300"), "{}", problems[0]);
    let line = TEXT
        .lines()
        .position(|l| l.contains("expect = { balance-is-100 = \"fail\""))
        .unwrap()
        + 1;
    assert_eq!(problems[0].at.line, line);
}

#[test]
fn a_client_killed_while_it_waits_still_has_its_statement_run_then_rolled_back() {
    // T2 waits on T1's row lock (FOR UPDATE); T2's process dies while it waits. As in
    // PostgreSQL 15, the backend notices only when the wait ends: T2's SELECT … FOR UPDATE runs
    // after T1's COMMIT and then its transaction is rolled back; T1's debit stands alone.
    let l = lesson();
    let v = l.variant_index("for-update").unwrap();
    let mut r = Run::new(l.clone(), v, FaultPlan::new());
    for _ in 0..4 {
        r.next_event().unwrap();
    }
    assert_eq!(r.client_view(1).unwrap().status, ClientStatus::Blocked);
    assert!(r.client_view(1).unwrap().can_exit_now);
    assert!(r.exit_now(1).is_ok());
    assert_eq!(r.world().clients[1].status, Status::Crashed);
    r.run_to_end().unwrap();
    assert_eq!(balance(&r), Value::Int(300));
    assert_eq!(
        r.world().locks_held(),
        0,
        "the dead session's lock went with it"
    );
    assert!(r.exit_now(1).is_err(), "a dead client cannot die again");
}

#[test]
fn forward_redoes_what_back_and_reset_undid_until_another_action_is_taken() {
    let mut r = Run::new(lesson(), 0, FaultPlan::new());
    for c in [0, 0, 1, 1] {
        r.step(c).unwrap();
    }
    let (world, actions) = (r.world().clone(), r.trace().actions.clone());
    assert!(!r.can_forward());
    assert!(r.back() && r.back());
    assert!(r.can_forward());
    assert!(r.forward().unwrap() && r.forward().unwrap());
    assert!(!r.forward().unwrap(), "nothing left to redo");
    assert_eq!((r.world(), &r.trace().actions), (&world, &actions));
    // Reset keeps the whole run to redo, step by step.
    r.reset();
    for _ in 0..4 {
        assert!(r.forward().unwrap());
    }
    assert_eq!(r.world(), &world);
    // A different action after Back starts a new history.
    r.back();
    r.step(0).unwrap();
    assert!(!r.can_forward());
}

/// The page highlights what the last step changed by comparing the panels before and after it.
#[test]
fn the_run_keeps_the_world_before_its_last_action() {
    let l = lesson();
    let mut r = Run::new(l.clone(), 0, FaultPlan::new());
    assert!(r.service_panels_before().is_none());
    assert!(r.client_view_before(0).is_none());
    for c in [0, 0, 0] {
        r.step(c).unwrap(); // BEGIN, SELECT, compute
    }
    // T1's UPDATE changes the row (a pending write) and nothing else.
    r.step(0).unwrap();
    let (before, after) = (r.service_panels_before().unwrap(), r.service_panels());
    assert_ne!(before, after);
    let changed = racelab_engine::view::changed_items(&before[0].view, &after[0].view);
    assert_eq!(
        changed.into_iter().collect::<Vec<_>>(),
        ["category_balance/(1, FOOD)"],
        "the UPDATE changed the row (a pending write, a row lock) and nothing else"
    );
    let vars = |v: Option<racelab_engine::view::ClientView>| v.unwrap().vars;
    assert_eq!(vars(r.client_view_before(0)), vars(r.client_view(0)));
    // Back restores "before" for the step now last; Reset forgets it.
    r.back();
    assert_eq!(r.service_panels(), before);
    assert!(r.service_panels_before().is_some());
    r.reset();
    assert!(r.service_panels_before().is_none());
}

/// The timeline: lanes for T1, T2 and PostgreSQL; T2's wait for T1's row lock is a bar that
/// ends when T1 commits; a fault is a mark; every item names the moment to go back to.
#[test]
fn the_timeline_shows_calls_replies_waits_and_faults() {
    use racelab_engine::timeline::{timeline, BarKind, MarkKind};
    let l = lesson();
    let v = l.variant_index("for update").unwrap();
    let mut r = Run::new(l.clone(), v, FaultPlan::new());
    r.run_to_end().unwrap();
    let t = timeline(&r);
    assert_eq!(t.lanes, ["T1", "T2", "PostgreSQL"]);
    assert_eq!(t.clients, 2);
    assert_eq!(t.end, 40);
    // Every SQL line is a call arrow to lane 2 and an arrow back.
    let calls = t.arrows.iter().filter(|a| a.to == 2).count();
    let replies = t.arrows.iter().filter(|a| a.from == 2).count();
    assert_eq!((calls, replies), (8, 8));
    let wait = t.bars.iter().find(|b| b.kind == BarKind::Wait).unwrap();
    assert_eq!(wait.lane, 1);
    assert!(wait.label.contains("locked by T1"), "{}", wait.label);
    assert!(!wait.open && wait.from < wait.to && wait.to <= 40);
    assert!(t
        .arrows
        .iter()
        .all(|a| a.after >= 1 && a.after <= r.trace().actions.len()));

    // Going back to the moment after the wait began: T2 is blocked, and Forward redoes the rest.
    let n = wait.after;
    let end_events = r.trace().events.len();
    assert!(r.go_to(n));
    assert_eq!(r.trace().actions.len(), n);
    assert_eq!(r.client_view(1).unwrap().status, ClientStatus::Blocked);
    while r.can_forward() {
        r.forward().unwrap();
    }
    assert_eq!(r.trace().events.len(), end_events);

    // A fault is a mark on its client's lane.
    let mut plan = FaultPlan::new();
    plan.insert((0, 5), Fault::Exit);
    let mut r = Run::new(l, v, plan);
    r.run_to_end().unwrap();
    let t = timeline(&r);
    assert!(t
        .marks
        .iter()
        .any(|m| m.kind == MarkKind::Fault && m.lane == 0 && m.label == "exit"));
    assert!(t
        .marks
        .iter()
        .any(|m| m.kind == MarkKind::Done && m.lane == 1));
}
