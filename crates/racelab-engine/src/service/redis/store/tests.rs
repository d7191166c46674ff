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

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

fn array(items: &[&str]) -> Resp {
    Resp::Array(items.iter().map(|s| Resp::Bulk(s.to_string())).collect())
}

// Bugs found by the oracle (crates/racelab-oracle/redis), one test each.

#[test]
fn a_repeated_set_time_option_counts_the_last_one() {
    let mut s = Store::new();
    assert_eq!(run(&mut s, 0, "SET k v EX 10 EX 200", 0), Resp::ok());
    assert_eq!(run(&mut s, 0, "TTL k", 0), Resp::Int(200));
    assert_eq!(
        run(&mut s, 0, "SET k v EX 0 EX 5", 0),
        Resp::ok(),
        "only the last is checked"
    );
    assert_eq!(run(&mut s, 0, "SET k v PX 100 PX 300000", 0), Resp::ok());
    assert_eq!(run(&mut s, 0, "PTTL k", 0), Resp::Int(300_000));
    assert_eq!(run(&mut s, 0, "SET k v EX 10 PX 10", 0), Resp::syntax());
    assert_eq!(run(&mut s, 0, "SET k v PXAT 10 EXAT 10", 0), Resp::syntax());
}

#[test]
fn a_relative_time_past_64_bits_is_an_invalid_expire_time() {
    let mut s = Store::new();
    let invalid = |c: &str| Resp::err(format!("invalid expire time in '{c}' command"));
    assert_eq!(
        run(&mut s, 0, "SET k v PX 9223372036854775807", 5),
        invalid("set")
    );
    assert_eq!(
        run(&mut s, 0, "SET k v EX 9223372036854775", 1_000_000),
        invalid("set")
    );
    assert_eq!(
        run(&mut s, 0, "PSETEX k 9223372036854775807 v", 5),
        invalid("psetex")
    );
    assert_eq!(run(&mut s, 0, "EXISTS k", 5), Resp::Int(0));
}

