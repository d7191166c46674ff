//! Statement preparation: syntax errors, scripts, metadata, what is not modelled, odd inputs.

use super::*;

#[test]
fn not_supported_constructs_are_named() {
    let cases = [
        (
            "SELECT * FROM accounts a JOIN accounts b ON a.id = b.id",
            "JOIN",
        ),
        ("SELECT * FROM accounts, accounts", "JOIN"),
        (
            "SELECT * FROM accounts FOR UPDATE OF accounts",
            "FOR UPDATE OF",
        ),
        ("SELECT * FROM (SELECT 1) AS x", "subqueries"),
        ("SELECT id FROM accounts GROUP BY ROLLUP (id)", "ROLLUP"),
        (
            "SELECT string_agg(id::text, ',') FROM accounts",
            "string_agg()",
        ),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH"),
        ("DROP TABLE accounts", "DROP TABLE"),
        ("CREATE TABLE t (x real)", "REAL"),
        (
            "SELECT * FROM accounts WHERE id IN (SELECT 1)",
            "subqueries",
        ),
    ];
    for (sql, what) in cases {
        match prepare(sql) {
            Err(e) => {
                assert_eq!(e.code, NOT_SUPPORTED, "{sql}");
                assert!(e.message.contains(what), "{sql}: {}", e.message);
                assert!(
                    e.message.ends_with("is not supported by the simulator"),
                    "{sql}"
                );
            }
            Ok(_) => panic!("{sql} should not be supported"),
        }
    }
}

#[test]
fn syntax_errors_have_postgres_wording_and_position() {
    let e = prepare("SELECT * FORM accounts").unwrap_err();
    assert_eq!(e.code, "42601");
    assert_eq!(e.message, "syntax error at or near \"FORM\"");
    assert_eq!(e.position, Some((1, 10)));
    let e = prepare("SELECT * x FROM accounts").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.position),
        ("syntax error at or near \"x\"", Some((1, 10)))
    );
    let e = prepare("SELECT * FROM").unwrap_err();
    assert_eq!(e.message, "syntax error at end of input");
    let e =
        prepare_script("CREATE TABLE t (x int);\n\nUPDATE t SET x = 1 WHER x = 2;").unwrap_err();
    assert_eq!(e.code, "42601");
    assert_eq!(e.message, "syntax error at or near \"WHER\"");
    assert_eq!(e.position, Some((3, 20)));
    assert_eq!(
        prepare("SELECT 1; SELECT 2").map_err(|e| e.code),
        Err("42601".to_string())
    );
}

#[test]
fn prepare_script_reports_lines_and_texts() {
    let script = "CREATE TABLE t (\n  id int PRIMARY KEY\n);\n-- seed\nINSERT INTO t VALUES (1);\n\nINSERT INTO t VALUES (2)";
    let stmts = prepare_script(script).unwrap();
    let summary: Vec<(usize, &str, &str)> = stmts
        .iter()
        .map(|(l, p)| (*l, p.kind(), p.text()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                1,
                "CREATE TABLE",
                "CREATE TABLE t (\n  id int PRIMARY KEY\n)"
            ),
            (5, "INSERT", "INSERT INTO t VALUES (1)"),
            (7, "INSERT", "INSERT INTO t VALUES (2)"),
        ]
    );
    let e = prepare_script("BEGIN;\nSELECT * FROM a JOIN b ON true;").unwrap_err();
    assert!(e.is_not_supported());
    assert_eq!(e.position, Some((2, 1)));
}

#[test]
fn prepared_metadata() {
    let q = p("UPDATE accounts SET balance = $2 WHERE id = $1;");
    assert_eq!(q.text(), "UPDATE accounts SET balance = $2 WHERE id = $1;");
    assert_eq!(q.param_count(), 2);
    assert_eq!(q.kind(), "UPDATE");
    assert!(!q.is_read_only());
    let s = p("SELECT balance FROM accounts WHERE id = $1");
    assert!(s.is_read_only());
    assert_eq!(s.param_count(), 1);
    assert_eq!(p("begin").kind(), "BEGIN");
    assert_eq!(p("commit").kind(), "COMMIT");
    assert_eq!(p("select 1").clone(), p("select 1"));
}

