//! Two services of one kind: a lesson names the second (`"sessions:redis"`), and its lines,
//! timing, faults, counters and panel use that name.

use racelab_engine::fault::{parse_spec, FaultPlan};
use racelab_engine::run::Run;
use racelab_engine::service::ServiceView;
use racelab_engine::{lesson, Value};
use std::sync::Arc;

const TEXT: &str = r#"
title = "Two caches"
services = ["redis", "sessions:redis"]
redis_setup = '''
SET a cached
'''
[timing]
redis = 1
sessions = 3
compute = 1
[scripts]
s = '''
x = redis GET a
y = sessions GET a
sessions SET a 2
'''
[[client]]
name = "C"
script = "s"

[[assert]]
id = "sessions-missed"
says = "The sessions cache started empty"
counter = "sessions.misses"
equals = 1
"#;

#[test]
fn a_named_second_instance_is_its_own_service() {
    let l = Arc::new(lesson::parse("i", "i.toml", TEXT).unwrap_or_else(|e| panic!("{e:?}")));
    let mut r = Run::new(l.clone(), 0, FaultPlan::new());
    r.run_to_end().unwrap();
    let w = r.world();
    assert_eq!(
        w.clients[0].vars.get("x"),
        Some(&Value::Text("cached".into()))
    );
    assert_eq!(
        w.clients[0].vars.get("y"),
        Some(&Value::Null),
        "the setup went to the first Redis only"
    );
    assert_eq!(
        w.clients[0].finished_at,
        Some(1 + 3 + 3),
        "each instance has its own timing"
    );
    let panels = r.service_panels();
    assert_eq!(
        (panels[0].title.as_str(), panels[1].title.as_str()),
        ("Redis", "Redis (sessions)")
    );
    let ServiceView::Redis(sessions) = &panels[1].view else {
        panic!()
    };
    assert_eq!(sessions.keys[0].value, "2");
    assert_eq!(
        r.verdicts()[0].verdict,
        racelab_engine::property::Verdict::Pass
    );

    let (at, down) = parse_spec(&l, "down=sessions@C:2").unwrap();
    let mut plan = FaultPlan::new();
    plan.insert(at, down);
    let mut r = Run::new(l, 0, plan);
    r.run_to_end().unwrap();
    let t: Vec<String> = r.trace().events.iter().map(|e| r.describe(e)).collect();
    assert!(
        t.iter().any(|l| l.starts_with("Redis (sessions) DOWN")),
        "{t:?}"
    );
}

#[test]
fn instance_names_are_checked() {
    for (services, want) in [
        (r#"["redis", "redis"]"#, "listed twice"),
        (r#"["redis", "two words:redis"]"#, "one word"),
        (
            r#"["postgres", "db2:postgres"]"#,
            "a second PostgreSQL is not supported",
        ),
        (r#"["x:mongo"]"#, "no service named \"mongo\""),
    ] {
        let text = TEXT.replace(r#"["redis", "sessions:redis"]"#, services);
        let errs = lesson::parse("i", "i.toml", &text).expect_err(services);
        assert!(
            errs.iter().any(|e| e.message.contains(want)),
            "{services}: {errs:?}"
        );
    }
}
