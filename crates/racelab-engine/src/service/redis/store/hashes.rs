//! Hash commands: HSET, HGET, HGETALL, HDEL, and the hash value itself ([`Fields`]).

use super::{Entry, Store, Val};
use crate::service::redis::resp::Resp;
use std::collections::BTreeMap;
use std::ops::Deref;

/// Redis 7's `hash-max-listpack-entries` and `hash-max-listpack-value` (defaults): up to that
/// many fields, none longer than that many bytes, a hash is a listpack and lists its fields in
/// insertion order. Past either limit it becomes a hash table for good, whose order the
/// simulator does not model.
pub const LISTPACK_MAX_ENTRIES: usize = 128;
pub const LISTPACK_MAX_VALUE: usize = 64;

/// A hash's fields, in insertion order as Redis lists a small hash (an updated field keeps its
/// place). Reads like a `BTreeMap` (sorted) through `Deref`, for the page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Fields {
    map: BTreeMap<String, String>,
    order: Vec<String>,
    /// Redis converted it to a hash table (see [`LISTPACK_MAX_ENTRIES`]): HGETALL's order is
    /// not modelled.
    big: bool,
}

impl Deref for Fields {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &BTreeMap<String, String> {
        &self.map
    }
}

impl Fields {
    /// Sets a field; true when it is new.
    pub fn insert(&mut self, field: String, value: String) -> bool {
        if field.len() > LISTPACK_MAX_VALUE || value.len() > LISTPACK_MAX_VALUE {
            self.big = true;
        }
        let new = self.map.insert(field.clone(), value).is_none();
        if new {
            self.order.push(field);
            if self.order.len() > LISTPACK_MAX_ENTRIES {
                self.big = true;
            }
        }
        new
    }

    /// Removes a field; true when it was there.
    pub fn remove(&mut self, field: &str) -> bool {
        let had = self.map.remove(field).is_some();
        if had {
            self.order.retain(|f| f != field);
        }
        had
    }

    /// Field-value pairs in Redis's order (insertion order).
    pub fn pairs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.order.iter().map(|f| (f, &self.map[f]))
    }

    /// Whether Redis would keep it as a hash table (order not modelled).
    pub fn is_big(&self) -> bool {
        self.big
    }
}

impl Store {
    pub(super) fn hash_command(&mut self, name: &str, w: &[String]) -> Resp {
        // HSET checks its field/value pairs before the key's type.
        if name == "hset" && !w.len().is_multiple_of(2) {
            return Resp::err("wrong number of arguments for 'hset' command");
        }
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
                if hash.as_ref().is_some_and(Fields::is_big) {
                    return Resp::err(format!(
                        "HGETALL of a hash that has had more than {LISTPACK_MAX_ENTRIES} fields or a field or value longer than {LISTPACK_MAX_VALUE} bytes is not supported by the simulator (Redis lists it in hash-table order)"
                    ));
                }
                self.count_read(hash.is_some());
                Resp::Array(
                    hash.unwrap_or_default()
                        .pairs()
                        .flat_map(|(f, v)| [Resp::Bulk(f.clone()), Resp::Bulk(v.clone())])
                        .collect(),
                )
            }
            _ => {
                let Some(mut h) = hash else {
                    return Resp::Int(0);
                };
                let removed = w[2..].iter().filter(|f| h.remove(f)).count();
                if h.is_empty() {
                    self.delete(&w[1]);
                } else if removed > 0 {
                    self.put_hash(&w[1], h);
                }
                Resp::Int(removed as i64)
            }
        }
    }

    fn hset(&mut self, w: &[String], mut h: Fields) -> Resp {
        let mut added = 0;
        for pair in w[2..].chunks(2) {
            if h.insert(pair[0].clone(), pair[1].clone()) {
                added += 1;
            }
        }
        self.put_hash(&w[1], h);
        self.stats.sets += 1;
        Resp::Int(added)
    }

    /// Replaces a hash's fields, keeping its expiry.
    fn put_hash(&mut self, key: &str, h: Fields) {
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
