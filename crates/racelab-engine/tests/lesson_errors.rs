//! Malformed lessons end in messages that name file, line and column.

use racelab_engine::lesson;

const GOOD: &str = include_str!("../../../lessons/lost-update.toml");

fn first_error(text: &str) -> (usize, usize, String) {
    let errs = lesson::parse("x", "bad.toml", text).expect_err("must be rejected");
    let e = &errs[0];
    assert_eq!(e.at.file, "bad.toml");
    (e.at.line, e.at.col, e.message.clone())
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

#[test]
fn toml_syntax_error() {
    let text = GOOD.replace("title = \"Lost", "title = Lost");
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "title = Lost"));
    assert!(!msg.is_empty());
}

#[test]
fn unknown_key() {
    let text = GOOD.replace("[timing]\nsql = 5", "[timing]\nsql = 5\ndb = 7");
    let (line, col, msg) = first_error(&text);
    assert_eq!((line, col), (line_of(&text, "db = 7"), 1));
    assert!(msg.contains("db"), "{msg}");
}

#[test]
fn script_error_points_into_the_script() {
    let text = GOOD.replacen("new = bal - 200", "new = bal - ", 1);
    let (line, col, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "new = bal - "));
    assert_eq!(col, 12, "just after the dangling minus");
    assert!(msg.contains("expected a value"), "{msg}");
}

#[test]
fn unsupported_sql_in_a_script() {
    let text = GOOD.replacen(
        "bal = SELECT balance FROM category_balance WHERE",
        "bal = SELECT balance FROM category_balance JOIN x ON true WHERE",
        1,
    );
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "JOIN x"));
    assert!(msg.contains("not supported by the simulator"), "{msg}");
}

#[test]
fn unknown_column_is_found_at_check_time() {
    let text = GOOD.replacen(
        "UPDATE category_balance SET balance",
        "UPDATE category_balance SET balanse",
        1,
    );
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "SET balanse"));
    assert!(msg.contains("42703") && msg.contains("balanse"), "{msg}");
}

#[test]
fn bad_setup_sql() {
    let text = GOOD.replace(
        "INSERT INTO category_balance VALUES",
        "INSERT INTO category_balanse VALUES",
    );
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "INSERT INTO category_balanse"));
    assert!(msg.contains("42P01"), "{msg}");
}

#[test]
fn unknown_script_and_assertion_names() {
    let text = GOOD.replacen("script = \"debit\"", "script = \"debitt\"", 1);
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "\"debitt\""));
    assert!(msg.contains("no script named \"debitt\""), "{msg}");

    let text = GOOD.replacen("balance-is-100 = \"fail\"", "balance-is-10 = \"fail\"", 1);
    let (_, _, msg) = first_error(&text);
    assert!(
        msg.contains("no assertion with id \"balance-is-10\""),
        "{msg}"
    );
}

#[test]
fn every_shipped_lesson_parses() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../lessons")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let slug = path.file_stem().unwrap().to_str().unwrap();
            match lesson::parse(slug, &path.display().to_string(), &text) {
                Err(e) => panic!(
                    "{}",
                    e.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
                // What `racelab check` verifies: each variant's `expect` table still holds.
                Ok(l) => {
                    let wrong = racelab_engine::run::check_expectations(&std::sync::Arc::new(l));
                    assert!(wrong.is_empty(), "{wrong:?}");
                }
            }
        }
    }
}

#[test]
fn no_prefix_or_mangled_line_of_a_lesson_panics() {
    // Every prefix of the file (cut at a char boundary) must parse or fail with located errors.
    let cuts: Vec<usize> = GOOD.char_indices().map(|(i, _)| i).step_by(7).collect();
    for cut in cuts {
        if let Err(errs) = lesson::parse("x", "cut.toml", &GOOD[..cut]) {
            assert!(!errs.is_empty());
            assert!(errs.iter().all(|e| e.at.line >= 1 && e.at.col >= 1));
        }
    }
    // Each script line replaced by odd text: still no panic, and the error names a line.
    let junk = [
        "",
        ":",
        "if:",
        "a, = SELECT 1",
        "sleep -1",
        "x = 'é",
        "bal = SELECT ÿ",
        "= 1",
        "else",
    ];
    for (n, line) in GOOD
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("new = "))
    {
        for j in junk {
            let mut lines: Vec<&str> = GOOD.lines().collect();
            lines[n] = j;
            let text = lines.join("\n");
            if let Err(errs) = lesson::parse("x", "m.toml", &text) {
                assert!(errs[0].at.line >= 1, "{line} → {j}: {:?}", errs[0]);
            }
        }
    }
}

