//! The `racelab` binary as course authors use it.

mod common;

use common::{lesson, lesson_path, racelab, text};

#[test]
fn check_accepts_the_shipped_lesson() {
    let out = racelab(&["check", &lesson()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with(": ok\n"));
}

#[test]
fn check_rejects_a_malformed_lesson_with_a_located_message() {
    let dir = std::env::temp_dir().join(format!("racelab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    let good = std::fs::read_to_string(lesson()).unwrap();
    std::fs::write(
        &bad,
        good.replacen("new = bal - 200", "new = bal -* 200", 1),
    )
    .unwrap();
    let line = good
        .lines()
        .position(|l| l.contains("new = bal - 200"))
        .unwrap()
        + 1;
    let out = racelab(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let want = format!("{}:{line}:12: expected a value, found `*`", bad.display());
    assert!(err.contains(&want), "wanted {want:?} in:\n{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_reports_a_missing_file() {
    let out = racelab(&["check", "no/such/lesson.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("no/such/lesson.toml: cannot read"));
}

#[test]
fn run_naive_fails_with_the_lost_update() {
    let out = racelab(&["run", &lesson(), "--variant", "naive"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL    balance-is-100: Two debits of 200 from 500 leave a balance of 100 (got 300, expected 100)"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS    within-timeout"), "{stdout}");
    // The final table shows the lost update.
    assert!(stdout.contains("1           'FOOD'       300"), "{stdout}");
}

#[test]
fn run_for_update_passes() {
    let out = racelab(&["run", &lesson(), "--variant", "for update"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("T2   done at 40 ms"), "{stdout}");
    assert!(stdout.contains("is locked by T1"), "{stdout}");
}

#[test]
fn run_with_a_schedule_and_an_injected_exit() {
    let out = racelab(&[
        "run",
        &lesson(),
        "--variant",
        "for-update",
        "--schedule",
        "T2,T2",
        "--inject",
        "exit@T2:3",
    ]);
    let stdout = text(&out.stdout);
    // T2 takes the lock first, then dies before computing: T1 proceeds alone.
    assert!(stdout.contains("EXIT injected"), "{stdout}");
    assert!(stdout.contains("T2   crashed at"), "{stdout}");
    assert!(stdout.contains("FAIL    within-timeout: Every request finishes within the 100 ms request timeout (T2 crashed and never answered)"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn run_with_an_exit_after_commit_keeps_the_commit() {
    let out = racelab(&[
        "run",
        &lesson(),
        "--variant",
        "for-update",
        "--inject",
        "exit-after@T1:5",
    ]);
    let stdout = text(&out.stdout);
    // T1's COMMIT took effect before it died: both debits land.
    assert!(
        stdout.contains("faults:  exit-after after T1:5"),
        "{stdout}"
    );
    assert!(stdout.contains("EXIT injected after the line"), "{stdout}");
    assert!(stdout.contains("PASS    balance-is-100"), "{stdout}");
    assert!(stdout.contains("T1 crashed and never answered"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn run_prints_every_service_and_its_health() {
    let stale = lesson_path("stale-cache.toml");
    let out = racelab(&[
        "run",
        &stale,
        "--variant",
        "cache-aside",
        "--inject",
        "down=redis@READER:5",
    ]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Redis DOWN: from now on every call"),
        "{stdout}"
    );
    assert!(stdout.contains("(Redis is down)"), "{stdout}");
    assert!(stdout.contains("  redis\n"), "{stdout}");
    assert!(stdout.contains("product:laptop-x1"), "{stdout}");
    assert!(stdout.contains("hits "), "{stdout}");
}

#[test]
fn bad_usage_exits_2_with_a_reason() {
    let out = racelab(&["run", &lesson(), "--inject", "explode@T1:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exit@CLIENT:LINE"));
    let out = racelab(&["run", &lesson(), "--variant", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(
        "no variant \"nope\" (variants: naive, for update, repeatable read, atomic update)"
    ));
    let out = racelab(&["run", &lesson(), "--schedule", "T9"]);
    assert_eq!(out.status.code(), Some(2));
    let out = racelab(&[]);
    assert_eq!(out.status.code(), Some(2));
}
