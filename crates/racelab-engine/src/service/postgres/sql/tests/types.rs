//! Names, types, casts, integer ranges, NULLs, parameters, RETURNING and DDL details.

use super::*;

#[test]
fn undefined_objects() {
    let (mut db, a, _) = bank();
    let e = fails(&mut db, a, "SELECT * FROM nope");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P01", "relation \"nope\" does not exist")
    );
    let e = fails(&mut db, a, "SELECT balanse FROM accounts");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42703", "column \"balanse\" does not exist")
    );
    let e = fails(&mut db, a, "UPDATE accounts SET nope = 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "42703",
            "column \"nope\" of relation \"accounts\" does not exist"
        )
    );
    let e = fails(&mut db, a, "INSERT INTO accounts (id, nope) VALUES (1, 2)");
    assert_eq!(e.code, "42703");
    let e = fails(&mut db, a, "SELECT a.id FROM accounts");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P01", "missing FROM-clause entry for table \"a\"")
    );
    assert_eq!(
        ok(&mut db, a, "SELECT a.id FROM accounts a").rows,
        vec![vec![int(1)]]
    );
    let e = fails(&mut db, a, "CREATE TABLE accounts (id int)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P07", "relation \"accounts\" already exists")
    );
    // check() reports the same codes without executing.
    assert_eq!(
        db.check(&p("SELECT x FROM accounts")).map_err(|e| e.code),
        Err("42703".into())
    );
    assert_eq!(
        db.check(&p("DELETE FROM nope")).map_err(|e| e.code),
        Err("42P01".into())
    );
    assert_eq!(
        db.check(&p("UPDATE accounts SET balance = $1 WHERE id = $2")),
        Ok(())
    );
}

#[test]
fn params_are_interpolated_like_psycopg2() {
    let (mut db, a, _) = bank();
    let sel = "SELECT balance FROM accounts WHERE balance = $1";
    assert_eq!(
        ok_with(&mut db, a, sel, &[text("500")]).rows,
        vec![vec![int(500)]]
    );
    assert_eq!(
        ok_with(&mut db, a, sel, &[int(500)]).rows,
        vec![vec![int(500)]]
    );
    assert_eq!(ok_with(&mut db, a, sel, &[Value::Null]).tag, "SELECT 0");
    let e = fails_with(&mut db, a, sel, &[text("abc")]);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22P02", "invalid input syntax for type integer: \"abc\"")
    );
    let e = fails_with(&mut db, a, sel, &[Value::Bool(true)]);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42883", "operator does not exist: integer = boolean")
    );
    let e = fails_with(&mut db, a, "SELECT $1, $3", &[int(1), int(2)]);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P02", "there is no parameter $3")
    );
    // Text parameters into a text column, and the `'...'` vs int column mismatch.
    ok(
        &mut db,
        a,
        "CREATE TABLE users (name text PRIMARY KEY, age int)",
    );
    ok_with(
        &mut db,
        a,
        "INSERT INTO users VALUES ($1, $2)",
        &[text("ann"), text("42")],
    );
    assert_eq!(
        committed(&db, "SELECT name, age FROM users"),
        vec![vec![text("ann"), int(42)]]
    );
    let e = fails(&mut db, a, "SELECT * FROM users WHERE age = name");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42883", "operator does not exist: integer = text")
    );
    let e = fails_with(&mut db, a, "SELECT * FROM users WHERE name = $1", &[int(1)]);
    assert_eq!(e.message, "operator does not exist: text = integer");
}

#[test]
fn integer_ranges_and_arithmetic() {
    let (mut db, a, _) = bank();
    let e = fails(&mut db, a, "UPDATE accounts SET balance = 2147483647 + 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22003", "integer out of range")
    );
    let e = fails(&mut db, a, "UPDATE accounts SET balance = 3000000000");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22003", "integer out of range")
    );
    let e = fails_with(
        &mut db,
        a,
        "UPDATE accounts SET balance = $1",
        &[text("3000000000")],
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "22003",
            "value \"3000000000\" is out of range for type integer"
        )
    );
    assert_eq!(
        ok(
            &mut db,
            a,
            "SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 2 + 3 * 4, (2 + 3) * 4"
        )
        .rows,
        vec![vec![int(3), int(-3), int(1), int(-1), int(14), int(20)]]
    );
    assert_eq!(
        ok(&mut db, a, "SELECT 3000000000 + 1").rows,
        vec![vec![int(3000000001)]]
    );
    ok(&mut db, a, "CREATE TABLE small (x smallint)");
    let e = fails(&mut db, a, "INSERT INTO small VALUES (40000)");
    assert_eq!(e.message, "smallint out of range");
    let e = fails(&mut db, a, "SELECT 1 % 0");
    assert_eq!(e.code, "22012");
}

