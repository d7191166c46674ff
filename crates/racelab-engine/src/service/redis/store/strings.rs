//! String commands: GET, SET (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL), SETEX, PSETEX, SETNX,
//! GETDEL, INCR, DECR, INCRBY, DECRBY, MGET, MSET.

use super::{parse_int, Entry, Store, Val};
use crate::service::redis::resp::Resp;

/// SET's options once parsed.
#[derive(Default)]
struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    /// The absolute expiry time (virtual ms), if one was given.
    expires_at: Option<u64>,
}

/// An expiry given relative (`EX`, `PX`) or absolute (`EXAT`, `PXAT`) turned into virtual ms;
/// `command` names the command in the error Redis gives for a non-positive time.
fn expiry(unit: &str, arg: &str, now: u64, command: &str) -> Result<u64, Resp> {
    let n = parse_int(arg).ok_or_else(Resp::not_integer)?;
    if n <= 0 {
        return Err(Resp::err(format!(
            "invalid expire time in '{command}' command"
        )));
    }
    let ms = match unit {
        "ex" | "exat" => n.checked_mul(1000),
        _ => Some(n),
    }
    .ok_or_else(|| Resp::err(format!("invalid expire time in '{command}' command")))?;
    match unit {
        // Redis adds the clock in 64-bit signed arithmetic: past that it is an error.
        "ex" | "px" => ms
            .checked_add(now as i64)
            .map(|t| t as u64)
            .ok_or_else(|| Resp::err(format!("invalid expire time in '{command}' command"))),
        _ => Ok(ms as u64),
    }
}

fn set_opts(w: &[String], now: u64) -> Result<SetOpts, Resp> {
    let mut o = SetOpts::default();
    let mut i = 3;
    // The time option given, if any: the same one may come again (the last one counts), two
    // different ones are a syntax error, as in Redis.
    let mut time: Option<(String, &String)> = None;
    while i < w.len() {
        let opt = w[i].to_ascii_lowercase();
        let other_unit = time.as_ref().is_some_and(|(unit, _)| *unit != opt);
        match opt.as_str() {
            "nx" if !o.xx => o.nx = true,
            "xx" if !o.nx => o.xx = true,
            "get" => o.get = true,
            "keepttl" if time.is_none() => o.keep_ttl = true,
            "ex" | "px" | "exat" | "pxat" if !other_unit && !o.keep_ttl && i + 1 < w.len() => {
                time = Some((opt, &w[i + 1]));
                i += 1;
            }
            _ => return Err(Resp::syntax()),
        }
        i += 1;
    }
    // Redis checks the time after the syntax of every option.
    if let Some((unit, arg)) = time {
        o.expires_at = Some(expiry(&unit, arg, now, "set")?);
    }
    Ok(o)
}

impl Store {
    pub(super) fn string_command(&mut self, name: &str, w: &[String], now: u64) -> Resp {
        match name {
            "get" => match self.read_str(&w[1]) {
                Ok(v) => Resp::bulk_or_nil(v.as_ref()),
                Err(e) => e,
            },
            "set" => self.set(w, now),
            "setex" | "psetex" => {
                let unit = if name == "setex" { "ex" } else { "px" };
                match expiry(unit, &w[2], now, name) {
                    Ok(at) => {
                        self.write_str(&w[1], w[3].clone(), Some(at));
                        Resp::ok()
                    }
                    Err(e) => e,
                }
            }
            "setnx" => {
                if self.keys.contains_key(&w[1]) {
                    Resp::Int(0)
                } else {
                    self.write_str(&w[1], w[2].clone(), None);
                    Resp::Int(1)
                }
            }
            "getdel" => match self.read_str(&w[1]) {
                Ok(Some(v)) => {
                    self.delete(&w[1]);
                    Resp::Bulk(v)
                }
                Ok(None) => Resp::Nil,
                Err(e) => e,
            },
            "incr" => self.incr_by(&w[1], 1),
            "decr" => self.incr_by(&w[1], -1),
            "incrby" | "decrby" => match parse_int(&w[2]) {
                Some(n) if name == "incrby" => self.incr_by(&w[1], n),
                Some(n) => match n.checked_neg() {
                    Some(m) => self.incr_by(&w[1], m),
                    None => Resp::err("decrement would overflow"),
                },
                None => Resp::not_integer(),
            },
            "mget" => Resp::Array(
                w[1..]
                    .iter()
                    .map(|k| match self.read_str(k) {
                        Ok(v) => Resp::bulk_or_nil(v.as_ref()),
                        Err(_) => Resp::Nil,
                    })
                    .collect(),
            ),
            _ => self.mset(w),
        }
    }

    fn set(&mut self, w: &[String], now: u64) -> Resp {
        let o = match set_opts(w, now) {
            Ok(o) => o,
            Err(e) => return e,
        };
        let old = match self.keys.get(&w[1]) {
            None => None,
            Some(Entry {
                value: Val::Str(s),
                expires_at,
            }) => Some((s.clone(), *expires_at)),
            Some(_) if o.get => return Resp::wrong_type(),
            Some(Entry { expires_at, .. }) => Some((String::new(), *expires_at)),
        };
        let exists = self.keys.contains_key(&w[1]);
        let reply_old = || Resp::bulk_or_nil(old.as_ref().map(|(s, _)| s));
        if (o.nx && exists) || (o.xx && !exists) {
            return if o.get { reply_old() } else { Resp::Nil };
        }
        let expires_at = if o.keep_ttl {
            old.as_ref().and_then(|(_, t)| *t)
        } else {
            o.expires_at
        };
        self.write_str(&w[1], w[2].clone(), expires_at);
        if o.get {
            reply_old()
        } else {
            Resp::ok()
        }
    }

    fn incr_by(&mut self, key: &str, by: i64) -> Resp {
        let (current, expires_at) = match self.keys.get(key) {
            None => (0, None),
            Some(Entry {
                value: Val::Str(s),
                expires_at,
            }) => match parse_int(s) {
                Some(n) => (n, *expires_at),
                None => return Resp::not_integer(),
            },
            Some(_) => return Resp::wrong_type(),
        };
        match current.checked_add(by) {
            Some(n) => {
                self.write_str(key, n.to_string(), expires_at);
                Resp::Int(n)
            }
            None => Resp::err("increment or decrement would overflow"),
        }
    }

    fn mset(&mut self, w: &[String]) -> Resp {
        if w.len().is_multiple_of(2) {
            return Resp::err("wrong number of arguments for 'mset' command");
        }
        for pair in w[1..].chunks(2) {
            self.write_str(&pair[0], pair[1].clone(), None);
        }
        Resp::ok()
    }
}
