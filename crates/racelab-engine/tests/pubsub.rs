//! Redis pub/sub in scripts (seed 002's invalidation across servers): a subscriber waits in
//! RECEIVE and is woken by PUBLISH; a message published while nobody listens is lost.

use racelab_engine::fault::FaultPlan;
use racelab_engine::model::Status;
use racelab_engine::run::Run;
use racelab_engine::view::ClientStatus;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn lesson_with(sub_start: u64) -> Arc<Lesson> {
    let text = format!(
        r#"
title = "Invalidation"
services = ["redis"]
[timing]
redis = 1
compute = 1
[scripts]
server = '''
redis SUBSCRIBE invalidate
local = 'price:9900'
msg, ch = redis RECEIVE
local = null
'''
admin = '''
n = redis PUBLISH invalidate product:1
'''
[[client]]
name = "S2"
script = "server"
start = {sub_start}
[[client]]
name = "ADMIN"
script = "admin"
start = 10
"#
    );
    Arc::new(lesson::parse("p", "p.toml", &text).unwrap_or_else(|e| panic!("{e:?}")))
}

#[test]
fn a_subscriber_waits_in_receive_and_publish_wakes_it() {
    let mut r = Run::new(lesson_with(0), 0, FaultPlan::new());
    for _ in 0..3 {
        r.next_event().unwrap();
    }
    let s2 = r.client_view(0).unwrap();
    assert_eq!(s2.status, ClientStatus::Blocked);
    assert!(
        s2.status_text.contains("waits for a message on invalidate"),
        "{}",
        s2.status_text
    );
    r.run_to_end().unwrap();
    let w = r.world();
    assert_eq!(
        w.clients[1].vars.get("n"),
        Some(&Value::Int(1)),
        "one subscriber got it"
    );
    assert_eq!(
        w.clients[0].vars.get("msg"),
        Some(&Value::Text("product:1".into()))
    );
    assert_eq!(
        w.clients[0].vars.get("ch"),
        Some(&Value::Text("invalidate".into()))
    );
    assert_eq!(
        w.clients[0].vars.get("local"),
        Some(&Value::Null),
        "the local cache was dropped"
    );
    assert!(matches!(w.clients[0].status, Status::Done { .. }));
}

#[test]
fn a_message_published_before_the_subscription_is_lost() {
    // S2 subscribes only at 50 ms, after ADMIN published at 11 ms: nobody received it, and S2
    // waits forever with its stale local cache.
    let mut r = Run::new(lesson_with(50), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    let w = r.world();
    assert_eq!(w.clients[1].vars.get("n"), Some(&Value::Int(0)));
    assert!(matches!(w.clients[0].status, Status::Blocked { .. }));
    assert_eq!(r.waiting_forever(), vec![0]);
    assert_eq!(
        w.clients[0].vars.get("local"),
        Some(&Value::Text("price:9900".into()))
    );
}
