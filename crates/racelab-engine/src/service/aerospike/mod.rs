//! Aerospike-style records (seed 000's cache): each key holds a value with a generation that
//! every write increments; a write can require the generation the client read (check-and-set),
//! can be create-only (the document's cache lock), and can carry a TTL that runs in virtual time.
//!
//! Script lines, as the Java client's calls read:
//! - `v, gen = aerospike GET balance:1` — the value and its generation; a missing record gives
//!   `null` and generation 0 (as the Java client's `get` returns no record);
//! - `aerospike PUT balance:1 {v} [GEN {gen}] [TTL seconds]` — a write; with `GEN`, only if the
//!   record's generation is still that (0 for "does not exist"), else `GENERATION_ERROR`;
//! - `aerospike CREATE lock:balance:1 {token} [TTL seconds]` — only if there is no record, else
//!   `KEY_EXISTS_ERROR`;
//! - `aerospike DELETE lock:balance:1` — true when a record was removed.
//!
//! Error replies carry the result code names of Aerospike's clients, which `except` matches.

pub mod view;

use crate::service::api::{
    wrong_service, AsReply, Call, ConnId, Done, Exec, Fired, LineError, Mode, Reply, Request,
    Resource, Service, ServiceId, ServiceView, Touch,
};
use crate::service::redis::command::{Command, Part};
use crate::value::Value;
use std::collections::BTreeMap;
use view::{AsRecordView, AsView};

/// The space records live in, for footprints.
const SPACE: &str = "aerospike records";

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub value: Value,
    pub generation: u32,
    /// Virtual ms after which the record is gone.
    pub expires_at: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Aerospike {
    records: BTreeMap<String, Record>,
}

/// Compiles an `aerospike …` line: the operation, its key and value, `GEN n`, `TTL s`.
pub fn parse(text: &str) -> Result<Call, LineError> {
    let (cmd, params) = crate::service::redis::parse_words(text)?;
    let op = match cmd.words.first().map(Vec::as_slice) {
        Some([Part::Lit(op)]) => op.to_ascii_uppercase(),
        _ => String::new(),
    };
    let n = cmd.words.len();
    let ok_shape = match op.as_str() {
        "GET" | "DELETE" => n == 2,
        "PUT" | "CREATE" => n >= 3 && options(&cmd.words[3..], op == "PUT").is_ok(),
        _ => false,
    };
    if !ok_shape {
        let why = match op.as_str() {
            "PUT" | "CREATE" => options(&cmd.words[3.min(n)..], op == "PUT")
                .err()
                .unwrap_or_else(|| format!("write `aerospike {op} KEY VALUE [GEN g] [TTL s]`")),
            "GET" | "DELETE" => format!("write `aerospike {op} KEY`"),
            _ => format!(
                "the aerospike operation {op} is not supported by the simulator (it models GET, PUT, CREATE, DELETE)"
            ),
        };
        return Err(LineError {
            col: 0,
            message: why,
        });
    }
    Ok(Call {
        request: Request::Aerospike(cmd),
        params,
        no_values: None,
    })
}

/// `GEN g` and `TTL s` after a write's value; checks the shape only (values may be variables).
fn options(words: &[Vec<Part>], gen_allowed: bool) -> Result<(), String> {
    let mut i = 0;
    while i < words.len() {
        let name = match words[i].as_slice() {
            [Part::Lit(w)] => w.to_ascii_uppercase(),
            _ => String::new(),
        };
        match name.as_str() {
            "GEN" if gen_allowed && i + 1 < words.len() => {}
            "TTL" if i + 1 < words.len() => {}
            _ => {
                return Err(format!(
                    "after the value, a write takes {}TTL seconds",
                    if gen_allowed {
                        "GEN generation and "
                    } else {
                        ""
                    }
                ))
            }
        }
        i += 2;
    }
    Ok(())
}

fn error(code: &str, message: String) -> AsReply {
    AsReply::Error {
        code: code.into(),
        message,
    }
}

fn number(word: &str, what: &str) -> Result<u64, AsReply> {
    word.parse::<u64>().map_err(|_| {
        error(
            "PARAMETER_ERROR",
            format!("{what} must be a whole number, got {word:?}"),
        )
    })
}

impl Aerospike {
    /// The records a lesson's `aerospike_setup` writes (`PUT balance:1 500`, one per line),
    /// before any client: generations start at 1, as after one write.
    pub fn from_setup(text: &str) -> Result<Aerospike, crate::service::api::SetupError> {
        let mut a = Aerospike::default();
        crate::service::redis::run_setup(text, parse, |words| match a.exec(words, &[], 0) {
            AsReply::Error { code, message } => Err(format!("{code}: {message}")),
            _ => Ok(()),
        })?;
        Ok(a)
    }

