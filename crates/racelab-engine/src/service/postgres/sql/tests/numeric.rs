//! numeric / numeric(p, s) columns: exact decimals, scales, rounding, overflow.

use super::*;
use crate::numeric::Numeric;

fn num(s: &str) -> Value {
    Value::Num(Numeric::parse(s).unwrap())
}

#[test]
fn numeric_columns_keep_their_scale_and_round_half_away_from_zero() {
    let mut db = Db::new();
    let s = db.open_session();
    ok(
        &mut db,
        s,
        "CREATE TABLE account (id int PRIMARY KEY, balance numeric(10,2) NOT NULL)",
    );
    ok(
        &mut db,
        s,
        "INSERT INTO account VALUES (1, 100.5), (2, 7), (3, -1.005)",
    );
    assert_eq!(
        committed(&db, "SELECT balance FROM account ORDER BY id"),
        vec![vec![num("100.50")], vec![num("7.00")], vec![num("-1.01")]]
    );
    let r = ok(
        &mut db,
        s,
        "SELECT sum(balance), avg(id), max(balance) FROM account",
    );
    assert_eq!(
        r.rows,
        vec![vec![
            num("106.49"),
            num("2.0000000000000000"),
            num("100.50")
        ]]
    );
    let r = ok(
        &mut db,
        s,
        "UPDATE account SET balance = balance - 200 WHERE id = 1 RETURNING balance",
    );
    assert_eq!(r.rows, vec![vec![num("-99.50")]]);
}

#[test]
fn numeric_arithmetic_and_overflow() {
    let mut db = Db::new();
    let s = db.open_session();
    let r = ok(
        &mut db,
        s,
        "SELECT 100.50 * 1.5, 10.00 / 3, 1 / 3.0, round(2.5)",
    );
    assert_eq!(
        r.rows,
        vec![vec![
            num("150.750"),
            num("3.3333333333333333"),
            num("0.33333333333333333333"),
            num("3"),
        ]]
    );
    ok(
        &mut db,
        s,
        "CREATE TABLE p (id int PRIMARY KEY, price numeric(5,2))",
    );
    let e = fails(&mut db, s, "INSERT INTO p VALUES (1, 999.995)");
    assert_eq!(
        (e.code.as_str(), e.message.as_str(), e.detail()),
        (
            "22003",
            "numeric field overflow",
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        )
    );
    let e = fails(&mut db, s, "SELECT 1.5 / 0");
    assert_eq!(e.code, "22012");
}
