//! The model's pure step, service timers and world hashing.

use super::*;
use crate::lesson::{self, Lesson};
use crate::run::Run;
use crate::service::Wait;
use crate::trace::EventKind;
use crate::value::Value;
use std::sync::Arc;

const TIMED: &str = r#"
title = "A timer"
services = ["timer"]
[timing]
timer = 2
compute = 1
[scripts]
sleepy = '''
t = timer wait 30
x = t + 1
'''
quick = '''
y = 1
'''
[[client]]
name = "A"
script = "sleepy"
[[client]]
name = "B"
script = "quick"
"#;

fn timed() -> Arc<Lesson> {
    Arc::new(lesson::parse("t", "t.toml", TIMED).unwrap_or_else(|e| panic!("{e:?}")))
}

#[test]
fn a_service_timer_wakes_its_waiter_by_itself_at_the_right_virtual_time() {
    let mut r = Run::new(timed(), 0, Default::default());
    r.step(0).unwrap(); // A calls `timer wait 30` at 2 ms: it waits until 32 ms
    assert!(matches!(
        r.world().clients[0].status,
        Status::Blocked {
            wait: Wait::Timer { until: 32 },
            ..
        }
    ));
    r.step(1).unwrap(); // B computes at 1 ms; its clock is behind, `now` stays 2
    assert_eq!(r.now(), 2);
    // Nobody can step but the timer: next event fires it at 32 ms.
    assert_eq!(r.model().actions(r.world()), vec![Action::Timer(0)]);
    assert_eq!(r.next_event_preview(), Some((Action::Timer(0), 32)));
    assert!(!r.finished());
    r.next_event().unwrap();
    assert_eq!(r.now(), 32);
    let a = &r.world().clients[0];
    assert_eq!(a.status, Status::Ready);
    assert_eq!(a.clock, 32);
    assert_eq!(a.vars.get("t"), Some(&Value::Int(32)));
    let woken = r.trace().latest_events();
    assert!(matches!(woken[0].kind, EventKind::Timer { service: 0, .. }));
    assert_eq!(woken[0].client, None);
    assert!(matches!(woken[1].kind, EventKind::Woken { service: 0, .. }));
    assert_eq!((woken[1].time, woken[1].client), (32, Some(0)));
    r.run_to_end().unwrap();
    assert_eq!(r.world().clients[0].vars.get("x"), Some(&Value::Int(33)));
    assert_eq!(r.world().clients[0].finished_at, Some(33));
}

#[test]
fn a_deadline_passed_by_a_later_step_fires_before_that_step() {
    // B sleeps past A's deadline; stepping B at 50 ms must first wake A at 32 ms.
    let text = TIMED.replace("y = 1", "sleep 48\ny = 1");
    let l = Arc::new(lesson::parse("t", "t.toml", &text).unwrap());
    let m = Model::new(l, 0);
    let mut w = m.init();
    let mut events = Vec::new();
    m.apply(&mut w, &Action::Step(0), &mut events).unwrap(); // A waits until 32
    m.apply(&mut w, &Action::Step(1), &mut events).unwrap(); // B sleeps 2..50
    events.clear();
    m.apply(&mut w, &Action::Step(1), &mut events).unwrap(); // B's `y = 1` at 51
    let times: Vec<(u64, Option<usize>)> = events.iter().map(|e| (e.time, e.client)).collect();
    assert_eq!(times, vec![(32, None), (32, Some(0)), (51, Some(1))]);
    assert_eq!(w.clients[0].clock, 32);
    assert_eq!(w.now, 51);
}

#[test]
fn next_state_is_pure() {
    let m = Model::new(timed(), 0);
    let w = m.init();
    let before = w.clone();
    let (a, ea) = m.next_state(&w, &Action::Step(0)).unwrap();
    let (b, eb) = m.next_state(&w, &Action::Step(0)).unwrap();
    assert_eq!(w, before, "the input world is untouched");
    assert_eq!((a, ea), (b, eb), "same world and action, same result");
    assert!(m.next_state(&w, &Action::Timer(0)).is_err(), "no timer yet");
}

