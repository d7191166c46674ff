//! A simulated Redis 7 (the modelled subset): the keyspace with expiry in virtual time, the
//! connections' transactions (WATCH / MULTI / EXEC), pub/sub, and the commands lessons use.
//! [`Store::exec`] runs one command, already split into words, for a connection at a virtual
//! time and answers exactly what Redis 7 answers (held against a real server by the oracle).
//!
//! Expiry: a key whose expiry time `when` has passed (`now > when`, as Redis decides it) no
//! longer exists for any command. [`Store::next_deadline`] and [`Store::expire_due`] let the
//! scheduler remove expired keys at the moment they expire, so that the state a student sees
//! never shows a key that is already gone.

mod hashes;
mod keys;
mod strings;
mod tx;

pub use hashes::{Fields, LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE};
pub use tx::{is_unlock_script, UNLOCK_SCRIPT};

use super::resp::Resp;
use std::collections::{BTreeMap, BTreeSet};

/// A connection (the client's index).
pub type Conn = usize;

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Val {
    Str(String),
    /// Fields in insertion order (they read as a sorted `BTreeMap` through `Deref`).
    Hash(Fields),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub value: Val,
    /// Virtual ms after which the key is gone (`now > expires_at`).
    pub expires_at: Option<u64>,
}

/// What the store counts, for assertions and the page (Redis's INFO keyspace_hits and friends).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Reads that found their key (GET, GETDEL, MGET, HGET, HGETALL).
    pub hits: u64,
    /// Reads that did not.
    pub misses: u64,
    /// Writes of a key (SET and friends, INCR, HSET, MSET per key).
    pub sets: u64,
    /// Keys removed by DEL, GETDEL, HDEL of the last field or a past expiry time.
    pub deletes: u64,
    /// Keys removed because their time ran out.
    pub expired: u64,
}

/// One connection's state at the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ConnState {
    /// Commands queued since MULTI.
    pub multi: Option<Vec<Vec<String>>>,
    /// A command was refused while queueing: EXEC will abort.
    pub multi_failed: bool,
    pub watched: BTreeSet<String>,
    /// A watched key changed since WATCH: EXEC will answer nil.
    pub dirty: bool,
    pub channels: BTreeSet<String>,
    /// Messages pushed to this connection and not read yet.
    pub inbox: Vec<Resp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Store {
    pub keys: BTreeMap<String, Entry>,
    pub conns: BTreeMap<Conn, ConnState>,
    pub stats: Stats,
}

/// Commands the store knows, with Redis's arity (negative: at least that many words).
pub const COMMANDS: &[(&str, i32)] = &[
    ("get", 2),
    ("set", -3),
    ("setex", 4),
    ("psetex", 4),
    ("setnx", 3),
    ("getdel", 2),
    ("del", -2),
    ("exists", -2),
    ("expire", -3),
    ("pexpire", -3),
    ("ttl", 2),
    ("pttl", 2),
    ("persist", 2),
    ("incr", 2),
    ("decr", 2),
    ("incrby", 3),
    ("decrby", 3),
    ("mget", -2),
    ("mset", -3),
    ("hset", -4),
    ("hget", 3),
    ("hgetall", 2),
    ("hdel", -3),
    ("watch", -2),
    ("unwatch", 1),
    ("multi", 1),
    ("exec", 1),
    ("discard", 1),
    ("publish", 3),
    ("subscribe", -2),
    ("unsubscribe", -1),
    ("eval", -3),
    ("ping", -1),
];