    /// Runs one operation on words with the variables filled in, at virtual time `now`.
    pub fn exec(&mut self, w: &[String], values: &[Option<Value>], now: u64) -> AsReply {
        self.expire_due(now);
        let key = w[1].clone();
        match w[0].to_ascii_uppercase().as_str() {
            "GET" => match self.records.get(&key) {
                Some(r) => AsReply::Record {
                    value: r.value.clone(),
                    generation: r.generation,
                },
                None => AsReply::Record {
                    value: Value::Null,
                    generation: 0,
                },
            },
            "DELETE" => AsReply::Deleted(self.records.remove(&key).is_some()),
            op => self.write(op == "CREATE", &key, w, values, now),
        }
    }

    fn write(
        &mut self,
        create: bool,
        key: &str,
        w: &[String],
        values: &[Option<Value>],
        now: u64,
    ) -> AsReply {
        let (mut expect, mut ttl) = (None, None);
        for pair in w[3..].chunks(2) {
            let n = match number(&pair[1], &pair[0].to_ascii_uppercase()) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if pair[0].eq_ignore_ascii_case("GEN") {
                expect = Some(n as u32);
            } else {
                ttl = Some(n);
            }
        }
        let current = self.records.get(key).map_or(0, |r| r.generation);
        if create && current > 0 {
            return error("KEY_EXISTS_ERROR", format!("record {key} already exists"));
        }
        if let Some(g) = expect.filter(|g| *g != current) {
            return error(
                "GENERATION_ERROR",
                format!("record {key} has generation {current}, the write expected {g}"),
            );
        }
        let generation = current + 1;
        self.records.insert(
            key.to_string(),
            Record {
                value: values
                    .get(2)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| literal(&w[2])),
                generation,
                expires_at: ttl.map(|s| now + s * 1000),
            },
        );
        AsReply::Written { generation }
    }

    fn expire_due(&mut self, now: u64) -> Vec<String> {
        let gone: Vec<String> = self
            .records
            .iter()
            .filter(|(_, r)| r.expires_at.is_some_and(|t| now >= t))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.records.remove(k);
        }
        gone
    }
}

/// The typed value of each word that is a single variable (a record keeps `500` an integer).
fn typed(cmd: &Command, params: &[Value]) -> Vec<Option<Value>> {
    cmd.words
        .iter()
        .map(|parts| match parts.as_slice() {
            [Part::Param(i)] => params.get(*i).cloned(),
            _ => None,
        })
        .collect()
}

/// A value written in the line itself: an integer when it reads as one, else text.
fn literal(word: &str) -> Value {
    word.parse::<i64>()
        .map(Value::Int)
        .unwrap_or_else(|_| Value::Text(word.to_string()))
}

impl Service for Aerospike {
    fn call(
        &mut self,
        id: ServiceId,
        _: ConnId,
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
        let Request::Aerospike(cmd) = request else {
            return done(wrong_service("Aerospike"), Vec::new());
        };
        let words = match cmd.words(params) {
            Ok(w) => w,
            Err(e) => return done(Reply::ConnectionError(e), Vec::new()),
        };
        let mode = if words[0].eq_ignore_ascii_case("GET") {
            Mode::Read
        } else {
            Mode::Write
        };
        let touch = Touch {
            service: id,
            resource: Resource::Item {
                space: SPACE.into(),
                key: words[1].clone(),
            },
            mode,
        };
        let reply = self.exec(&words, &typed(cmd, params), now);
        done(Reply::Aerospike(reply), vec![touch])
    }

    fn disconnect(&mut self, _: ServiceId, _: ConnId, _: u64) -> Done {
        Done {
            reply: Reply::Aerospike(AsReply::Deleted(false)),
            touches: Vec::new(),
            woken: Vec::new(),
        }
    }

    fn next_deadline(&self) -> Option<u64> {
        self.records.values().filter_map(|r| r.expires_at).min()
    }

    fn fire(&mut self, id: ServiceId, now: u64, _: &dyn Fn(ConnId) -> String) -> Fired {
        Fired::expired(id, SPACE, "record", self.expire_due(now))
    }

    fn query(&self, request: &Request) -> Reply {
        let Request::Aerospike(cmd) = request else {
            return wrong_service("Aerospike");
        };
        match cmd.words(&[]) {
            Ok(words) if words[0].eq_ignore_ascii_case("GET") => {
                Reply::Aerospike(self.clone().exec(&words, &[], 0))
            }
            Ok(_) => Reply::ConnectionError("an assertion only reads (GET)".into()),
            Err(e) => Reply::ConnectionError(e),
        }
    }

    /// Records named `lock:…` are locks (the lessons' convention for a cache lock).
    fn locks_held(&self) -> usize {
        self.records
            .keys()
            .filter(|k| k.starts_with("lock:"))
            .count()
    }

    fn view(&self, _: &dyn Fn(ConnId) -> String, now: u64) -> ServiceView {
        ServiceView::Aerospike(AsView {
            records: self
                .records
                .iter()
                .map(|(k, r)| AsRecordView {
                    key: k.clone(),
                    value: r.value.plain(),
                    generation: r.generation,
                    ttl_ms: r.expires_at.map(|t| t.saturating_sub(now)),
                })
                .collect(),
        })
    }
}