#[test]
fn odd_inputs_never_panic() {
    let inputs = [
        "",
        ";",
        "SELECT",
        "SELECT $0",
        "SELECT $99999999999999999999",
        "SELECT 99999999999999999999",
        "SELECT 1.5",
        "SELECT -9223372036854775808",
        "SELECT 9223372036854775807 + 1",
        "SELECT -(-9223372036854775807 - 1)",
        "SELECT (-9223372036854775807 - 1) / -1",
        "SELECT (-2147483647 - 1) % -1",
        "SELECT 'a' + 'b'",
        "SELECT -'a'",
        "SELECT NOT 1",
        "SELECT 1 AND true",
        "SELECT 1 IN ('a', true)",
        "SELECT true::bigint",
        "SELECT 'x'::int",
        "SELECT 'é'::varchar(1), 'éé'::varchar(1)",
        "SELECT * FROM t",
        "SELECT t.* FROM accounts",
        "SELECT accounts.* FROM accounts a",
        "INSERT INTO accounts VALUES (1, 2, 3)",
        "INSERT INTO accounts (id, id) VALUES (1, 2)",
        "INSERT INTO accounts (id, balance) VALUES (1)",
        "INSERT INTO accounts VALUES (DEFAULT, 1)",
        "UPDATE accounts SET balance = 1, balance = 2",
        "SELECT * FROM accounts LIMIT 'x'",
        "SELECT * FROM accounts OFFSET -1",
        "CREATE TABLE z (a int, a int)",
        "CREATE TABLE z (a int PRIMARY KEY, b int PRIMARY KEY)",
        "CREATE TABLE z (a int, PRIMARY KEY (nope))",
        "CREATE TABLE z (a serial)",
        "SELECT 'unterminated",
        "ROLLBACK TO SAVEPOINT x",
        "SAVEPOINT x",
        "COMMIT AND CHAIN",
        "SELECT \u{0}",
    ];
    let (mut db, a, _) = bank();
    for sql in inputs {
        if let Ok(stmt) = prepare(sql) {
            let _ = db.check(&stmt);
            let _ = db.query_committed(&stmt, &[]);
            let _ = db.execute(a, &stmt, &[int(1)]);
            let _ = db.execute(a, &p("ROLLBACK"), &[]);
        }
    }
    let _ = prepare_script(&inputs.join(";\n"));
    assert_eq!(db.session_state(a), SessionState::Idle);
    assert_eq!(
        committed(&db, "SELECT * FROM accounts"),
        vec![vec![int(1), int(500)]]
    );
}

#[test]
fn locking_clauses_sqlparser_cannot_read_are_refused_not_called_syntax_errors() {
    for (sql, what) in [
        ("SELECT 1 FOR UPDATE", "without FROM"),
        ("SELECT 1 FOR KEY SHARE", "without FROM"),
        ("SELECT 1 FOR SHARE", "without FROM"),
    ] {
        let e = prepare(sql).expect_err(sql);
        assert_eq!(e.code, NOT_SUPPORTED, "{sql}: {e}");
        assert!(e.message.contains(what), "{sql}: {e}");
    }
    // A real syntax error right after FOR is still PostgreSQL's 42601.
    let e = prepare("SELECT * FROM t FOR BANANA").unwrap_err();
    assert_eq!(e.code, "42601");
}

#[test]
fn the_two_strengths_sqlparser_cannot_read_are_read_around_it() {
    use crate::sql::prepare::{LockWait, Stmt, Strength};
    for (sql, strength, wait) in [
        (
            "SELECT * FROM t FOR KEY SHARE",
            Strength::KeyShare,
            LockWait::Wait,
        ),
        (
            "SELECT * FROM t\n  FOR  NO\tKEY UPDATE SKIP LOCKED",
            Strength::NoKeyUpdate,
            LockWait::SkipLocked,
        ),
        (
            "SELECT * FROM t FOR no key update nowait",
            Strength::NoKeyUpdate,
            LockWait::NoWait,
        ),
        ("SELECT * FROM t FOR SHARE", Strength::Share, LockWait::Wait),
    ] {
        let p = prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let Stmt::Select(sel) = p.stmt() else {
            panic!("{sql}")
        };
        let lock = sel.lock.expect("a locking clause");
        assert_eq!((lock.strength, lock.wait), (strength, wait), "{sql}");
        // The statement keeps its text as written.
        assert_eq!(p.text(), sql);
    }
    // A statement after one with such a clause keeps its own (absent) clause, and positions
    // of later errors are unchanged.
    let all = prepare_script("SELECT * FROM t FOR KEY SHARE;\nSELECT * FROM t;").expect("script");
    let Stmt::Select(second) = all[1].1.stmt() else {
        panic!()
    };
    assert!(second.lock.is_none());
    let e = prepare("SELECT * FROM t FOR KEY SHARE WHERE").unwrap_err();
    assert_eq!((e.code.as_str(), e.position), ("42601", Some((1, 31))));
}
