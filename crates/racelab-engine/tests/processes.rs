//! Long-lived processes (`arrivals`: one request after another, memory kept between them), the
//! operation log (`log …`), and redis-py's non-blocking `get_message` (GET_MESSAGE).

use racelab_engine::fault::FaultPlan;
use racelab_engine::model::Status;
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn parse(text: &str) -> Arc<Lesson> {
    Arc::new(lesson::parse("p", "p.toml", text).unwrap_or_else(|e| panic!("{e:?}")))
}

const SERVER: &str = r#"
title = "A server"
services = ["redis"]
[timing]
redis = 2
compute = 1
[scripts]
serve = '''
price = redis GET product:1
if price is null:
    misses = misses + 1
    log CACHE_MISS request={request}
    redis SET product:1 9900
    fail 'cold cache'
hits = hits + 1
log CACHE_HIT request={request} price={price}
return price
'''
[[client]]
name = "S1"
script = "serve"
vars = { hits = 0, misses = 0 }
arrivals = [0, 100, 250]
"#;

fn var(r: &Run, c: usize, name: &str) -> Value {
    r.world().clients[c]
        .vars
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_process_serves_each_request_at_its_arrival_and_keeps_its_memory() {
    let mut r = Run::new(parse(SERVER), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    // The first request misses (and fails), the two later ones hit: the counters survived.
    assert_eq!(
        (var(&r, 0, "misses"), var(&r, 0, "hits")),
        (Value::Int(1), Value::Int(2))
    );
    assert_eq!(var(&r, 0, "request"), Value::Int(3));
    assert!(
        matches!(r.world().clients[0].status, Status::Done { value: Some(Value::Text(ref p)) } if p == "9900")
    );
    let lines: Vec<String> = r.trace().events.iter().map(|e| r.describe(e)).collect();
    let starts: Vec<&String> = lines.iter().filter(|l| l.contains("starts")).collect();
    assert_eq!(starts.len(), 2, "{lines:#?}");
    assert!(
        starts[0].contains("request 2 of 3 (arrived at 100 ms) starts"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("log: CACHE_MISS request=1")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("log: CACHE_HIT request=3 price=9900")),
        "{lines:#?}"
    );
    // The second request's first step takes effect after its arrival, not before.
    let second_get = r
        .trace()
        .events
        .iter()
        .filter(|e| r.describe(e).contains("GET product:1"))
        .nth(1)
        .expect("a second GET");
    assert_eq!(second_get.time, 102);
    // The lane says which request it serves.
    assert!(r
        .client_view(0)
        .unwrap()
        .status_text
        .starts_with("request 3 of 3: done"));
}

#[test]
fn an_exit_ends_the_process_and_its_later_requests_never_run() {
    let mut plan = FaultPlan::new();
    plan.insert((0, 8), racelab_engine::fault::Fault::Exit);
    let mut r = Run::new(parse(SERVER), 0, plan);
    r.run_to_end().unwrap();
    // Request 1 misses and fails; request 2 counts its hit, reaches the log line and the
    // process dies there: request 3 never runs.
    assert_eq!(r.world().clients[0].status, Status::Crashed);
    assert_eq!(var(&r, 0, "request"), Value::Int(2));
    assert_eq!(var(&r, 0, "hits"), Value::Int(1));
    assert!(!r
        .trace()
        .events
        .iter()
        .any(|e| r.describe(e).contains("request 3")));
}

#[test]
fn get_message_returns_a_delivered_message_or_null_at_once() {
    let text = r#"
title = "Invalidation"
services = ["redis"]
[scripts]
server = '''
redis SUBSCRIBE invalidate
sleep 20ms
first = redis GET_MESSAGE
second = redis GET_MESSAGE
'''
admin = '''
n = redis PUBLISH invalidate product:1
'''
[[client]]
name = "S2"
script = "server"
[[client]]
name = "ADMIN"
script = "admin"
start = 10
"#;
    let mut r = Run::new(parse(text), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    assert_eq!(var(&r, 1, "n"), Value::Int(1));
    assert_eq!(var(&r, 0, "first"), Value::Text("product:1".into()));
    assert_eq!(var(&r, 0, "second"), Value::Null);
}

#[test]
fn bad_arrivals_and_logs_are_located_errors() {
    let cases = [
        (
            "arrivals = [100, 0]",
            "arrivals are 1 to 1000 request times in ms, in order",
        ),
        ("arrivals = []", "arrivals are 1 to 1000"),
        ("arrivals = [0, 10]\nstart = 5", "drop `start`"),
    ];
    for (extra, want) in cases {
        let text = SERVER.replace("arrivals = [0, 100, 250]", extra);
        let errs = lesson::parse("p", "p.toml", &text).unwrap_err();
        assert!(
            errs.iter().any(|e| e.message.contains(want)),
            "{extra}: {errs:?}"
        );
    }
    let text = SERVER.replace(
        "log CACHE_HIT request={request} price={price}",
        "log HIT {pri ce}",
    );
    let errs = lesson::parse("p", "p.toml", &text).unwrap_err();
    assert!(errs[0].message.contains("is not a variable"), "{errs:?}");
    // `log = …` is still an assignment.
    let text = SERVER.replace("hits = hits + 1", "log = hits + 1");
    assert!(lesson::parse("p", "p.toml", &text).is_ok());
}

#[test]
fn pub_sub_commands_use_a_connection_of_their_own() {
    // As redis-py's pubsub() object: the client can still GET after it subscribed.
    let text = r#"
title = "Listener"
services = ["redis"]
redis_setup = '''
SET k v
'''
[scripts]
server = '''
redis SUBSCRIBE invalidate
v = redis GET k
m = redis GET_MESSAGE
'''
[[client]]
name = "S"
script = "server"
requests = 3
"#;
    let mut r = Run::new(parse(text), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    assert_eq!(var(&r, 0, "v"), Value::Text("v".into()));
    assert_eq!(
        var(&r, 0, "request"),
        Value::Int(3),
        "requests = 3: three in a row"
    );
    assert!(matches!(r.world().clients[0].status, Status::Done { .. }));
}