/// Every command name Redis 7.0 knows (`COMMAND LIST`, subcommands left out): one of these
/// that is not in [`COMMANDS`] is refused as not supported, anything else is an unknown command
/// as Redis reports it.
pub const REDIS7_COMMANDS: &[&str] = &[
    "acl",
    "append",
    "asking",
    "auth",
    "bgrewriteaof",
    "bgsave",
    "bitcount",
    "bitfield",
    "bitfield_ro",
    "bitop",
    "bitpos",
    "blmove",
    "blmpop",
    "blpop",
    "brpop",
    "brpoplpush",
    "bzmpop",
    "bzpopmax",
    "bzpopmin",
    "client",
    "cluster",
    "command",
    "config",
    "copy",
    "dbsize",
    "debug",
    "decr",
    "decrby",
    "del",
    "discard",
    "dump",
    "echo",
    "eval",
    "eval_ro",
    "evalsha",
    "evalsha_ro",
    "exec",
    "exists",
    "expire",
    "expireat",
    "expiretime",
    "failover",
    "fcall",
    "fcall_ro",
    "flushall",
    "flushdb",
    "function",
    "geoadd",
    "geodist",
    "geohash",
    "geopos",
    "georadius",
    "georadius_ro",
    "georadiusbymember",
    "georadiusbymember_ro",
    "geosearch",
    "geosearchstore",
    "get",
    "getbit",
    "getdel",
    "getex",
    "getrange",
    "getset",
    "hdel",
    "hello",
    "hexists",
    "hget",
    "hgetall",
    "hincrby",
    "hincrbyfloat",
    "hkeys",
    "hlen",
    "hmget",
    "hmset",
    "hrandfield",
    "hscan",
    "hset",
    "hsetnx",
    "hstrlen",
    "hvals",
    "incr",
    "incrby",
    "incrbyfloat",
    "info",
    "keys",
    "lastsave",
    "latency",
    "lcs",
    "lindex",
    "linsert",
    "llen",
    "lmove",
    "lmpop",
    "lolwut",
    "lpop",
    "lpos",
    "lpush",
    "lpushx",
    "lrange",
    "lrem",
    "lset",
    "ltrim",
    "memory",
    "mget",
    "migrate",
    "module",
    "monitor",
    "move",
    "mset",
    "msetnx",
    "multi",
    "object",
    "persist",
    "pexpire",
    "pexpireat",
    "pexpiretime",
    "pfadd",
    "pfcount",
    "pfdebug",
    "pfmerge",
    "pfselftest",
    "ping",
    "psetex",
    "psubscribe",
    "psync",
    "pttl",
    "publish",
    "pubsub",
    "punsubscribe",
    "quit",
    "randomkey",
    "readonly",
    "readwrite",
    "rename",
    "renamenx",
    "replconf",
    "replicaof",
    "reset",
    "restore",
    "restore-asking",
    "role",
    "rpop",
    "rpoplpush",
    "rpush",
    "rpushx",
    "sadd",
    "save",
    "scan",
    "scard",
    "script",
    "sdiff",
    "sdiffstore",
    "select",
    "set",
    "setbit",
    "setex",
    "setnx",
    "setrange",
    "shutdown",
    "sinter",
    "sintercard",
    "sinterstore",
    "sismember",
    "slaveof",
    "slowlog",
    "smembers",
    "smismember",
    "smove",
    "sort",
    "sort_ro",
    "spop",
    "spublish",
    "srandmember",
    "srem",
    "sscan",
    "ssubscribe",
    "strlen",
    "subscribe",
    "substr",
    "sunion",
    "sunionstore",
    "sunsubscribe",
    "swapdb",
    "sync",
    "time",
    "touch",
    "ttl",
    "type",
    "unlink",
    "unsubscribe",
    "unwatch",
    "wait",
    "watch",
    "xack",
    "xadd",
    "xautoclaim",
    "xclaim",
    "xdel",
    "xgroup",
    "xinfo",
    "xlen",
    "xpending",
    "xrange",
    "xread",
    "xreadgroup",
    "xrevrange",
    "xsetid",
    "xtrim",
    "zadd",
    "zcard",
    "zcount",
    "zdiff",
    "zdiffstore",
    "zincrby",
    "zinter",
    "zintercard",
    "zinterstore",
    "zlexcount",
    "zmpop",
    "zmscore",
    "zpopmax",
    "zpopmin",
    "zrandmember",
    "zrange",
    "zrangebylex",
    "zrangebyscore",
    "zrangestore",
    "zrank",
    "zrem",
    "zremrangebylex",
    "zremrangebyrank",
    "zremrangebyscore",
    "zrevrange",
    "zrevrangebylex",
    "zrevrangebyscore",
    "zrevrank",
    "zscan",
    "zscore",
    "zunion",
    "zunionstore",
];

/// Redis's limit on the command name and on the quoted arguments in "unknown command".
const UNKNOWN_ECHO: usize = 128;

