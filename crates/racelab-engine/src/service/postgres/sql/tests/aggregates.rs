//! Aggregates, GROUP BY and HAVING.

use super::*;

/// `t(id, g, v)` with (1, a, 10), (2, a, NULL), (3, b, 30), (4, NULL, 5).
fn grouped() -> (Db, SessionId) {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE t (id int PRIMARY KEY, g text, v int)",
    );
    ok(
        &mut db,
        s,
        "INSERT INTO t VALUES (1, 'a', 10), (2, 'a', NULL), (3, 'b', 30), (4, NULL, 5)",
    );
    (db, s)
}

#[test]
fn aggregates_skip_nulls_and_name_their_columns() {
    let (mut db, s) = grouped();
    let r = ok(
        &mut db,
        s,
        "SELECT count(*), count(v), sum(v), min(v), max(v), count(DISTINCT g) FROM t",
    );
    assert_eq!(r.columns, ["count", "count", "sum", "min", "max", "count"]);
    assert_eq!(
        r.rows,
        vec![vec![int(4), int(3), int(45), int(5), int(30), int(2)]]
    );
}

#[test]
fn no_rows_make_one_group_without_group_by_and_none_with_it() {
    let (mut db, s) = grouped();
    let r = ok(
        &mut db,
        s,
        "SELECT count(*), sum(v), max(g) FROM t WHERE false",
    );
    assert_eq!(r.rows, vec![vec![int(0), Value::Null, Value::Null]]);
    let r = ok(
        &mut db,
        s,
        "SELECT g, count(*) FROM t WHERE false GROUP BY g",
    );
    assert!(r.rows.is_empty());
    let r = ok(
        &mut db,
        s,
        "SELECT coalesce(sum(v), 0) AS total FROM t WHERE false",
    );
    assert_eq!(
        (r.columns, r.rows),
        (vec!["total".to_string()], vec![vec![int(0)]])
    );
}

#[test]
fn group_by_having_order_by() {
    let (mut db, s) = grouped();
    let r = ok(
        &mut db,
        s,
        "SELECT g, sum(v) AS s FROM t GROUP BY g HAVING count(*) >= 1 ORDER BY s DESC NULLS LAST, g",
    );
    assert_eq!(
        r.rows,
        vec![
            vec![text("b"), int(30)],
            vec![text("a"), int(10)],
            vec![Value::Null, int(5)],
        ]
    );
    let r = ok(
        &mut db,
        s,
        "SELECT g FROM t GROUP BY 1 HAVING sum(v) > 9 ORDER BY 1",
    );
    assert_eq!(r.rows, vec![vec![text("a")], vec![text("b")]]);
    // Grouping by the primary key makes every column available.
    let r = ok(
        &mut db,
        s,
        "SELECT id, v FROM t GROUP BY id ORDER BY id LIMIT 1",
    );
    assert_eq!(r.rows, vec![vec![int(1), int(10)]]);
}

#[test]
fn grouping_errors() {
    let (mut db, s) = grouped();
    let cases = [
        (
            "SELECT g, v FROM t GROUP BY g",
            "42803",
            "column \"t.v\" must appear in the GROUP BY clause or be used in an aggregate function",
        ),
        (
            "SELECT x.v FROM t x HAVING count(*) > 0",
            "42803",
            "column \"x.v\" must appear in the GROUP BY clause or be used in an aggregate function",
        ),
        (
            "SELECT sum(g) FROM t",
            "42883",
            "function sum(text) does not exist",
        ),
    ];
    for (sql, code, message) in cases {
        let e = fails(&mut db, s, sql);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (code, message),
            "{sql}"
        );
    }
    let e = prepare("SELECT count(*) FROM t FOR UPDATE").unwrap_err();
    assert_eq!(
        e.message,
        "FOR UPDATE is not allowed with aggregate functions"
    );
    let e = prepare("SELECT count(sum(v)) FROM t").unwrap_err();
    assert_eq!(e.message, "aggregate function calls cannot be nested");
}

#[test]
fn aggregates_in_assertions() {
    let (db, _) = grouped();
    assert_eq!(
        committed(&db, "SELECT sum(v) FROM t WHERE g = 'a'"),
        vec![vec![int(10)]]
    );
}
