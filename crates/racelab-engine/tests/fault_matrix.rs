//! Every fault kind on every service: the same two-call request against each service, with each
//! kind of fault at its second call. What the client ends as, and replay, must hold for all.

use racelab_engine::fault::{parse_spec, FaultPlan};
use racelab_engine::model::Status;
use racelab_engine::run::Run;
use racelab_engine::{lesson, Lesson};
use std::sync::Arc;

/// (service, setup keys, two calls).
const SERVICES: &[(&str, &str, &str)] = &[
    (
        "postgres",
        "setup = '''\nCREATE TABLE t (id int PRIMARY KEY, v int);\nINSERT INTO t VALUES (1, 0);\n'''",
        "x = SELECT v FROM t WHERE id = 1\nUPDATE t SET v = 1 WHERE id = 1",
    ),
    ("redis", "", "x = redis GET k\nredis SET k 1"),
    ("aerospike", "", "x, g = aerospike GET k\naerospike PUT k 1"),
    ("zk", "", "x = zk HOLDS /locks/k\nx = zk LOCK /locks/k"),
    (
        "cassandra",
        "cassandra_setup = '''\nCREATE TABLE t (id int PRIMARY KEY, v int)\n'''",
        "x = cql SELECT v FROM t WHERE id = 1\ncql UPDATE t SET v = 1 WHERE id = 1",
    ),
];

fn lesson(service: &str, setup: &str, calls: &str) -> Arc<Lesson> {
    let text = format!(
        "title = \"m\"\nservices = [\"{service}\"]\n{setup}\n[scripts]\ns = '''\n{calls}\n'''\n[[client]]\nname = \"C\"\nscript = \"s\"\n"
    );
    Arc::new(lesson::parse("m", "m.toml", &text).unwrap_or_else(|e| panic!("{service}: {e:?}")))
}

fn end(r: &Run) -> &'static str {
    match &r.world().clients[0].status {
        Status::Done { .. } => "done",
        Status::Crashed => "crashed",
        Status::Failed { message }
            if message.contains("connection refused") || message.contains("is down") =>
        {
            "connection error"
        }
        Status::Failed { message } if message.starts_with("timeout") => "timed out",
        Status::Failed { .. } => "failed",
        Status::Blocked { .. } => "blocked",
        Status::Ready => "ready",
    }
}

#[test]
fn each_fault_kind_on_each_service() {
    for (service, setup, calls) in SERVICES {
        let l = lesson(service, setup, calls);
        let mut clean = Run::new(l.clone(), 0, FaultPlan::new());
        clean.run_to_end().unwrap();
        assert_eq!(end(&clean), "done", "{service} without faults");
        let clean_end = clean.world().clients[0].finished_at.unwrap();
        for (spec, want) in [
            ("exit@C:2", "crashed"),
            ("exit-after@C:2", "crashed"),
            ("error@C:2", "connection error"),
            ("timeout@C:2", "timed out"),
            ("sleep=500@C:2", "done"),
            (&*format!("down={service}@C:2"), "connection error"),
            (&*format!("slow={service}:500@C:2"), "done"),
        ] {
            let (at, fault) = parse_spec(&l, spec).unwrap();
            let mut plan = FaultPlan::new();
            plan.insert(at, fault);
            let mut r = Run::new(l.clone(), 0, plan.clone());
            r.run_to_end()
                .unwrap_or_else(|e| panic!("{service} {spec}: {e}"));
            assert_eq!(end(&r), want, "{service} {spec}");
            let again = Run::replay(l.clone(), 0, plan, &r.trace().actions).unwrap();
            assert_eq!(again.world(), r.world(), "{service} {spec}: replay");
            if want == "done" {
                let at = r.world().clients[0].finished_at.unwrap();
                assert!(at >= clean_end + 500, "{service} {spec}: finished at {at}");
            }
        }
    }
}
