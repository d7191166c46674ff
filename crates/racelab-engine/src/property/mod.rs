//! Properties: what a lesson asserts about a run. A lesson's `[[assert]]` entries compile into
//! [`Property`]s here — each kind's file syntax, compilation and judgement live together in this
//! module, so adding a kind is one enum arm in each of three neighbouring functions.
//!
//! Judging lives in `judge.rs`. A property is judged `at = "end"` (the default: pending until no action is possible, then
//! pass or fail on the final world) or `at = "always"` (it must hold in every state of the run:
//! the first state where it does not is recorded in the world, and the verdict is fail from
//! then on).

pub mod judge;
pub mod observe;

use crate::lesson::group::{clients_named, Group};
use crate::lesson::raw::RawAssert;
use crate::lesson::source::{LessonError, Source};
use crate::service::api::{Request, ServiceId};
use crate::service::postgres::sql::{self, SqlError};
use crate::service::{Decl, Kind, ServiceState};
use crate::value::Value;
use toml::Spanned;

/// What a query is compared with.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Expected {
    /// A value written in the lesson (`equals = 100`).
    Value(Value),
    /// The value another query returns now (`equals_sql = "SELECT …"`): a cache against its
    /// database.
    Query {
        service: ServiceId,
        request: Request,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Pass,
    Fail,
    Pending,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Pending => "pending",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum When {
    /// Judged on the final world.
    End,
    /// Must hold in every state.
    Always,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Check {
    /// The one value a read-only request returns (`sql = …` or `redis = …`) equals what is
    /// expected. Values compare as text when their types differ (a cache stores text).
    Query {
        service: ServiceId,
        request: Request,
        expected: Expected,
        /// Nothing at all (a key that is not cached) passes too (`missing_ok = true`): the next
        /// read will load it from the database.
        missing_ok: bool,
    },
    /// A client's variable at the end equals what is expected (`var = "USER.cart"`).
    Var {
        client: usize,
        var: String,
        expected: Expected,
    },
    /// A service's counter at the end (`counter = "redis.misses"`), e.g. how many reads went to
    /// the database.
    Counter {
        service: ServiceId,
        name: String,
        expected: Value,
    },
    /// Every listed client (all when empty) finishes within `ms` of virtual time.
    FinishWithin { ms: u64, clients: Vec<usize> },
    /// No service holds a lock and no client waits forever.
    NoLocksHeld,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Property {
    pub id: String,
    pub says: String,
    pub when: When,
    pub check: Check,
}

/// What compiling an assertion needs from the rest of the lesson.
pub(crate) struct Context<'a> {
    pub src: &'a Source<'a>,
    pub services: &'a [Decl],
    pub initial: &'a [Option<ServiceState>],
    pub client_names: &'a [String],
    pub groups: &'a [Group],
}

impl Context<'_> {
    /// The client named `name`, or an error that says why there is none.
    pub(crate) fn client(&self, name: &str) -> Result<usize, String> {
        if let Some(i) = self.client_names.iter().position(|c| c == name) {
            return Ok(i);
        }
        Err(match self.groups.iter().find(|g| g.name == name) {
            Some(g) => format!(
                "\"{name}\" is a group of {} clients: name one of them, like \"{name}1\"",
                g.count
            ),
            None => format!("no client named \"{name}\""),
        })
    }
}

const ONE_CHECK: &str = "an assertion has exactly one of: sql, redis, aerospike, cql or var (each with equals or equals_sql), counter (with equals), finish_within_ms, no_locks_held = true";

/// Compiling `[[assert]]` entries (the raw form lives in `lesson/raw.rs`).
impl RawAssert {
    pub(crate) fn compile(&self, cx: &Context, errors: &mut Vec<LessonError>) -> Option<Property> {
        let src = cx.src;
        let kinds = [
            self.sql.is_some(),
            self.redis.is_some(),
            self.aerospike.is_some(),
            self.cql.is_some(),
            self.var.is_some(),
            self.counter.is_some(),
            self.finish_within_ms.is_some(),
            self.no_locks_held.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            errors.push(src.err(self.id.span(), ONE_CHECK));
            return None;
        }
        let check = if let Some(text) = &self.sql {
            self.query(Kind::Postgres, text, cx, errors)?
        } else if let Some(text) = &self.redis {
            self.query(Kind::Redis, text, cx, errors)?
        } else if let Some(text) = &self.aerospike {
            self.query(Kind::Aerospike, text, cx, errors)?
        } else if let Some(text) = &self.cql {
            self.query(Kind::Cassandra, text, cx, errors)?
        } else if let Some(var) = &self.var {
            self.var_check(var, cx, errors)?
        } else if let Some(c) = &self.counter {
            self.counter_check(c, cx, errors)?
        } else if let Some(ms) = self.finish_within_ms {
            let names = self.clients.as_deref().unwrap_or_default();
            let clients = clients_named(names, cx.client_names, cx.groups, src, errors);
            Check::FinishWithin { ms, clients }
        } else if self.no_locks_held == Some(true) {
            Check::NoLocksHeld
        } else {
            errors.push(src.err(self.id.span(), "`no_locks_held` can only be true"));
            return None;
        };
        let compares = self.sql.is_some()
            || self.redis.is_some()
            || self.aerospike.is_some()
            || self.cql.is_some()
            || self.var.is_some()
            || self.counter.is_some();
        if (self.equals.is_some() || self.equals_sql.is_some()) && !compares {
            errors.push(src.err(
                self.id.span(),
                "`equals` and `equals_sql` go with `sql`, `redis` or `var`",
            ));
        }
        if self.missing_ok.is_some()
            && self.redis.is_none()
            && self.sql.is_none()
            && self.aerospike.is_none()
            && self.cql.is_none()
        {
            errors.push(src.err(
                self.id.span(),
                "`missing_ok` goes with `redis`, `aerospike`, `cql` or `sql`",
            ));
        }
        Some(Property {
            id: self.id.get_ref().clone(),
            says: self.says.clone(),
            when: self.when(src, errors),
            check,
        })
    }

    fn when(&self, src: &Source, errors: &mut Vec<LessonError>) -> When {
        match self.at.as_ref().map(|a| (a.get_ref().as_str(), a.span())) {
            None | Some(("end", _)) => When::End,
            Some(("always", _)) => When::Always,
            Some((other, span)) => {
                errors.push(src.err(
                    span,
                    format!("`at` is \"end\" or \"always\", not \"{other}\""),
                ));
                When::End
            }
        }
    }

    /// `counter = "redis.misses"` with `equals`.
    fn counter_check(
        &self,
        c: &Spanned<String>,
        cx: &Context,
        errors: &mut Vec<LessonError>,
    ) -> Option<Check> {
        let Some(expected) = self.equals.clone() else {
            errors.push(
                cx.src
                    .err(c.span(), "a counter assertion needs `equals = …`"),
            );
            return None;
        };
        let (svc, name) = c.get_ref().split_once('.').unwrap_or(("", ""));
        let service = cx.services.iter().position(|d| d.name == svc);
        let known = service
            .and_then(|s| cx.initial.get(s).cloned().flatten())
            .and_then(|st| st.counter(name));
        match (service, known) {
            (Some(service), Some(_)) => Some(Check::Counter {
                service,
                name: name.to_string(),
                expected: expected.into(),
            }),
            _ => {
                errors.push(cx.src.err(
                    c.span(),
                    format!(
                        "no counter \"{}\" (counters: redis.hits, redis.misses, redis.sets, redis.deletes, redis.expired)",
                        c.get_ref()
                    ),
                ));
                None
            }
        }
    }

    /// `var = "CLIENT.name"` with `equals`.
    fn var_check(
        &self,
        var: &Spanned<String>,
        cx: &Context,
        errors: &mut Vec<LessonError>,
    ) -> Option<Check> {
        let expected = self.expected("a var", var, cx, errors)?;
        let Some((client, name)) = var.get_ref().split_once('.') else {
            errors.push(cx.src.err(
                var.span(),
                "write the variable as CLIENT.name, like \"T1.bal\"",
            ));
            return None;
        };
        let client = match cx.client(client) {
            Ok(i) => i,
            Err(e) => {
                errors.push(cx.src.err(var.span(), e));
                return None;
            }
        };
        Some(Check::Var {
            client,
            var: name.to_string(),
            expected,
        })
    }

    /// `sql = …` or `redis = …`, compared with `equals` or `equals_sql`.
    fn query(
        &self,
        kind: Kind,
        text: &Spanned<String>,
        cx: &Context,
        errors: &mut Vec<LessonError>,
    ) -> Option<Check> {
        let (service, request) = prepare(kind, text, cx, errors)?;
        let expected = self.expected(article_key(kind), text, cx, errors)?;
        Some(Check::Query {
            service,
            request,
            expected,
            missing_ok: self.missing_ok == Some(true),
        })
    }

    /// `equals = …` or `equals_sql = "SELECT …"` (exactly one).
    fn expected(
        &self,
        what: &str,
        at: &Spanned<String>,
        cx: &Context,
        errors: &mut Vec<LessonError>,
    ) -> Option<Expected> {
        match (&self.equals, &self.equals_sql) {
            (Some(v), None) => Some(Expected::Value(v.clone().into())),
            (None, Some(q)) => {
                let (service, request) = prepare(Kind::Postgres, q, cx, errors)?;
                Some(Expected::Query { service, request })
            }
            _ => {
                errors.push(cx.src.err(
                    at.span(),
                    format!(
                        "{what} assertion needs one of `equals = …` or `equals_sql = \"SELECT …\"`"
                    ),
                ));
                None
            }
        }
    }
}

/// "an sql" / "a redis": the assertion's key, for messages.
fn article_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Postgres => "an sql",
        Kind::Aerospike => "an aerospike",
        Kind::Cassandra => "a cql",
        _ => "a redis",
    }
}

