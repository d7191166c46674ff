//! Transactions (WATCH, UNWATCH, MULTI, EXEC, DISCARD) and EVAL of the compare-and-delete
//! unlock script.

use super::{Conn, Store, Val};
use crate::service::redis::resp::Resp;

/// The standard safe-unlock script (Redis docs, "Distributed locks with Redis"), compared with
/// whitespace removed and `'` read as `"`.
pub const UNLOCK_SCRIPT: &str = r#"if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end"#;

fn normalize(script: &str) -> String {
    script
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '\'' { '"' } else { c })
        .collect()
}

/// Whether `script` is the unlock script (the only one the simulator runs).
pub fn is_unlock_script(script: &str) -> bool {
    normalize(script) == normalize(UNLOCK_SCRIPT)
}

impl Store {
    pub(super) fn tx_command(&mut self, conn: Conn, name: &str, w: &[String], now: u64) -> Resp {
        let st = self.conns.entry(conn).or_default();
        match name {
            "watch" if st.multi.is_some() => Resp::err("WATCH inside MULTI is not allowed"),
            "watch" => {
                st.watched.extend(w[1..].iter().cloned());
                Resp::ok()
            }
            "unwatch" => {
                st.watched.clear();
                st.dirty = false;
                Resp::ok()
            }
            "multi" if st.multi.is_some() => Resp::err("MULTI calls can not be nested"),
            "multi" => {
                st.multi = Some(Vec::new());
                st.multi_failed = false;
                Resp::ok()
            }
            "discard" if st.multi.is_none() => Resp::err("DISCARD without MULTI"),
            "discard" => {
                *st = super::ConnState {
                    channels: std::mem::take(&mut st.channels),
                    inbox: std::mem::take(&mut st.inbox),
                    ..Default::default()
                };
                Resp::ok()
            }
            _ => self.exec_queued(conn, now),
        }
    }

    fn exec_queued(&mut self, conn: Conn, now: u64) -> Resp {
        let st = self.conns.entry(conn).or_default();
        let Some(queued) = st.multi.take() else {
            return Resp::err("EXEC without MULTI");
        };
        let (failed, dirty) = (st.multi_failed, st.dirty);
        st.multi_failed = false;
        st.watched.clear();
        st.dirty = false;
        if failed {
            return Resp::Error(
                "EXECABORT Transaction discarded because of previous errors.".into(),
            );
        }
        if dirty {
            return Resp::NilArray;
        }
        Resp::Array(
            queued
                .iter()
                .map(|words| {
                    let name = words[0].to_ascii_lowercase();
                    self.run(conn, &name, words, now)
                })
                .collect(),
        )
    }

    /// EVAL script numkeys key... arg...: only the unlock script is modelled.
    pub(super) fn eval(&mut self, w: &[String], _now: u64) -> Resp {
        let Some(numkeys) = super::parse_int(&w[2]) else {
            return Resp::not_integer();
        };
        if numkeys < 0 {
            return Resp::err("Number of keys can't be negative");
        }
        if numkeys as usize > w.len() - 3 {
            return Resp::err("Number of keys can't be greater than number of args");
        }
        if !is_unlock_script(&w[1]) {
            return Resp::err(
                "EVAL of a script other than the compare-and-delete unlock script is not supported by the simulator",
            );
        }
        let (keys, args) = w[3..].split_at(numkeys as usize);
        let (Some(key), Some(token)) = (keys.first(), args.first()) else {
            return Resp::err("the unlock script needs one key and one argument (EVAL script 1 KEY TOKEN); other forms are not supported by the simulator");
        };
        match self.keys.get(key).map(|e| &e.value) {
            Some(Val::Str(v)) if v == token => Resp::Int(self.delete(key) as i64),
            Some(Val::Hash(_)) => Resp::err(
                "the unlock script on a key that holds a hash is not supported by the simulator",
            ),
            _ => Resp::Int(0),
        }
    }
}
