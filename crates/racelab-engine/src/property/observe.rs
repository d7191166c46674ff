//! Observations: what a lesson's case table reports about the end of each execution, in the
//! words of the lesson's document — "DB unchanged", "cache stale", "Cache?", "lock left". A
//! lesson's `[[observe]]` entries compile here; the explorer puts their words in each outcome.
//!
//! An observation reads one thing at the end — a query's one value (`sql`, `redis`), a
//! client's variable (`var`), a service counter (`counter`), how many locks are still held
//! (`locks = true`) — or compares a query with the database (`equals_sql`: `same`, `different`
//! or `missing`), and names the value through `words` (`"*"` names every value not listed).
//! Reading them off a world is in `judge.rs`.

use super::{prepare, Context};
use crate::lesson::raw::RawObserve;
use crate::lesson::source::LessonError;
use crate::service::api::{Request, ServiceId};
use crate::service::Kind;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Observed {
    Query {
        service: ServiceId,
        request: Request,
        /// Compared with this query's value (`same` / `different` / `missing`).
        against: Option<Box<(ServiceId, Request)>>,
    },
    Var {
        client: usize,
        var: String,
    },
    Counter {
        service: ServiceId,
        name: String,
    },
    Locks,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    pub id: String,
    pub says: String,
    pub what: Observed,
    pub words: BTreeMap<String, String>,
}

const ONE_SOURCE: &str =
    "an observation has exactly one of: sql, redis, aerospike, cql (each may add equals_sql), var, counter, locks = true";

impl RawObserve {
    /// The query it reads, if it reads one: (the service kind, the request text).
    fn query(&self) -> Option<(Kind, &toml::Spanned<String>)> {
        self.sql
            .as_ref()
            .map(|t| (Kind::Postgres, t))
            .or(self.redis.as_ref().map(|t| (Kind::Redis, t)))
            .or(self.aerospike.as_ref().map(|t| (Kind::Aerospike, t)))
            .or(self.cql.as_ref().map(|t| (Kind::Cassandra, t)))
    }

    pub(crate) fn compile(
        &self,
        cx: &Context,
        errors: &mut Vec<LessonError>,
    ) -> Option<Observation> {
        let src = cx.src;
        let sources = [
            self.sql.is_some(),
            self.redis.is_some(),
            self.aerospike.is_some(),
            self.cql.is_some(),
            self.var.is_some(),
            self.counter.is_some(),
            self.locks == Some(true),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            errors.push(src.err(self.id.span(), ONE_SOURCE));
            return None;
        }
        if self.equals_sql.is_some() && self.query().is_none() {
            errors.push(src.err(
                self.id.span(),
                "`equals_sql` goes with `sql`, `redis`, `aerospike` or `cql`",
            ));
        }
        let what = if let Some((kind, text)) = self.query() {
            let (service, request) = prepare(kind, text, cx, errors)?;
            let against = match &self.equals_sql {
                Some(q) => Some(Box::new(prepare(Kind::Postgres, q, cx, errors)?)),
                None => None,
            };
            Observed::Query {
                service,
                request,
                against,
            }
        } else if let Some(v) = &self.var {
            let (client, var) = v.get_ref().split_once('.').unwrap_or(("", ""));
            let Some(client) = cx.client_names.iter().position(|c| c == client) else {
                errors.push(src.err(v.span(), "write the variable as CLIENT.name, like \"T1.bal\", with a client of the lesson"));
                return None;
            };
            Observed::Var {
                client,
                var: var.to_string(),
            }
        } else if let Some(c) = &self.counter {
            let (svc, name) = c.get_ref().split_once('.').unwrap_or(("", ""));
            let service = cx.services.iter().position(|d| d.name == svc);
            let known = service
                .and_then(|s| cx.initial.get(s).cloned().flatten())
                .is_some_and(|st| st.counter(name).is_some());
            let (Some(service), true) = (service, known) else {
                errors.push(src.err(c.span(), format!("no counter \"{}\"", c.get_ref())));
                return None;
            };
            Observed::Counter {
                service,
                name: name.to_string(),
            }
        } else {
            Observed::Locks
        };
        Some(Observation {
            id: self.id.get_ref().clone(),
            says: self.says.clone().unwrap_or_default(),
            what,
            words: self.words.clone(),
        })
    }
}