/// A read-only request for an assertion, prepared and checked against the service's initial state.
fn prepare(
    kind: Kind,
    text: &Spanned<String>,
    cx: &Context,
    errors: &mut Vec<LessonError>,
) -> Option<(ServiceId, Request)> {
    let src = cx.src;
    let Some(service) = cx.services.iter().position(|d| d.kind == kind) else {
        errors.push(src.err(
            text.span(),
            format!(
                "{} assertion needs the {name} service (services = [\"{name}\", …])",
                article_key(kind),
                name = kind.name()
            ),
        ));
        return None;
    };
    let request = match kind {
        Kind::Postgres => {
            let prepared = sql::prepare(text.get_ref()).and_then(|stmt| {
                if !stmt.is_read_only() {
                    return Err(SqlError::not_supported(
                        "an assertion that changes data (assertions run a plain SELECT)",
                    ));
                }
                Ok(stmt)
            });
            match prepared {
                Ok(stmt) => Request::Sql(stmt),
                Err(e) => {
                    let (line, col) = e.position.unwrap_or((1, 1));
                    errors.push(src.inside(&text.span(), line, col, e.to_string()));
                    return None;
                }
            }
        }
        _ => match kind.parse(text.get_ref()) {
            Ok(call) if call.params.is_empty() => call.request,
            Ok(_) => {
                errors.push(src.inside(
                    &text.span(),
                    1,
                    1,
                    "an assertion cannot use script variables".into(),
                ));
                return None;
            }
            Err(e) => {
                errors.push(src.inside(&text.span(), 1, e.col + 1, e.message));
                return None;
            }
        },
    };
    let Some(Some(state)) = cx.initial.get(service) else {
        return None; // its setup failed, which is reported already
    };
    if let Err(e) = state.check(&request) {
        let (line, col) = e.position.unwrap_or((1, 1));
        errors.push(src.inside(&text.span(), line, col, e.message));
        return None;
    }
    Some((service, request))
}
