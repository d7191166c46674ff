//! `[[goal]]`: break-it and fix-it challenges, and `racelab check`'s proof that each is winnable.

use racelab_engine::explore::expect::check_goals;
use racelab_engine::lesson::GoalKind;
use racelab_engine::{lesson, Lesson};
use std::sync::Arc;

const LOST_UPDATE: &str = include_str!("../../../lessons/lost-update.toml");

fn parse(text: &str) -> Result<Arc<Lesson>, Vec<racelab_engine::LessonError>> {
    lesson::parse("lost-update", "lost-update.toml", text).map(Arc::new)
}

#[test]
fn the_shipped_goals_read_and_are_winnable() {
    let l = parse(LOST_UPDATE).unwrap();
    assert_eq!(l.goals.len(), 3);
    assert!(matches!(l.goals[0].kind, GoalKind::Break { assert: 0 }));
    assert_eq!(l.goals[0].hints.len(), 3);
    assert_eq!(l.goals[1].kind, GoalKind::Fix);
    assert_eq!(l.goals[2].faults, "error");
    assert_eq!(
        check_goals(&l, || |_: &racelab_engine::explore::Progress| false),
        vec![]
    );
}

#[test]
fn an_unwinnable_goal_is_reported_at_its_line() {
    let goal = |kind: &str, variant: &str, extra: &str| {
        format!("{LOST_UPDATE}\n[[goal]]\nkind = \"{kind}\"\nvariant = \"{variant}\"\nsays = \"x\"\n{extra}\n")
    };
    let line = LOST_UPDATE.lines().count() + 3;
    // FOR UPDATE keeps every schedule at 100: nothing to break without faults.
    let l = parse(&goal("break", "for update", "assert = \"balance-is-100\"")).unwrap();
    let errs = check_goals(&l, || |_: &racelab_engine::explore::Progress| false);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].at.line, line);
    assert!(errs[0].message.contains("cannot be won: no schedule of variant \"for update\" makes \"balance-is-100\" fail (faults: none)"), "{errs:?}");
    // The naive variant loses a debit in some order: it is no fix.
    let l = parse(&goal("fix", "naive", "")).unwrap();
    let errs = check_goals(&l, || |_: &racelab_engine::explore::Progress| false);
    assert!(
        errs[0]
            .message
            .contains("variant \"naive\" still has 1 failing case(s)"),
        "{errs:?}"
    );
}

#[test]
fn a_malformed_goal_is_a_located_error() {
    let cases = [
        (
            "kind = \"win\"\nvariant = \"naive\"",
            "a goal's kind is \"break\" or \"fix\", not \"win\"",
        ),
        (
            "kind = \"break\"\nvariant = \"naive\"",
            "a \"break\" goal names the assertion",
        ),
        (
            "kind = \"break\"\nvariant = \"nope\"\nassert = \"balance-is-100\"",
            "no variant \"nope\"",
        ),
        (
            "kind = \"break\"\nvariant = \"naive\"\nassert = \"nope\"",
            "no assertion with id \"nope\"",
        ),
        (
            "kind = \"fix\"\nvariant = \"naive\"\nassert = \"balance-is-100\"",
            "names no assertion",
        ),
    ];
    for (body, want) in cases {
        let text = format!("{LOST_UPDATE}\n[[goal]]\n{body}\nsays = \"x\"\n");
        let errs = parse(&text).unwrap_err();
        assert!(
            errs.iter().any(|e| e.message.contains(want)),
            "{body}: {errs:?}"
        );
        assert!(
            errs.iter().all(|e| e.at.line > LOST_UPDATE.lines().count()),
            "{errs:?}"
        );
    }
}
