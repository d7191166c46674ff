//! Aerospike-style records (seed 000): generations, check-and-set, create-only locks, TTLs in
//! virtual time.

use racelab_engine::fault::FaultPlan;
use racelab_engine::model::Status;
use racelab_engine::run::Run;
use racelab_engine::service::ServiceView;
use racelab_engine::{lesson, Lesson, Value};
use std::sync::Arc;

fn lesson_with(scripts: &[(&str, &str)]) -> Arc<Lesson> {
    let mut text = String::from("title = \"Records\"\nservices = [\"aerospike\"]\n[timing]\naerospike = 2\ncompute = 1\n[scripts]\n");
    for (name, body) in scripts {
        text.push_str(&format!("{name} = '''\n{body}\n'''\n"));
    }
    for (i, (name, _)) in scripts.iter().enumerate() {
        text.push_str(&format!(
            "[[client]]\nname = \"C{}\"\nscript = \"{name}\"\n",
            i + 1
        ));
    }
    Arc::new(lesson::parse("r", "r.toml", &text).unwrap_or_else(|e| panic!("{e:?}")))
}

fn var(r: &Run, client: usize, name: &str) -> Value {
    r.world().clients[client]
        .vars
        .get(name)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn generations_count_writes_and_a_stale_generation_is_refused() {
    let l = lesson_with(&[(
        "s",
        "v, g0 = aerospike GET balance:1\ng1 = aerospike PUT balance:1 500\ng2 = aerospike PUT balance:1 300 GEN {g1}\ntry:\n    aerospike PUT balance:1 100 GEN {g1}\nexcept GENERATION_ERROR:\n    stale = error\nv, g = aerospike GET balance:1",
    )]);
    let mut r = Run::new(l, 0, FaultPlan::new());
    r.run_to_end().unwrap();
    assert_eq!(
        (var(&r, 0, "g0"), var(&r, 0, "g1"), var(&r, 0, "g2")),
        (Value::Int(0), Value::Int(1), Value::Int(2))
    );
    assert_eq!(
        (var(&r, 0, "v"), var(&r, 0, "g")),
        (Value::Int(300), Value::Int(2))
    );
    assert!(
        matches!(var(&r, 0, "stale"), Value::Text(m) if m.contains("has generation 2, the write expected 1"))
    );
}

#[test]
fn create_is_a_lock_only_one_client_gets_and_its_ttl_frees_it() {
    let l = lesson_with(&[
        ("a", "aerospike CREATE lock:balance:1 a TTL 10"),
        ("b", "try:\n    aerospike CREATE lock:balance:1 b TTL 10\n    got = 'yes'\nexcept KEY_EXISTS_ERROR:\n    got = 'no'\nsleep 11000\naerospike CREATE lock:balance:1 b TTL 10\nagain = 'yes'"),
    ]);
    let mut r = Run::new(l, 0, FaultPlan::new());
    r.run_to_end().unwrap();
    assert_eq!(var(&r, 1, "got"), Value::Text("no".into()));
    assert_eq!(
        var(&r, 1, "again"),
        Value::Text("yes".into()),
        "the first lock expired after 10 s"
    );
    assert!(r
        .trace()
        .events
        .iter()
        .any(|e| r.describe(e).contains("record lock:balance:1 expired")));
    assert!(matches!(r.world().clients[1].status, Status::Done { .. }));
    let ServiceView::Aerospike(view) = &r.service_panels()[0].view else {
        panic!("an aerospike panel");
    };
    assert_eq!(view.records.len(), 1);
    assert_eq!(
        (view.records[0].value.as_str(), view.records[0].generation),
        ("b", 1)
    );
}

#[test]
fn unknown_operations_and_shapes_are_refused_when_checked() {
    for (line, want) in [
        ("aerospike SCAN set", "not supported by the simulator"),
        ("aerospike PUT k", "write `aerospike PUT KEY VALUE"),
        ("aerospike CREATE k v GEN 1", "TTL seconds"),
        ("aerospike GET", "write `aerospike GET KEY`"),
    ] {
        let text = format!("title = \"x\"\nservices = [\"aerospike\"]\n[scripts]\ns = '''\n{line}\n'''\n[[client]]\nname = \"C\"\nscript = \"s\"\n");
        let errs = lesson::parse("x", "x.toml", &text).expect_err(line);
        assert!(errs[0].message.contains(want), "{line}: {}", errs[0]);
        assert_eq!(errs[0].at.line, 5, "{line}");
    }
}