#[test]
fn three_valued_logic_and_null_handling() {
    let (mut db, a, _) = bank();
    ok(
        &mut db,
        a,
        "CREATE TABLE t (id int PRIMARY KEY, v int, s text)",
    );
    ok(
        &mut db,
        a,
        "INSERT INTO t VALUES (1, NULL, 'x'), (2, 5, NULL), (3, 7, 'y')",
    );
    let ids = |db: &mut Db, w: &str| -> Vec<Vec<Value>> {
        ok(db, a, &format!("SELECT id FROM t WHERE {w} ORDER BY id")).rows
    };
    assert_eq!(ids(&mut db, "v > 4"), vec![vec![int(2)], vec![int(3)]]);
    assert_eq!(ids(&mut db, "NOT (v > 6)"), vec![vec![int(2)]]);
    assert_eq!(ids(&mut db, "v IS NULL"), vec![vec![int(1)]]);
    assert_eq!(
        ids(&mut db, "v IS NULL OR v = 7"),
        vec![vec![int(1)], vec![int(3)]]
    );
    assert_eq!(
        ids(&mut db, "v = 5 OR s = 'x'"),
        vec![vec![int(1)], vec![int(2)]]
    );
    assert_eq!(
        ids(&mut db, "id IN (1, 3)"),
        vec![vec![int(1)], vec![int(3)]]
    );
    assert_eq!(ids(&mut db, "id NOT IN (1, 3)"), vec![vec![int(2)]]);
    assert_eq!(ids(&mut db, "v NOT IN (5, NULL)"), Vec::<Vec<Value>>::new());
    assert_eq!(
        ids(&mut db, "id BETWEEN 2 AND 3"),
        vec![vec![int(2)], vec![int(3)]]
    );
    assert_eq!(
        ok(&mut db, a, "SELECT id, v FROM t ORDER BY v DESC").rows,
        vec![
            vec![int(1), Value::Null],
            vec![int(3), int(7)],
            vec![int(2), int(5)]
        ]
    );
    assert_eq!(
        ok(
            &mut db,
            a,
            "SELECT id FROM t ORDER BY id DESC LIMIT 1 OFFSET 1"
        )
        .rows,
        vec![vec![int(2)]]
    );
    let e = fails(&mut db, a, "SELECT id FROM t WHERE v");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "42804",
            "argument of WHERE must be type boolean, not type integer"
        )
    );
    let e = fails(&mut db, a, "INSERT INTO t (v) VALUES (1)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "23502",
            "null value in column \"id\" of relation \"t\" violates not-null constraint"
        )
    );
    let r = ok(
        &mut db,
        a,
        "SELECT v::text, s || '!' AS shout, 5::int, true FROM t WHERE id = 2",
    );
    assert_eq!(r.columns, vec!["v", "shout", "int4", "bool"]);
    assert_eq!(
        r.rows,
        vec![vec![text("5"), Value::Null, int(5), Value::Bool(true)]]
    );
}

#[test]
fn returning_and_delete() {
    let (mut db, a, _) = bank();
    let r = ok(
        &mut db,
        a,
        "UPDATE accounts SET balance = balance + 1 WHERE id = 1 RETURNING balance",
    );
    assert_eq!(
        (r.tag.as_str(), r.rows.clone()),
        ("UPDATE 1", vec![vec![int(501)]])
    );
    let r = ok(&mut db, a, "INSERT INTO accounts VALUES (2, 5) RETURNING *");
    assert_eq!(r.columns, vec!["id", "balance"]);
    assert_eq!(r.rows, vec![vec![int(2), int(5)]]);
    let r = ok(
        &mut db,
        a,
        "DELETE FROM accounts WHERE balance < 100 RETURNING id",
    );
    assert_eq!(
        (r.tag.as_str(), r.rows.clone()),
        ("DELETE 1", vec![vec![int(2)]])
    );
    assert_eq!(
        ok(&mut db, a, "DELETE FROM accounts WHERE id = 99").tag,
        "DELETE 0"
    );
}

