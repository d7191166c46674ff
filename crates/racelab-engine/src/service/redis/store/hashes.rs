//! Hash commands: HSET, HGET, HGETALL, HDEL.

use super::{Entry, Store, Val};
use crate::service::redis::resp::Resp;
use std::collections::BTreeMap;

impl Store {
    pub(super) fn hash_command(&mut self, name: &str, w: &[String]) -> Resp {
        let hash = match self.keys.get(&w[1]).map(|e| &e.value) {
            None => None,
            Some(Val::Hash(h)) => Some(h.clone()),
            Some(Val::Str(_)) => return Resp::wrong_type(),
        };
        match name {
            "hset" => self.hset(w, hash.unwrap_or_default()),
            "hget" => {
                self.count_read(hash.is_some());
                Resp::bulk_or_nil(hash.as_ref().and_then(|h| h.get(&w[2])))
            }
            "hgetall" => {
                self.count_read(hash.is_some());
                Resp::Array(
                    hash.unwrap_or_default()
                        .into_iter()
                        .flat_map(|(f, v)| [Resp::Bulk(f), Resp::Bulk(v)])
                        .collect(),
                )
            }
            _ => {
                let Some(mut h) = hash else {
                    return Resp::Int(0);
                };
                let removed = w[2..].iter().filter(|f| h.remove(*f).is_some()).count();
                if h.is_empty() {
                    self.delete(&w[1]);
                } else if removed > 0 {
                    self.put_hash(&w[1], h);
                }
                Resp::Int(removed as i64)
            }
        }
    }

    fn hset(&mut self, w: &[String], mut h: BTreeMap<String, String>) -> Resp {
        if !w.len().is_multiple_of(2) {
            return Resp::err("wrong number of arguments for 'hset' command");
        }
        let mut added = 0;
        for pair in w[2..].chunks(2) {
            if h.insert(pair[0].clone(), pair[1].clone()).is_none() {
                added += 1;
            }
        }
        self.put_hash(&w[1], h);
        self.stats.sets += 1;
        Resp::Int(added)
    }

    /// Replaces a hash's fields, keeping its expiry.
    fn put_hash(&mut self, key: &str, h: BTreeMap<String, String>) {
        let expires_at = self.keys.get(key).and_then(|e| e.expires_at);
        self.keys.insert(
            key.to_string(),
            Entry {
                value: Val::Hash(h),
                expires_at,
            },
        );
        self.touched(key);
    }

    fn count_read(&mut self, hit: bool) {
        if hit {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }
    }
}