/// The first `max` bytes of `s` (cut back to a character boundary).
fn prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Parses an integer as Redis does (`string2ll`): an optional `-`, no `+`, no spaces, no leading
/// zeros, within 64 bits.
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = digits == "0" && s == "0"
        || (!digits.is_empty()
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit()));
    if !canonical {
        return None;
    }
    s.parse::<i64>().ok()
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// The command's arity check and name: Err is the reply Redis gives before running it.
    pub fn lookup(words: &[String]) -> Result<String, Resp> {
        let name = words[0].to_ascii_lowercase();
        let Some(&(_, arity)) = COMMANDS.iter().find(|(n, _)| *n == name) else {
            if REDIS7_COMMANDS.contains(&name.as_str()) {
                return Err(Resp::err(format!(
                    "the Redis command {} is not supported by the simulator",
                    name.to_ascii_uppercase()
                )));
            }
            // As Redis 7.0 words it: the name and the arguments quoted while the list is
            // shorter than 128 bytes, each cut to what is left of them; no line breaks.
            let mut args = String::new();
            for a in &words[1..] {
                if args.len() >= UNKNOWN_ECHO {
                    break;
                }
                let room = UNKNOWN_ECHO - args.len();
                args.push_str(&format!("'{}' ", prefix(a, room)));
            }
            let message = format!(
                "unknown command '{}', with args beginning with: {args}",
                prefix(&words[0], UNKNOWN_ECHO)
            );
            return Err(Resp::err(message.replace(['\r', '\n'], " ")));
        };
        let n = words.len() as i32;
        if (arity > 0 && n != arity) || (arity < 0 && n < -arity) {
            return Err(Resp::err(format!(
                "wrong number of arguments for '{name}' command"
            )));
        }
        Ok(name)
    }

    /// Runs one command (`words[0]` is its name) for `conn` at virtual time `now`.
    pub fn exec(&mut self, conn: Conn, words: &[String], now: u64) -> Resp {
        if words.is_empty() {
            return Resp::err("empty command");
        }
        self.expire_due(now);
        let name = match Store::lookup(words) {
            Ok(name) => name,
            Err(e) => return self.reject(conn, words, e),
        };
        let st = self.conns.entry(conn).or_default();
        if !st.channels.is_empty() && !matches!(name.as_str(), "subscribe" | "unsubscribe" | "ping")
        {
            let e = Resp::err(format!(
                "Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            ));
            return self.reject(conn, words, e);
        }
        if st.multi.is_some() && !matches!(name.as_str(), "exec" | "discard" | "multi" | "watch") {
            if matches!(name.as_str(), "subscribe" | "unsubscribe") {
                // Redis would answer inside EXEC's array with one reply per channel.
                st.multi_failed = true;
                return Resp::err(format!(
                    "{} inside MULTI is not supported by the simulator",
                    name.to_ascii_uppercase()
                ));
            }
            st.multi.get_or_insert_with(Vec::new).push(words.to_vec());
            return Resp::Simple("QUEUED".into());
        }
        self.run(conn, &name, words, now)
    }

    /// A command Redis refuses before running it (unknown, wrong arity, not allowed while
    /// subscribed): it marks a transaction as failed, and a refused EXEC discards the
    /// transaction (and the watches) with `EXECABORT Transaction discarded because of: …`.
    fn reject(&mut self, conn: Conn, words: &[String], e: Resp) -> Resp {
        let st = self.conns.get_mut(&conn);
        if words[0].eq_ignore_ascii_case("exec") {
            if let Some(st) = st {
                st.multi = None;
                st.multi_failed = false;
                st.watched.clear();
                st.dirty = false;
            }
            let Resp::Error(message) = &e else {
                return e;
            };
            let message = message.strip_prefix("ERR ").unwrap_or(message);
            return Resp::Error(format!(
                "EXECABORT Transaction discarded because of: {message}"
            ));
        }
        if let Some(st) = st.filter(|c| c.multi.is_some()) {
            st.multi_failed = true;
        }
        e
    }

    /// Runs a command that passed the arity check (also from EXEC).
    fn run(&mut self, conn: Conn, name: &str, w: &[String], now: u64) -> Resp {
        match name {
            "get" | "set" | "setex" | "psetex" | "setnx" | "getdel" | "incr" | "decr"
            | "incrby" | "decrby" | "mget" | "mset" => self.string_command(name, w, now),
            "del" | "exists" | "expire" | "pexpire" | "ttl" | "pttl" | "persist" => {
                self.key_command(name, w, now)
            }
            "hset" | "hget" | "hgetall" | "hdel" => self.hash_command(name, w),
            "watch" | "unwatch" | "multi" | "exec" | "discard" => {
                self.tx_command(conn, name, w, now)
            }
            "publish" | "subscribe" | "unsubscribe" | "ping" => self.pubsub_command(conn, name, w),
            "eval" => self.eval(w, now),
            _ => Resp::err(format!("unknown command '{}'", w[0])),
        }
    }

    /// The earliest virtual time at which a key expires (the first ms it is gone).
    pub fn next_deadline(&self) -> Option<u64> {
        self.keys
            .values()
            .filter_map(|e| e.expires_at)
            .min()
            .map(|t| t + 1)
    }

    /// Removes every key whose time ran out by `now`; returns their names.
    pub fn expire_due(&mut self, now: u64) -> Vec<String> {
        let gone: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, e)| e.expires_at.is_some_and(|t| now > t))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.keys.remove(k);
            self.stats.expired += 1;
            self.touched(k);
        }
        gone
    }

    /// A key changed: every connection that watches it will see its EXEC fail.
    pub(crate) fn touched(&mut self, key: &str) {
        for c in self.conns.values_mut() {
            if c.watched.contains(key) {
                c.dirty = true;
            }
        }
    }

    /// The string value of a key for reading (counts a hit or a miss).
    pub(crate) fn read_str(&mut self, key: &str) -> Result<Option<String>, Resp> {
        match self.keys.get(key).map(|e| &e.value) {
            None => {
                self.stats.misses += 1;
                Ok(None)
            }
            Some(Val::Str(s)) => {
                self.stats.hits += 1;
                Ok(Some(s.clone()))
            }
            Some(Val::Hash(_)) => Err(Resp::wrong_type()),
        }
    }

    /// Stores a string, replacing any value; `ttl` None clears an expiry.
    pub(crate) fn write_str(&mut self, key: &str, value: String, expires_at: Option<u64>) {
        self.keys.insert(
            key.to_string(),
            Entry {
                value: Val::Str(value),
                expires_at,
            },
        );
        self.stats.sets += 1;
        self.touched(key);
    }

    /// Removes a key; true when it existed.
    pub(crate) fn delete(&mut self, key: &str) -> bool {
        let existed = self.keys.remove(key).is_some();
        if existed {
            self.stats.deletes += 1;
            self.touched(key);
        }
        existed
    }

    fn pubsub_command(&mut self, conn: Conn, name: &str, w: &[String]) -> Resp {
        match name {
            "publish" => {
                let message = Resp::Array(vec![
                    Resp::Bulk("message".into()),
                    Resp::Bulk(w[1].clone()),
                    Resp::Bulk(w[2].clone()),
                ]);
                let mut n = 0;
                for c in self.conns.values_mut() {
                    if c.channels.contains(&w[1]) {
                        c.inbox.push(message.clone());
                        n += 1;
                    }
                }
                Resp::Int(n)
            }
            "subscribe" | "unsubscribe" => self.subscription(conn, name, w),
            _ => {
                let subscribed = self
                    .conns
                    .get(&conn)
                    .is_some_and(|c| !c.channels.is_empty());
                if w.len() > 2 {
                    return Resp::err("wrong number of arguments for 'ping' command");
                }
                match (subscribed, w.get(1)) {
                    (true, arg) => Resp::Array(vec![
                        Resp::Bulk("pong".into()),
                        Resp::Bulk(arg.cloned().unwrap_or_default()),
                    ]),
                    (false, Some(arg)) => Resp::Bulk(arg.clone()),
                    (false, None) => Resp::Simple("PONG".into()),
                }
            }
        }
    }

    /// SUBSCRIBE / UNSUBSCRIBE: one confirmation per channel; the first is the reply, the
    /// others follow it as pushes (the inbox).
    fn subscription(&mut self, conn: Conn, name: &str, w: &[String]) -> Resp {
        let st = self.conns.entry(conn).or_default();
        if name == "unsubscribe" && w.len() == 1 && st.channels.len() > 1 {
            return Resp::err(
                "UNSUBSCRIBE without channel names while subscribed to several channels is not supported by the simulator (Redis answers in its hash-table order)",
            );
        }
        let channels: Vec<String> = if name == "unsubscribe" && w.len() == 1 {
            st.channels.iter().cloned().collect()
        } else {
            w[1..].to_vec()
        };
        let mut replies = Vec::new();
        for ch in &channels {
            if name == "subscribe" {
                st.channels.insert(ch.clone());
            } else {
                st.channels.remove(ch);
            }
            replies.push(Resp::Array(vec![
                Resp::Bulk(name.into()),
                Resp::Bulk(ch.clone()),
                Resp::Int(st.channels.len() as i64),
            ]));
        }
        if replies.is_empty() {
            return Resp::Array(vec![
                Resp::Bulk("unsubscribe".into()),
                Resp::Nil,
                Resp::Int(0),
            ]);
        }
        let first = replies.remove(0);
        st.inbox.extend(replies);
        first
    }

    /// Takes the messages pushed to `conn` since it last read them.
    pub fn take_inbox(&mut self, conn: Conn) -> Vec<Resp> {
        self.conns
            .get_mut(&conn)
            .map(|c| std::mem::take(&mut c.inbox))
            .unwrap_or_default()
    }

    /// A connection closed: its transaction, watches and subscriptions go.
    pub fn disconnect(&mut self, conn: Conn) {
        self.conns.remove(&conn);
    }
}

#[cfg(test)]
mod tests;
