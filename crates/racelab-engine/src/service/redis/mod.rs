//! Redis as a [`Service`]: the simulated Redis 7 of [`store`] behind the shared interface, its
//! script-line syntax and its state view.
//!
//! A script line for Redis starts with `redis` and is written as in redis-cli:
//! `redis SET product:{id} {json} EX 60`. Words are separated by spaces; `"…"` or `'…'` groups
//! words with spaces; `{name}` is the value of the script variable `name` (a whole word or part
//! of one: `product:{id}`). Commands the simulator does not model, wrong arities and EVAL of any
//! script but the compare-and-delete unlock script are refused when the lesson is checked.

pub mod command;
pub mod resp;
pub mod store;
pub mod view;

use crate::service::api::{
    wrong_service, Call, ConnId, Done, Exec, Fired, LineError, Mode, Reply, Request, Resource,
    Service, ServiceId, ServiceView, SetupError, Touch, Wait, Wake,
};
use crate::value::Value;
use command::{Command, Part};
use resp::Resp;
use std::collections::BTreeSet;
use store::{Store, Val};
use view::{render_hash, RedisKey, RedisView};

/// The space every key lives in, for footprints.
const KEYS: &str = "redis keys";
/// Pub/sub channels, for footprints.
const CHANNELS: &str = "redis channels";

/// A client's pub/sub commands go on a connection of their own, as redis-py's `pubsub()`
/// object takes one from the pool: its number is the client's plus this. A subscribed
/// connection accepts only pub/sub commands, so GET and SET stay on the client's main one.
const PUBSUB: ConnId = 1 << 24;

/// The connection a command goes on: the pub/sub one for (UN)SUBSCRIBE, RECEIVE, GET_MESSAGE.
fn conn_for(conn: ConnId, command: &str) -> ConnId {
    const PUBSUB_COMMANDS: [&str; 6] = [
        "subscribe",
        "unsubscribe",
        "psubscribe",
        "punsubscribe",
        "receive",
        "get_message",
    ];
    if PUBSUB_COMMANDS
        .iter()
        .any(|c| command.eq_ignore_ascii_case(c))
    {
        conn + PUBSUB
    } else {
        conn
    }
}

/// Splits a line into words (quotes group), each word into literal text and `{name}` parts.
fn split(text: &str) -> Result<Vec<(usize, String)>, LineError> {
    let mut words = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '"' || c == '\'' {
                let mut closed = false;
                for (_, d) in chars.by_ref() {
                    if d == c {
                        closed = true;
                        break;
                    }
                    word.push(d);
                }
                if !closed {
                    return Err(LineError {
                        col: start,
                        message: "this quoted word has no closing quote".into(),
                    });
                }
            } else {
                word.push(c);
            }
        }
        words.push((start, word));
    }
    Ok(words)
}

/// Turns `product:{id}` into parts, adding new variable names to `params`.
fn parts(word: &str, col: usize, params: &mut Vec<String>) -> Result<Vec<Part>, LineError> {
    let mut out = Vec::new();
    let mut rest = word;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let name = &rest[open + 1..close];
        let ident = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return Err(LineError {
                col,
                message: format!("`{{{name}}}` is not a variable name"),
            });
        }
        if open > 0 {
            out.push(Part::Lit(rest[..open].to_string()));
        }
        let idx = params.iter().position(|p| p == name).unwrap_or_else(|| {
            params.push(name.to_string());
            params.len() - 1
        });
        out.push(Part::Param(idx));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(Part::Lit(rest.to_string()));
    }
    Ok(out)
}

/// Splits a line into words with `{name}` parts (no check of what the words say): the syntax
/// Redis lines share with other key-value services.
pub fn parse_words(text: &str) -> Result<(Command, Vec<String>), LineError> {
    let mut params = Vec::new();
    let mut words = Vec::new();
    for (col, w) in split(text)? {
        words.push(parts(&w, col, &mut params)?);
    }
    Ok((Command { words }, params))
}

