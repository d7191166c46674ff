//! Key commands: DEL, EXISTS, EXPIRE and PEXPIRE (with NX, XX, GT, LT), TTL, PTTL, PERSIST.

use super::{parse_int, Store};
use crate::service::redis::resp::Resp;

impl Store {
    pub(super) fn key_command(&mut self, name: &str, w: &[String], now: u64) -> Resp {
        match name {
            "del" => Resp::Int(w[1..].iter().filter(|k| self.delete(k)).count() as i64),
            "exists" => {
                Resp::Int(w[1..].iter().filter(|k| self.keys.contains_key(*k)).count() as i64)
            }
            "expire" | "pexpire" => self.expire(name, w, now),
            "ttl" | "pttl" => match self.keys.get(&w[1]) {
                None => Resp::Int(-2),
                Some(e) => match e.expires_at {
                    None => Resp::Int(-1),
                    Some(t) => {
                        let ms = t.saturating_sub(now) as i64;
                        Resp::Int(if name == "ttl" { (ms + 500) / 1000 } else { ms })
                    }
                },
            },
            _ => match self.keys.get_mut(&w[1]) {
                Some(e) if e.expires_at.is_some() => {
                    e.expires_at = None;
                    self.touched(&w[1]);
                    Resp::Int(1)
                }
                _ => Resp::Int(0),
            },
        }
    }

    /// EXPIRE / PEXPIRE key time [NX | XX | GT | LT].
    fn expire(&mut self, name: &str, w: &[String], now: u64) -> Resp {
        let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
        for opt in &w[3..] {
            match opt.to_ascii_lowercase().as_str() {
                "nx" => nx = true,
                "xx" => xx = true,
                "gt" => gt = true,
                "lt" => lt = true,
                _ => return Resp::err(format!("Unsupported option {opt}")),
            }
        }
        if nx && (xx || gt || lt) {
            return Resp::err("NX and XX, GT or LT options at the same time are not compatible");
        }
        if gt && lt {
            return Resp::err("GT and LT options at the same time are not compatible");
        }
        // Redis reads the options before the number.
        let Some(n) = parse_int(&w[2]) else {
            return Resp::not_integer();
        };
        let ms = if name == "expire" {
            n.checked_mul(1000)
        } else {
            Some(n)
        };
        let Some(when) = ms.and_then(|ms| (now as i64).checked_add(ms)) else {
            return Resp::err(format!("invalid expire time in '{name}' command"));
        };
        let Some(current) = self.keys.get(&w[1]).map(|e| e.expires_at) else {
            return Resp::Int(0);
        };
        let applies = match current {
            _ if nx => current.is_none(),
            None => !(xx || gt),
            Some(t) if gt => when > t as i64,
            Some(t) if lt => when < t as i64,
            Some(_) => true,
        };
        if !applies {
            return Resp::Int(0);
        }
        if when <= now as i64 {
            self.delete(&w[1]);
        } else if let Some(e) = self.keys.get_mut(&w[1]) {
            e.expires_at = Some(when as u64);
            self.touched(&w[1]);
        }
        Resp::Int(1)
    }
}
