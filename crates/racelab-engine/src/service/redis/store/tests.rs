//! The simulated Redis on its own: replies, expiry in virtual time, transactions.

use super::*;

fn run(s: &mut Store, conn: Conn, line: &str, now: u64) -> Resp {
    let words: Vec<String> = line.split_whitespace().map(String::from).collect();
    s.exec(conn, &words, now)
}

#[test]
fn set_get_and_expiry_follow_the_virtual_clock() {
    let mut s = Store::new();
    assert_eq!(run(&mut s, 0, "SET k v EX 10", 0), Resp::ok());
    assert_eq!(run(&mut s, 0, "TTL k", 0), Resp::Int(10));
    assert_eq!(run(&mut s, 0, "PTTL k", 4_000), Resp::Int(6_000));
    assert_eq!(
        run(&mut s, 0, "TTL k", 4_400),
        Resp::Int(6),
        "rounded to the nearest second"
    );
    assert_eq!(
        run(&mut s, 0, "GET k", 10_000),
        Resp::Bulk("v".into()),
        "still there at its expiry ms"
    );
    assert_eq!(s.next_deadline(), Some(10_001));
    assert_eq!(run(&mut s, 0, "GET k", 10_001), Resp::Nil);
    assert_eq!(s.stats.expired, 1);
    assert_eq!((s.stats.hits, s.stats.misses), (1, 1));
}

#[test]
fn nx_xx_get_and_wrong_types() {
    let mut s = Store::new();
    assert_eq!(run(&mut s, 0, "SET k a XX", 0), Resp::Nil);
    assert_eq!(run(&mut s, 0, "SET k a NX", 0), Resp::ok());
    assert_eq!(run(&mut s, 0, "SET k b NX GET", 0), Resp::Bulk("a".into()));
    assert_eq!(run(&mut s, 0, "SET k b NX XX", 0), Resp::syntax());
    assert_eq!(run(&mut s, 0, "HSET h f v", 0), Resp::Int(1));
    assert_eq!(run(&mut s, 0, "GET h", 0), Resp::wrong_type());
    assert_eq!(run(&mut s, 0, "INCR k", 0), Resp::not_integer());
    assert_eq!(
        run(&mut s, 0, "GETT k", 0),
        Resp::err("unknown command 'GETT', with args beginning with: 'k' ")
    );
    assert_eq!(
        run(&mut s, 0, "GET", 0),
        Resp::err("wrong number of arguments for 'get' command")
    );
}

#[test]
fn watch_multi_exec_fails_when_another_connection_changed_the_key() {
    let mut s = Store::new();
    run(&mut s, 0, "SET bal 500", 0);
    assert_eq!(run(&mut s, 1, "WATCH bal", 0), Resp::ok());
    assert_eq!(run(&mut s, 1, "MULTI", 0), Resp::ok());
    assert_eq!(
        run(&mut s, 1, "SET bal 300", 0),
        Resp::Simple("QUEUED".into())
    );
    run(&mut s, 0, "SET bal 400", 0);
    assert_eq!(run(&mut s, 1, "EXEC", 0), Resp::NilArray);
    assert_eq!(run(&mut s, 1, "GET bal", 0), Resp::Bulk("400".into()));
    // Without interference EXEC runs the queue.
    run(&mut s, 1, "WATCH bal", 0);
    run(&mut s, 1, "MULTI", 0);
    run(&mut s, 1, "INCRBY bal 5", 0);
    assert_eq!(run(&mut s, 1, "EXEC", 0), Resp::Array(vec![Resp::Int(405)]));
}

#[test]
fn the_unlock_script_deletes_only_its_own_token() {
    let mut s = Store::new();
    let eval = |token: &str| {
        vec![
            "EVAL".to_string(),
            UNLOCK_SCRIPT.to_string(),
            "1".into(),
            "lock".into(),
            token.to_string(),
        ]
    };
    run(&mut s, 0, "SET lock mine NX PX 30000", 0);
    assert_eq!(s.exec(1, &eval("theirs"), 0), Resp::Int(0));
    assert_eq!(s.exec(0, &eval("mine"), 0), Resp::Int(1));
    assert_eq!(run(&mut s, 0, "EXISTS lock", 0), Resp::Int(0));
}