/// Compiles a Redis line (the text after `redis`).
pub fn parse(text: &str) -> Result<Call, LineError> {
    let (cmd, params) = parse_words(text)?;
    let name = match cmd.words.first().map(|w| w.as_slice()) {
        Some([Part::Lit(name)]) => name.to_ascii_lowercase(),
        _ => {
            return Err(LineError {
                col: 0,
                message: "a Redis line starts with a command, like `redis GET key`".into(),
            })
        }
    };
    let shape: Vec<String> = cmd
        .words
        .iter()
        .map(|w| match w.as_slice() {
            [Part::Lit(s)] => s.clone(),
            _ => "{…}".to_string(),
        })
        .collect();
    refuse_unmodelled(&name, &shape)?;
    Ok(Call {
        request: Request::Redis(cmd),
        params,
        no_values: None,
    })
}

/// Refuses, when the lesson is checked, what the simulator would answer wrongly or not at all.
fn refuse_unmodelled(name: &str, shape: &[String]) -> Result<(), LineError> {
    let refuse = |message: String| Err(LineError { col: 0, message });
    if name == "receive" || name == "get_message" {
        return match shape.len() {
            1 => Ok(()),
            _ => refuse(format!(
                "{} takes nothing: `msg = redis {}`",
                shape[0].to_ascii_uppercase(),
                shape[0].to_ascii_uppercase()
            )),
        };
    }
    match Store::lookup(shape) {
        Err(_) if !store::COMMANDS.iter().any(|(n, _)| *n == name) => {
            let modelled: Vec<&str> = store::COMMANDS.iter().map(|(n, _)| *n).collect();
            return refuse(format!(
                "the Redis command {} is not supported by the simulator (it models: {})",
                shape[0].to_ascii_uppercase(),
                modelled.join(", ").to_ascii_uppercase()
            ));
        }
        Err(Resp::Error(e)) => return refuse(e),
        _ => {}
    }
    match name {
        "eval" if !store::is_unlock_script(&shape[1]) => refuse(
            "EVAL of a script other than the compare-and-delete unlock script is not supported by the simulator"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// What a command reads and writes: its keys (or the whole keyspace for EXEC), and the
/// connection's own state for transactions and subscriptions.
fn footprint(id: ServiceId, conn: ConnId, w: &[String]) -> Vec<Touch> {
    let name = w[0].to_ascii_lowercase();
    let key = |k: &String, mode| Touch {
        service: id,
        resource: Resource::Item {
            space: KEYS.into(),
            key: k.clone(),
        },
        mode,
    };
    let mut out = vec![Touch {
        service: id,
        resource: Resource::Conn(conn),
        mode: Mode::Write,
    }];
    let read = matches!(
        name.as_str(),
        "get" | "mget" | "exists" | "ttl" | "pttl" | "hget" | "hgetall" | "watch"
    );
    let mode = if read { Mode::Read } else { Mode::Write };
    match name.as_str() {
        "del" | "exists" | "mget" | "watch" => out.extend(w[1..].iter().map(|k| key(k, mode))),
        "mset" => out.extend(w[1..].iter().step_by(2).map(|k| key(k, mode))),
        "exec" => out.push(Touch {
            service: id,
            resource: Resource::Space(KEYS.into()),
            mode: Mode::Write,
        }),
        "publish" | "subscribe" | "unsubscribe" => out.push(Touch {
            service: id,
            resource: Resource::Space(CHANNELS.into()),
            mode: Mode::Write,
        }),
        "eval" => out.extend(w.get(3).map(|k| key(k, Mode::Write))),
        "multi" | "discard" | "unwatch" | "ping" => {}
        _ => out.extend(w.get(1).map(|k| key(k, mode))),
    }
    out
}

/// Runs the command lines of a setup text (Redis's, or Aerospike's in the same word syntax),
/// blank lines and `#` comments skipped: each line read by `parse`, without script variables,
/// then `run` on its words. The first failure is located at its line.
pub(crate) fn run_setup(
    text: &str,
    parse: fn(&str) -> Result<Call, LineError>,
    mut run: impl FnMut(&[String]) -> Result<(), String>,
) -> Result<(), SetupError> {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fail = |message: String| SetupError {
            line: i + 1,
            col: line.len() - line.trim_start().len() + 1,
            message,
        };
        let call = parse(trimmed).map_err(|e| fail(e.message))?;
        let (Request::Redis(cmd) | Request::Aerospike(cmd)) = call.request else {
            return Err(fail("not a command of this service".into()));
        };
        if !call.params.is_empty() {
            return Err(fail("a setup line cannot use script variables".into()));
        }
        let words = cmd.words(&[]).map_err(fail)?;
        run(&words).map_err(fail)?;
    }
    Ok(())
}

/// The simulated Redis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Redis {
    store: Store,
    /// Connections blocked in RECEIVE, waiting for a message.
    receiving: BTreeSet<ConnId>,
}

impl Redis {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs a lesson's `redis_setup` (one command per line, `#` comments) at virtual time 0.
    /// The counters start from zero after it.
    pub fn from_setup(text: &str) -> Result<Redis, SetupError> {
        let mut store = Store::new();
        run_setup(text, parse, |words| {
            match store.exec(usize::MAX, words, 0) {
                Resp::Error(e) => Err(e),
                _ => Ok(()),
            }
        })?;
        store.disconnect(usize::MAX);
        store.stats = Default::default();
        Ok(Redis {
            store,
            receiving: BTreeSet::new(),
        })
    }
}

/// A pushed message as RECEIVE gives it: the payload, then the channel.
fn message(push: &Resp) -> Option<Resp> {
    match push {
        Resp::Array(items) => match items.as_slice() {
            [Resp::Bulk(kind), channel, payload] if kind == "message" => {
                Some(Resp::Array(vec![payload.clone(), channel.clone()]))
            }
            _ => None,
        },
        _ => None,
    }
}

impl Redis {
    /// The next message pushed to `conn` (subscription confirmations are skipped).
    fn next_message(&mut self, conn: ConnId) -> Option<Resp> {
        let inbox = &mut self.store.conns.get_mut(&conn)?.inbox;
        while !inbox.is_empty() {
            if let Some(m) = message(&inbox.remove(0)) {
                return Some(m);
            }
        }
        None
    }

    /// RECEIVE: the next message, or wait for one; GET_MESSAGE (`wait` false, redis-py's
    /// `pubsub.get_message()`): the next message, or nil at once.
    fn receive(&mut self, id: ServiceId, conn: ConnId, wait: bool) -> Exec {
        let channels: Vec<String> = self
            .store
            .conns
            .get(&conn)
            .map(|c| c.channels.iter().cloned().collect())
            .unwrap_or_default();
        let touches = vec![Touch {
            service: id,
            resource: Resource::Space(CHANNELS.into()),
            mode: Mode::Read,
        }];
        if channels.is_empty() {
            let what = if wait { "RECEIVE" } else { "GET_MESSAGE" };
            let e = Resp::err(format!("{what} without a SUBSCRIBE first"));
            return Exec::Done(Done {
                reply: Reply::Redis(e),
                touches,
                woken: Vec::new(),
            });
        }
        match self.next_message(conn) {
            Some(m) => Exec::Done(Done {
                reply: Reply::Redis(m),
                touches,
                woken: Vec::new(),
            }),
            None if !wait => Exec::Done(Done {
                reply: Reply::Redis(Resp::Nil),
                touches,
                woken: Vec::new(),
            }),
            None => {
                self.receiving.insert(conn);
                Exec::Blocked {
                    wait: Wait::Message {
                        channels: channels.join(", "),
                    },
                    touches,
                }
            }
        }
    }

    /// Hands published messages to the connections waiting in RECEIVE.
    fn deliver(&mut self, id: ServiceId) -> Vec<Wake> {
        let waiting: Vec<ConnId> = self.receiving.iter().copied().collect();
        let mut woken = Vec::new();
        for conn in waiting {
            if let Some(m) = self.next_message(conn) {
                self.receiving.remove(&conn);
                woken.push(Wake {
                    // The client waiting on its pub/sub connection.
                    conn: conn % PUBSUB,
                    reply: Reply::Redis(m),
                    touches: vec![Touch {
                        service: id,
                        resource: Resource::Space(CHANNELS.into()),
                        mode: Mode::Read,
                    }],
                });
            }
        }
        woken
    }
}

impl Service for Redis {
    fn call(
        &mut self,
        id: ServiceId,
        conn: ConnId,
        request: &Request,
        params: &[Value],
        now: u64,
    ) -> Exec {
        let done = |reply, touches| {
            Exec::Done(Done {
                reply,
                touches,
                woken: Vec::new(),
            })
        };
        let Request::Redis(cmd) = request else {
            return done(wrong_service("Redis"), Vec::new());
        };
        match cmd.words(params) {
            Err(e) => done(Reply::ConnectionError(e), Vec::new()),
            Ok(words) if words[0].eq_ignore_ascii_case("receive") => {
                self.receive(id, conn_for(conn, "receive"), true)
            }
            Ok(words) if words[0].eq_ignore_ascii_case("get_message") => {
                self.receive(id, conn_for(conn, "get_message"), false)
            }
            Ok(words) => {
                let conn = conn_for(conn, &words[0]);
                let touches = footprint(id, conn, &words);
                let reply = self.store.exec(conn, &words, now);
                let woken = self.deliver(id);
                Exec::Done(Done {
                    reply: Reply::Redis(reply),
                    touches,
                    woken,
                })
            }
        }
    }

    fn disconnect(&mut self, _: ServiceId, conn: ConnId, _: u64) -> Done {
        for c in [conn, conn + PUBSUB] {
            self.store.disconnect(c);
            self.receiving.remove(&c);
        }
        Done {
            reply: Reply::Redis(Resp::ok()),
            touches: Vec::new(),
            woken: Vec::new(),
        }
    }

    fn next_deadline(&self) -> Option<u64> {
        self.store.next_deadline()
    }

    fn counter(&self, name: &str) -> Option<u64> {
        let s = &self.store.stats;
        match name {
            "hits" => Some(s.hits),
            "misses" => Some(s.misses),
            "sets" => Some(s.sets),
            "deletes" => Some(s.deletes),
            "expired" => Some(s.expired),
            _ => None,
        }
    }

    /// Keys named `lock:…` are locks (the lessons' convention for a cache lock).
    fn locks_held(&self) -> usize {
        self.store
            .keys
            .keys()
            .filter(|k| k.starts_with("lock:"))
            .count()
    }

    fn fire(&mut self, id: ServiceId, now: u64, _: &dyn Fn(ConnId) -> String) -> Fired {
        Fired::expired(id, KEYS, "key", self.store.expire_due(now))
    }

    fn query(&self, request: &Request) -> Reply {
        let Request::Redis(cmd) = request else {
            return wrong_service("Redis");
        };
        match cmd.words(&[]) {
            Ok(words) => Reply::Redis(self.store.clone().exec(usize::MAX, &words, 0)),
            Err(e) => Reply::ConnectionError(e),
        }
    }

    fn view(&self, name: &dyn Fn(ConnId) -> String, now: u64) -> ServiceView {
        let keys = self
            .store
            .keys
            .iter()
            .map(|(k, e)| RedisKey {
                key: k.clone(),
                value: match &e.value {
                    Val::Str(s) => s.clone(),
                    Val::Hash(h) => render_hash(h),
                },
                kind: match e.value {
                    Val::Str(_) => "string",
                    Val::Hash(_) => "hash",
                },
                ttl_ms: e.expires_at.map(|t| t.saturating_sub(now)),
            })
            .collect();
        let transactions = self
            .store
            .conns
            .iter()
            .filter(|(_, c)| c.multi.is_some() || !c.watched.is_empty())
            .map(|(conn, c)| {
                let mut s = name(*conn % PUBSUB);
                if !c.watched.is_empty() {
                    let w: Vec<&str> = c.watched.iter().map(String::as_str).collect();
                    s.push_str(&format!(" watches {}", w.join(", ")));
                }
                if let Some(q) = &c.multi {
                    s.push_str(&format!(" · MULTI, {} queued", q.len()));
                }
                s
            })
            .collect();
        ServiceView::Redis(RedisView {
            keys,
            stats: self.store.stats.clone(),
            transactions,
        })
    }
}
