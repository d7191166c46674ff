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