#[test]
fn table_without_primary_key() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(&mut db, s, "CREATE TABLE log (msg text)");
    ok(&mut db, s, "INSERT INTO log VALUES ('a'), ('a')");
    let t = &db.tables()[0];
    assert!(t.key_columns.is_empty());
    let keys: Vec<&str> = t.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, vec!["(0,1)", "(0,2)"]);
    assert_eq!(ok(&mut db, s, "SELECT msg FROM log").rows.len(), 2);
}

#[test]
fn assignment_types_and_ddl_details() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE budget (account_id int, category varchar(5), amount bigint, ok boolean, \
         CONSTRAINT budget_key PRIMARY KEY (account_id, category))",
    );
    let r = ok(&mut db, s, "CREATE TABLE IF NOT EXISTS budget (x int)");
    assert_eq!(r.tag, "CREATE TABLE");
    assert_eq!(
        (r.notices[0].severity, r.notices[0].code.as_str()),
        ("NOTICE", "42P07")
    );
    assert_eq!(
        db.check(&p("CREATE TABLE budget (x int)"))
            .map_err(|e| e.code),
        Err("42P07".to_string())
    );
    ok(
        &mut db,
        s,
        "INSERT INTO budget VALUES (1, 'FOOD', 10, 'yes')",
    );
    assignment_errors_on_budget(&mut db, s);
    ok(
        &mut db,
        s,
        "INSERT INTO budget VALUES (1, 'RENT', 7, false), (0, 'FOOD', 3, NULL)",
    );
    let r = ok(
        &mut db,
        s,
        "SELECT category AS c, amount FROM budget ORDER BY c DESC, 2",
    );
    assert_eq!(
        r.rows,
        vec![
            vec![text("RENT"), int(7)],
            vec![text("FOOD"), int(3)],
            vec![text("FOOD"), int(10)]
        ]
    );
    let keys: Vec<String> = db.tables()[0].rows.iter().map(|r| r.key.clone()).collect();
    assert_eq!(keys, vec!["(0, FOOD)", "(1, FOOD)", "(1, RENT)"]);
    assert_eq!(db.tables()[0].key_columns, vec!["account_id", "category"]);
    let e = fails(&mut db, s, "SELECT * FROM budget ORDER BY 9");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42P10", "ORDER BY position 9 is not in select list")
    );
    let e = fails(&mut db, s, "SELECT * FROM budget LIMIT -1");
    assert_eq!(e.code, "2201W");
}

/// The errors of writes into `budget` (from `assignment_types_and_ddl_details`): unique key,
/// varchar length, assignment types, boolean input, primary-key update.
fn assignment_errors_on_budget(db: &mut Db, s: SessionId) {
    let e = fails(db, s, "INSERT INTO budget VALUES (1, 'FOOD', 1, true)");
    assert_eq!(
        e.message,
        "duplicate key value violates unique constraint \"budget_key\""
    );
    let e = fails(db, s, "INSERT INTO budget VALUES (2, 'TOOLONG', 1, true)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("22001", "value too long for type character varying(5)")
    );
    let e = fails(db, s, "UPDATE budget SET ok = 1");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "42804",
            "column \"ok\" is of type boolean but expression is of type integer"
        )
    );
    let e = fails(db, s, "UPDATE budget SET amount = category");
    assert_eq!(
        e.message,
        "column \"amount\" is of type bigint but expression is of type character varying"
    );
    let e = fails(db, s, "UPDATE budget SET ok = 'maybe'");
    assert_eq!(
        e.message,
        "invalid input syntax for type boolean: \"maybe\""
    );
    assert!(fails(db, s, "UPDATE budget SET category = 'X'").is_not_supported());
}