const TRANSFERS: &str = r#"
title = "Two transfers in opposite directions"
services = ["postgres"]
setup = '''
CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
INSERT INTO accounts VALUES (1, 100), (2, 100);
'''
[timing]
sql = 5
compute = 1
[scripts]
one_to_two = '''
BEGIN
UPDATE accounts SET balance = balance - 10 WHERE id = 1
UPDATE accounts SET balance = balance + 10 WHERE id = 2
COMMIT
'''
two_to_one = '''
BEGIN
UPDATE accounts SET balance = balance - 10 WHERE id = 2
UPDATE accounts SET balance = balance + 10 WHERE id = 1
COMMIT
'''
[[client]]
name = "A"
script = "one_to_two"
[[client]]
name = "B"
script = "two_to_one"
[[variant]]
name = "opposite"
[[variant]]
name = "same-row"
[variant.scripts]
one_to_two = '''
BEGIN
b = SELECT balance FROM accounts WHERE id = 1 FOR UPDATE
UPDATE accounts SET balance = :b - 10 WHERE id = 1
COMMIT
'''
two_to_one = '''
BEGIN
b = SELECT balance FROM accounts WHERE id = 1 FOR UPDATE
UPDATE accounts SET balance = :b + 10 WHERE id = 1
COMMIT
'''
"#;

#[test]
fn opposite_transfers_deadlock_after_deadlock_timeout_and_the_first_waiter_is_the_victim() {
    let l = Arc::new(lesson::parse("t", "t.toml", TRANSFERS).unwrap_or_else(|e| panic!("{e:?}")));
    let m = Model::new(l.clone(), 0);
    assert!(m.may_deadlock());
    assert!(!m.timeless(), "a deadlock's victim depends on time");
    assert!(!Model::new(l.clone(), 1).may_deadlock());
    assert!(Model::new(l.clone(), 1).timeless());
    let mut r = Run::new(l, 0, Default::default());
    for c in [0, 1, 0, 1, 0, 1] {
        r.step(c).unwrap(); // BEGIN, BEGIN, first UPDATEs, then each waits for the other
    }
    assert!(r
        .world()
        .clients
        .iter()
        .all(|c| matches!(c.status, Status::Blocked { .. })));
    // A began waiting at 15 ms: its deadlock check at 1015 ms finds the cycle.
    assert_eq!(r.next_event_preview(), Some((Action::Timer(0), 1015)));
    r.next_event().unwrap();
    let a = &r.world().clients[0];
    assert!(matches!(a.status, Status::Failed { .. }), "{:?}", a.status);
    assert_eq!(r.world().clients[1].status, Status::Ready);
    r.run_to_end().unwrap();
    let pg = r.world().postgres().unwrap();
    let rows = pg
        .db()
        .query_committed(
            &crate::service::postgres::sql::prepare("SELECT balance FROM accounts ORDER BY id")
                .unwrap(),
            &[],
        )
        .unwrap()
        .rows;
    assert_eq!(rows, vec![vec![Value::Int(110)], vec![Value::Int(90)]]);
}

#[test]
fn workers_that_share_one_locked_row_cannot_deadlock() {
    // Each worker locks the stock row, then inserts its own order row (`:me` is its input):
    // they share one row only, so no cycle can form and the lesson stays timeless.
    let text = include_str!("../../../../bench/three-workers.toml");
    let l = Arc::new(lesson::parse("w", "w.toml", text).unwrap_or_else(|e| panic!("{e:?}")));
    let m = Model::new(l, 0);
    assert!(!m.may_deadlock());
    // The same workers inserting one shared order row could.
    let shared = text.replace(
        "INSERT INTO orders VALUES (:me, 1)",
        "INSERT INTO orders VALUES (1, 1)",
    );
    let l = Arc::new(lesson::parse("w", "w.toml", &shared).unwrap_or_else(|e| panic!("{e:?}")));
    assert!(Model::new(l, 0).may_deadlock());
}