#[test]
fn expire_reads_its_options_before_the_number() {
    let mut s = Store::new();
    run(&mut s, 0, "SET k v", 0);
    assert_eq!(
        run(&mut s, 0, "EXPIRE k abc Foo", 0),
        Resp::err("Unsupported option Foo")
    );
    assert_eq!(
        run(&mut s, 0, "EXPIRE k abc NX XX", 0),
        Resp::err("NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(run(&mut s, 0, "EXPIRE k abc", 0), Resp::not_integer());
}

#[test]
fn hset_checks_its_pairs_before_the_keys_type() {
    let mut s = Store::new();
    run(&mut s, 0, "SET s v", 0);
    assert_eq!(
        run(&mut s, 0, "HSET s f v g", 0),
        Resp::err("wrong number of arguments for 'hset' command")
    );
    assert_eq!(run(&mut s, 0, "HSET s f v", 0), Resp::wrong_type());
}

#[test]
fn hgetall_lists_a_small_hash_in_insertion_order() {
    let mut s = Store::new();
    run(&mut s, 0, "HSET h z 1 a 2 m 3", 0);
    assert_eq!(
        run(&mut s, 0, "HGETALL h", 0),
        array(&["z", "1", "a", "2", "m", "3"])
    );
    run(&mut s, 0, "HSET h a 9", 0);
    run(&mut s, 0, "HDEL h z", 0);
    run(&mut s, 0, "HSET h z 0", 0);
    assert_eq!(
        run(&mut s, 0, "HGETALL h", 0),
        array(&["a", "9", "m", "3", "z", "0"])
    );
    // The page still reads it sorted.
    let Some(Entry {
        value: Val::Hash(h),
        ..
    }) = s.keys.get("h")
    else {
        panic!("a hash")
    };
    assert_eq!(h.keys().collect::<Vec<_>>(), ["a", "m", "z"]);
}

#[test]
fn hgetall_of_a_hash_redis_keeps_as_a_hash_table_is_refused() {
    let mut s = Store::new();
    let mut w = words("HSET big");
    for i in 0..=LISTPACK_MAX_ENTRIES {
        w.push(format!("f{i}"));
        w.push("v".into());
    }
    assert_eq!(s.exec(0, &w, 0), Resp::Int(129));
    let refused = run(&mut s, 0, "HGETALL big", 0);
    assert!(
        matches!(&refused, Resp::Error(e) if e.contains("is not supported by the simulator")),
        "{refused:?}"
    );
    // Removing fields does not make it small again; a new key is.
    run(&mut s, 0, "HDEL big f0 f1 f2", 0);
    assert!(run(&mut s, 0, "HGETALL big", 0).is_error());
    run(&mut s, 0, "DEL big", 0);
    run(&mut s, 0, "HSET big f v", 0);
    assert_eq!(run(&mut s, 0, "HGETALL big", 0), array(&["f", "v"]));
    // 128 fields and 64-byte values are still a listpack; 65 bytes are not.
    let long = "x".repeat(LISTPACK_MAX_VALUE);
    s.exec(0, &words(&format!("HSET w f {long}")), 0);
    assert_eq!(run(&mut s, 0, "HGETALL w", 0), array(&["f", &long]));
    s.exec(0, &words(&format!("HSET w g {long}y")), 0);
    assert!(run(&mut s, 0, "HGETALL w", 0).is_error());
    assert_eq!(run(&mut s, 0, "HGET w f", 0), Resp::Bulk(long));
}

#[test]
fn ping_with_two_arguments_is_an_arity_error_also_when_subscribed() {
    let mut s = Store::new();
    let arity = Resp::err("wrong number of arguments for 'ping' command");
    assert_eq!(run(&mut s, 0, "PING a b", 0), arity);
    run(&mut s, 0, "SUBSCRIBE ch", 0);
    assert_eq!(run(&mut s, 0, "PING a b", 0), arity);
    assert_eq!(run(&mut s, 0, "PING a", 0), array(&["pong", "a"]));
}

#[test]
fn a_refused_exec_discards_the_transaction_with_execabort() {
    let mut s = Store::new();
    let abort = |m: &str| Resp::Error(format!("EXECABORT Transaction discarded because of: {m}"));
    // Outside MULTI too, and it unwatches.
    run(&mut s, 0, "WATCH k", 0);
    assert_eq!(
        run(&mut s, 0, "EXEC x", 0),
        abort("wrong number of arguments for 'exec' command")
    );
    run(&mut s, 1, "SET k v", 0);
    run(&mut s, 0, "MULTI", 0);
    run(&mut s, 0, "SET k w", 0);
    assert_eq!(
        run(&mut s, 0, "EXEC x", 0),
        abort("wrong number of arguments for 'exec' command")
    );
    assert_eq!(run(&mut s, 0, "EXEC", 0), Resp::err("EXEC without MULTI"));
    assert_eq!(run(&mut s, 0, "GET k", 0), Resp::Bulk("v".into()));
    run(&mut s, 0, "SUBSCRIBE ch", 0);
    assert_eq!(
        run(&mut s, 0, "EXEC", 0),
        abort("Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
}

#[test]
fn unknown_commands_echo_at_most_128_bytes_of_arguments() {
    let mut s = Store::new();
    let (a, b) = ("a".repeat(100), "b".repeat(100));
    let reply = s.exec(0, &words(&format!("BADCMD {a} {b} c")), 0);
    assert_eq!(
        reply,
        Resp::err(format!(
            "unknown command 'BADCMD', with args beginning with: '{a}' '{}' ",
            "b".repeat(25)
        ))
    );
    let reply = s.exec(0, &["FOO".into(), "x\r\ny".into()], 0);
    assert_eq!(
        reply,
        Resp::err("unknown command 'FOO', with args beginning with: 'x  y' ")
    );
}

// Refusals: what the simulator does not model is refused, not answered plausibly.

fn refused(r: &Resp) -> bool {
    matches!(r, Resp::Error(e) if e.contains("is not supported by the simulator"))
}

#[test]
fn real_redis_commands_outside_the_subset_are_refused_not_unknown() {
    let mut s = Store::new();
    for line in [
        "LPUSH l a",
        "KEYS *",
        "FLUSHALL",
        "expireat k 10",
        "GETEX k",
    ] {
        let r = run(&mut s, 0, line, 0);
        assert!(refused(&r), "{line}: {r:?}");
    }
    assert_eq!(
        run(&mut s, 0, "lpush l a", 0),
        Resp::err("the Redis command LPUSH is not supported by the simulator")
    );
    assert!(!refused(&run(&mut s, 0, "LPUSHX2 l a", 0)));
    for (name, _) in COMMANDS {
        assert!(
            REDIS7_COMMANDS.contains(name),
            "{name} is a Redis 7 command"
        );
    }
}

#[test]
fn subscribe_inside_multi_and_unsubscribe_all_of_several_are_refused() {
    let mut s = Store::new();
    run(&mut s, 0, "MULTI", 0);
    assert!(refused(&run(&mut s, 0, "SUBSCRIBE a b", 0)));
    assert!(run(&mut s, 0, "EXEC", 0).is_error());
    run(&mut s, 1, "SUBSCRIBE a b", 0);
    assert!(refused(&run(&mut s, 1, "UNSUBSCRIBE", 0)));
    run(&mut s, 1, "UNSUBSCRIBE b", 0);
    assert_eq!(
        run(&mut s, 1, "UNSUBSCRIBE", 0),
        Resp::Array(vec![
            Resp::Bulk("unsubscribe".into()),
            Resp::Bulk("a".into()),
            Resp::Int(0)
        ])
    );
}

// Expiry at virtual times the real-time sequences cannot wait for.

#[test]
fn expiry_at_long_virtual_times() {
    let day = 86_400_000u64;
    let mut s = Store::new();
    run(&mut s, 0, "SET session v EX 86400", 0);
    run(&mut s, 0, "SET year v PX 31536000000", 0);
    run(&mut s, 0, "HSET h f v", 0);
    run(&mut s, 0, "EXPIRE h 3600", 0);
    assert_eq!(run(&mut s, 0, "TTL h", 3_599_499), Resp::Int(1));
    assert_eq!(run(&mut s, 0, "PTTL h", 3_600_000), Resp::Int(0));
    assert_eq!(
        run(&mut s, 0, "HGET h f", 3_600_000),
        Resp::Bulk("v".into())
    );
    assert_eq!(run(&mut s, 0, "HGET h f", 3_600_001), Resp::Nil);
    assert_eq!(run(&mut s, 0, "TTL session", day - 1), Resp::Int(0));
    assert_eq!(run(&mut s, 0, "GET session", day), Resp::Bulk("v".into()));
    assert_eq!(run(&mut s, 0, "GET session", day + 1), Resp::Nil);
    assert_eq!(run(&mut s, 0, "TTL year", day), Resp::Int(364 * 86_400));
    assert_eq!(s.next_deadline(), Some(365 * day + 1));
    assert_eq!(s.expire_due(365 * day), Vec::<String>::new());
    assert_eq!(s.expire_due(365 * day + 1), vec!["year".to_string()]);
    assert_eq!(s.stats.expired, 3);
}

#[test]
fn exat_and_watch_at_long_virtual_times() {
    let mut s = Store::new();
    let t = 10 * 365 * 86_400_000u64; // ten years of virtual time
    run(&mut s, 0, &format!("SET k v EXAT {}", t / 1000 + 60), t);
    assert_eq!(run(&mut s, 0, "TTL k", t), Resp::Int(60));
    run(&mut s, 1, "WATCH k", t);
    run(&mut s, 1, "MULTI", t);
    run(&mut s, 1, "GET k", t);
    // Nobody touches it; it just runs out a minute later: EXEC fails.
    assert_eq!(run(&mut s, 1, "EXEC", t + 60_001), Resp::NilArray);
    // GT against a TTL far away; EXPIRE in seconds beyond a year.
    run(&mut s, 0, "SET g v EX 31536000", t);
    assert_eq!(run(&mut s, 0, "EXPIRE g 31535999 GT", t), Resp::Int(0));
    assert_eq!(run(&mut s, 0, "EXPIRE g 31536001 GT", t), Resp::Int(1));
    assert_eq!(run(&mut s, 0, "EXISTS g", t + 31_536_001_000), Resp::Int(1));
    assert_eq!(run(&mut s, 0, "EXISTS g", t + 31_536_001_001), Resp::Int(0));
}