#[test]
fn no_mangled_line_of_a_multi_service_lesson_panics() {
    // Every script line of the stale-cache lesson replaced by odd text for each service: the
    // lesson parses or fails with located errors, and what parses runs to its end.
    let text = include_str!("../../../lessons/stale-cache.toml");
    let junk = [
        "redis",
        "redis GET",
        "redis GET {",
        "redis SET k {nope}",
        "redis EVAL 'return 1' 0",
        "redis RECEIVE x",
        "x = redis MGET a b c",
        "aerospike PUT k",
        "zk LOCK",
        "cql SELECT * FROM t WHERE",
        "cql UPDATE t SET a = 1 WHERE id = 1 IF",
        "try:",
        "except 1:",
        "retry",
        "x = field('{', 'a')",
        "x = int(",
    ];
    let lines: Vec<&str> = text.lines().collect();
    for (n, _) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("price = "))
    {
        for j in junk {
            let mut mangled = lines.clone();
            mangled[n] = j;
            let t = mangled.join("\n");
            match lesson::parse("x", "m.toml", &t) {
                Err(errs) => assert!(errs[0].at.line >= 1, "{j}: {:?}", errs[0]),
                Ok(l) => {
                    let mut r =
                        racelab_engine::Run::new(std::sync::Arc::new(l), 0, Default::default());
                    assert!(r.run_to_end().is_ok(), "{j}");
                }
            }
        }
    }
}

#[test]
fn observations_need_exactly_one_source_and_known_names() {
    let text = GOOD.replacen("locks = true", "locks = true\nsql = \"SELECT 1\"", 1);
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "id = \"locks\""));
    assert!(msg.contains("exactly one of"), "{msg}");
    let text = GOOD.replacen("locks = true", "var = \"T9.bal\"", 1);
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "T9.bal"));
    assert!(msg.contains("CLIENT.name"), "{msg}");
    let text = GOOD.replacen("locks = true", "locks = true\ncolour = \"red\"", 1);
    let (line, _, msg) = first_error(&text);
    assert_eq!(line, line_of(&text, "colour"));
    assert!(msg.contains("colour"), "{msg}");
}

#[test]
fn a_tally_that_is_not_one_is_located() {
    let text = GOOD.replacen("tally = \"1 ok / 38 bad\"", "tally = \"1 ok\"", 1);
    let (line, col, msg) = first_error(&text);
    assert_eq!((line, col), (line_of(&text, "tally = \"1 ok\""), 9));
    assert!(msg.contains("3 ok / 4 bad"), "{msg}");
}

#[test]
fn an_error_in_a_script_two_clients_share_is_reported_once() {
    let text = r#"
title = "dup"
setup = '''
CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL);
'''
[scripts]
s = '''
x = SELECT nope FROM t WHERE id = 1
y = 1 +
'''
[[client]]
name = "A"
script = "s"
vars = { a = 1 }
[[client]]
name = "B"
script = "s"
vars = { b = 2 }
[[client]]
name = "R"
script = "s"
count = 50
"#;
    // A script that does not compile, and one whose SQL names a missing column.
    for (text, want) in [
        (text.to_string(), "d.toml:9:8: expected a value here"),
        (
            text.replace("y = 1 +\n", ""),
            "d.toml:8:1: ERROR 42703: column \"nope\" does not exist",
        ),
    ] {
        let errs = lesson::parse("d", "d.toml", &text).unwrap_err();
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(lines, vec![want.to_string()]);
    }
}
