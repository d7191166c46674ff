//! The ZooKeeper-like lock service (seed 003): a lock that expires during a pause, and why the
//! fencing token matters.

use racelab_engine::fault::{Fault, FaultPlan};
use racelab_engine::model::Status;
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn lesson(write: &str) -> Arc<Lesson> {
    let text = format!(
        r#"
title = "Lock and fence"
services = ["postgres", "zk"]
setup = '''
CREATE TABLE store (id int PRIMARY KEY, value text NOT NULL, token int NOT NULL);
INSERT INTO store VALUES (1, 'none', 0);
'''
[timing]
sql = 5
zk = 2
compute = 1
session_timeout = 5000
[scripts]
writer = '''
token = zk LOCK /locks/store-1
{write}
zk UNLOCK /locks/store-1
'''
[[client]]
name = "A"
script = "writer"
vars = {{ me = "A" }}
[[client]]
name = "B"
script = "writer"
vars = {{ me = "B" }}
start = 100
"#
    );
    Arc::new(lesson::parse("l", "l.toml", &text).unwrap_or_else(|e| panic!("{e:?}")))
}

const FENCED: &str = "UPDATE store SET value = :me, token = :token WHERE id = 1 AND token < :token";
const NAIVE: &str = "UPDATE store SET value = :me, token = :token WHERE id = 1";

/// A takes the lock, then pauses 10 s before its write (a GC pause): its session expires at
/// 5 s, B gets the lock with the next token and writes; then A wakes up and writes too.
fn run(write: &str) -> Run {
    let mut faults = FaultPlan::new();
    faults.insert((0, 2), Fault::Sleep(10_000));
    let mut r = Run::new(lesson(write), 0, faults);
    r.run_to_end().unwrap();
    r
}

fn stored(r: &Run) -> Vec<Value> {
    let t = r.world().postgres().unwrap().db().tables();
    t[0].rows[0].committed.clone().unwrap()
}

#[test]
fn a_lock_expires_during_a_pause_and_the_next_client_gets_a_newer_token() {
    let r = run(FENCED);
    let w = r.world();
    assert_eq!(w.clients[0].vars.get("token"), Some(&Value::Int(1)));
    assert_eq!(w.clients[1].vars.get("token"), Some(&Value::Int(2)));
    let trace: Vec<String> = r.trace().events.iter().map(|e| r.describe(e)).collect();
    assert!(
        trace
            .iter()
            .any(|l| l.contains("A's session expired; its lock nodes are deleted")),
        "{trace:?}"
    );
    // B waited for A's node and was granted when A's session expired at 2 + 5000 ms.
    let granted = r
        .trace()
        .events
        .iter()
        .find(|e| e.client == Some(1) && r.describe(e).starts_with("(lock granted)"))
        .expect("B was granted the lock");
    assert_eq!(granted.time, 5002);
    // With the fence, A's late write changes nothing: B's value stays.
    assert_eq!(
        stored(&r),
        vec![Value::Int(1), Value::Text("B".into()), Value::Int(2)]
    );
    // A's UNLOCK finds its session gone.
    assert!(
        matches!(&w.clients[0].status, Status::Failed { message } if message.starts_with("SESSION_EXPIRED")),
        "{:?}",
        w.clients[0].status
    );
}

#[test]
fn without_the_fence_the_paused_client_overwrites_the_new_holders_write() {
    let r = run(NAIVE);
    assert_eq!(
        stored(&r),
        vec![Value::Int(1), Value::Text("A".into()), Value::Int(1)]
    );
}

#[test]
fn a_short_pause_keeps_the_session_and_the_lock_queue_runs_in_order() {
    let mut faults = FaultPlan::new();
    faults.insert((0, 2), Fault::Sleep(1_000));
    let mut r = Run::new(lesson(FENCED), 0, faults);
    r.run_to_end().unwrap();
    let w = r.world();
    assert!(matches!(w.clients[0].status, Status::Done { .. }));
    assert!(matches!(w.clients[1].status, Status::Done { .. }));
    assert_eq!(
        stored(&r)[1],
        Value::Text("B".into()),
        "B wrote after A released"
    );
    assert_eq!(w.locks_held(), 0);
}
