//! Which requests read the virtual clock — directly (`TTL`, `now()`) or by leaving state that
//! time changes (a key with an expiry, a lock-service session). The explorer may compare worlds
//! without their times only when no request of the lesson reads the clock (see
//! `Model::timeless`), so every answer here errs on the side of "reads it".

use super::api::Request;
use super::cassandra::cql::Cql;
use super::redis::command::{Command, Part};

/// Redis commands that set, read or clear an expiry.
const REDIS_TIME_COMMANDS: &[&str] = &[
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "EXPIRETIME",
    "PEXPIRETIME",
    "TTL",
    "PTTL",
    "SETEX",
    "PSETEX",
    "GETEX",
    "PERSIST",
];

/// `SET` options that give a key an expiry (or keep one).
const SET_TIME_OPTIONS: &[&str] = &["EX", "PX", "EXAT", "PXAT", "KEEPTTL"];

/// SQL that reads the clock or waits on it, as text (lower case).
const SQL_TIME_WORDS: &[&str] = &[
    "now(",
    "current_timestamp",
    "current_time",
    "current_date",
    "localtime",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "pg_sleep",
    "timeout",
    "interval",
];

impl Request {
    /// Whether the request's effect or reply can depend on the virtual time.
    pub fn reads_clock(&self) -> bool {
        match self {
            Request::Sql(p) => {
                let text = p.text().to_ascii_lowercase();
                SQL_TIME_WORDS.iter().any(|w| text.contains(w))
            }
            Request::Redis(c) => redis_reads_clock(c),
            Request::Aerospike(c) => c.words.iter().any(|w| is_lit(w, "TTL")),
            // Sessions expire a timeout after their client dies or pauses.
            Request::Zk(_) => true,
            Request::Cql(q) => cql_reads_clock(q),
            #[cfg(test)]
            Request::Timer { .. } => true,
        }
    }
}

fn is_lit(word: &[Part], text: &str) -> bool {
    matches!(word, [Part::Lit(s)] if s.eq_ignore_ascii_case(text))
}

fn redis_reads_clock(c: &Command) -> bool {
    let Some(name) = c.words.first() else {
        return false;
    };
    let [Part::Lit(name)] = name.as_slice() else {
        // A command named by a variable could be anything.
        return true;
    };
    let name = name.to_ascii_uppercase();
    if REDIS_TIME_COMMANDS.contains(&name.as_str()) {
        return true;
    }
    // SET key value [options]: an option given by a variable could be EX.
    name == "SET"
        && c.words.iter().skip(3).any(|w| {
            !matches!(w.as_slice(), [Part::Lit(_)]) || SET_TIME_OPTIONS.iter().any(|o| is_lit(w, o))
        })
}

/// The Cassandra-like store has no TTLs or write timestamps: no statement reads the clock.
/// (Listed one by one so that a new statement kind has to answer.)
fn cql_reads_clock(q: &Cql) -> bool {
    match q {
        Cql::CreateTable { .. }
        | Cql::Insert { .. }
        | Cql::Update { .. }
        | Cql::Select { .. }
        | Cql::Delete { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Kind;

    fn reads(kind: Kind, text: &str) -> bool {
        let call = kind.parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        call.request.reads_clock()
    }

    #[test]
    fn requests_that_read_the_clock_are_told_apart() {
        for (kind, text, expected) in [
            (Kind::Redis, "GET k", false),
            (Kind::Redis, "SET k v", false),
            (Kind::Redis, "SET k v NX", false),
            (Kind::Redis, "SET k {v}", false),
            (Kind::Redis, "SET k v EX 10", true),
            (Kind::Redis, "set k v px 10", true),
            (Kind::Redis, "SET k v {opt} 10", true),
            (Kind::Redis, "SETEX k 10 v", true),
            (Kind::Redis, "EXPIRE k 10", true),
            (Kind::Redis, "TTL k", true),
            (Kind::Redis, "INCR k", false),
            (Kind::Aerospike, "PUT k 1", false),
            (Kind::Aerospike, "PUT k 1 TTL 60", true),
            (Kind::Postgres, "SELECT v FROM t WHERE id = 1", false),
            (Kind::Postgres, "UPDATE t SET v = 2 WHERE id = 1", false),
            (Kind::Zookeeper, "LOCK /locks/a", true),
        ] {
            assert_eq!(reads(kind, text), expected, "{text}");
        }
    }
}
