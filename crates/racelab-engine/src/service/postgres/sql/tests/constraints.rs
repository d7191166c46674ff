//! CHECK constraints and DEFAULT values.

use super::*;

#[test]
fn check_constraints_are_named_and_tested_on_insert_and_update() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE account (id int PRIMARY KEY, balance int CHECK (balance >= 0), \
         kind text CONSTRAINT kind_ok CHECK (kind IN ('a', 'b')))",
    );
    ok(&mut db, s, "INSERT INTO account VALUES (1, 100, 'a')");
    let e = fails(&mut db, s, "INSERT INTO account VALUES (2, -1, 'a')");
    assert_eq!(
        (e.code.as_str(), e.message.as_str(), e.detail()),
        (
            "23514",
            "new row for relation \"account\" violates check constraint \"account_balance_check\"",
            Some("Failing row contains (2, -1, a).")
        )
    );
    let e = fails(&mut db, s, "UPDATE account SET kind = 'z'");
    assert!(e.message.ends_with("violates check constraint \"kind_ok\""));
    // NULL passes a CHECK.
    ok(&mut db, s, "INSERT INTO account VALUES (3, NULL, NULL)");
    assert_eq!(
        committed(&db, "SELECT id FROM account ORDER BY id"),
        vec![vec![int(1)], vec![int(3)]]
    );
}

#[test]
fn a_waiting_update_checks_the_row_it_finally_writes() {
    let mut db = Db::new();
    let setup = db.open_session();
    ok(
        &mut db,
        setup,
        "CREATE TABLE account (id int PRIMARY KEY, balance int NOT NULL CHECK (balance >= 0))",
    );
    ok(&mut db, setup, "INSERT INTO account VALUES (1, 300)");
    let (a, b) = (db.open_session(), db.open_session());
    ok(&mut db, a, "BEGIN");
    ok(
        &mut db,
        a,
        "UPDATE account SET balance = balance - 200 WHERE id = 1",
    );
    let sql = "UPDATE account SET balance = balance - 200 WHERE id = 1";
    blocked(db.execute(b, &p(sql), &[]));
    let d = done(db.execute(a, &p("COMMIT"), &[]));
    let woken = &d.woken[0];
    assert_eq!(woken.session, b);
    let e = woken.result.clone().unwrap_err();
    assert_eq!(e.code, "23514");
    assert_eq!(
        committed(&db, "SELECT balance FROM account"),
        vec![vec![int(100)]]
    );
}

#[test]
fn check_constraint_definition_errors() {
    let mut db = Db::new();
    let s = db.open_session();
    let cases = [
        (
            "CREATE TABLE c (id int CHECK (id))",
            "42804",
            "argument of CHECK must be type boolean, not type integer",
        ),
        (
            "CREATE TABLE c (id int CHECK (x > 0))",
            "42703",
            "column \"x\" does not exist",
        ),
        (
            "CREATE TABLE c (id int CONSTRAINT k CHECK (id > 0), CONSTRAINT k CHECK (id < 9))",
            "42710",
            "check constraint \"k\" already exists",
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
}

#[test]
fn defaults_fill_omitted_columns_default_keywords_and_default_values() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE item (id int DEFAULT 7, qty int NOT NULL DEFAULT 1, status text DEFAULT 'new', note text)",
    );
    let r = ok(
        &mut db,
        s,
        "INSERT INTO item (note) VALUES ('x') RETURNING *",
    );
    assert_eq!(r.rows, vec![vec![int(7), int(1), text("new"), text("x")]]);
    let r = ok(
        &mut db,
        s,
        "INSERT INTO item VALUES (1, DEFAULT, 'old') RETURNING *",
    );
    assert_eq!(r.rows, vec![vec![int(1), int(1), text("old"), Value::Null]]);
    let r = ok(
        &mut db,
        s,
        "INSERT INTO item DEFAULT VALUES RETURNING id, qty",
    );
    assert_eq!(r.rows, vec![vec![int(7), int(1)]]);
    let r = ok(
        &mut db,
        s,
        "UPDATE item SET status = DEFAULT, note = DEFAULT WHERE id = 1 RETURNING status, note",
    );
    assert_eq!(r.rows, vec![vec![text("new"), Value::Null]]);
    let e = prepare("INSERT INTO item (qty) VALUES (DEFAULT + 1)").unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("42601", "DEFAULT is not allowed in this context")
    );
    let e = fails(&mut db, s, "CREATE TABLE d (id int DEFAULT id + 1)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("0A000", "cannot use column reference in DEFAULT expression")
    );
}
