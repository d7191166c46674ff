//! Lesson files: plain TOML a course author writes by hand (see docs/lesson-format.md).
//!
//! Parsing is strict: unknown keys, unknown script, client or service names, scripts that do
//! not compile, requests a service does not model and setup SQL that fails are all errors that
//! name the file, line and column. A parsed [`Lesson`] has already set up its services, so a run
//! starts by cloning [`Lesson::initial`].

mod cases;
pub mod clients;
pub mod compiled;
pub mod goal;
pub mod group;
pub(crate) mod raw;
pub(crate) mod source;
pub mod translate;

use crate::property::observe::Observation;
use crate::property::{self, Property};
use crate::script::{self, ScriptRef};
use crate::service::aerospike::Aerospike;
use crate::service::api::{ServiceId, SetupError};
use crate::service::cassandra::Cassandra;
use crate::service::postgres::sql::Isolation;
use crate::service::postgres::Postgres;
use crate::service::redis::Redis;
use crate::service::zookeeper::{Zk, DEFAULT_SESSION_TIMEOUT_MS};
use crate::service::{Decl, Kind, ServiceState};
use crate::value::Value;
use raw::{RawLesson, RawVariant};
use source::Source;
use std::collections::BTreeMap;
use std::sync::Arc;
use toml::Spanned;

pub use goal::{Goal, GoalKind};
pub use group::Group;
pub use source::{LessonError, Location};

/// Virtual durations of steps, in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Timing {
    /// A local computation: an assignment, a condition, `return`, `fail`.
    pub compute: u64,
    /// A call to each service (in the lesson's `services` order): the time until its effect
    /// happens. PostgreSQL's is `sql` in the file; BEGIN and COMMIT count as calls.
    pub calls: Vec<u64>,
    /// How long the lock service keeps a silent client's session (`session_timeout`).
    pub session_timeout: u64,
}

impl Timing {
    pub fn call(&self, service: ServiceId) -> u64 {
        self.calls.get(service).copied().unwrap_or(self.compute)
    }
}

/// The default compute time when a lesson's `[timing]` does not say.
pub const DEFAULT_COMPUTE_MS: u64 = 1;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientDef {
    pub name: String,
    pub script: String,
    /// Inputs set before the script starts (`vars = { amount = 200 }`).
    pub vars: Vec<(String, Value)>,
    /// Virtual time at which the client starts.
    pub start: u64,
    /// The default isolation level of the client's PostgreSQL session (None: READ COMMITTED).
    pub isolation: Option<Isolation>,
    /// The client group it belongs to (an index into [`Lesson::groups`]).
    pub group: Option<usize>,
    /// A long-lived process: when each request arrives (empty: the script runs once).
    pub arrivals: Arc<[u64]>,
    /// Clients that must have ended before this one takes its first step (`after = ["POST"]`).
    pub after: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    pub name: String,
    /// URL- and DOM-friendly name: "for update" → "for-update".
    pub slug: String,
    pub explain: String,
    /// The compiled script of each client, in client order (members of a group share one:
    /// compiled lessons keep each script once, see [`compiled::shared`]).
    #[serde(with = "compiled::shared")]
    pub scripts: Vec<ScriptRef>,
    /// What the author says the default schedule shows: (assertion index, passes?, where said).
    pub expect: Vec<(usize, bool, Location)>,
    /// The variant's case table as the lesson declares it (`[variant.explore]`).
    pub explore: Option<ExploreSpec>,
    /// Every client's PostgreSQL isolation level in this variant (over the clients' own).
    pub isolation: Option<Isolation>,
    /// Faults that are part of the variant's story (`faults = ["down=redis@OPS:2"]`): the
    /// client's step at that line is the fault, in every run and execution of the variant.
    pub scenario: crate::fault::FaultPlan,
}

impl Variant {
    /// The isolation level client `c` of `lesson` runs at in this variant.
    pub fn isolation_of(&self, lesson: &Lesson, c: usize) -> Isolation {
        self.isolation
            .or_else(|| lesson.clients.get(c).and_then(|x| x.isolation))
            .unwrap_or_default()
    }
}

/// An `isolation = "repeatable read"` value, or an error naming the levels.
fn isolation(
    raw: Option<&Spanned<String>>,
    src: &source::Source,
    errors: &mut Vec<LessonError>,
) -> Option<Isolation> {
    let raw = raw?;
    let level = Isolation::from_name(raw.get_ref());
    if level.is_none() {
        errors.push(src.err(
            raw.span(),
            format!(
                "`{}` is not an isolation level (read uncommitted, read committed, repeatable read, serializable)",
                raw.get_ref()
            ),
        ));
    }
    level
}

/// Which faults a variant's case table places, and the tally its author expects.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExploreSpec {
    /// Fault kinds as `racelab explore --faults` takes them (checked by `racelab check`).
    pub faults: String,
    pub faults_at: Location,
    pub max_faults: usize,
    pub tally: Option<ExpectedTally>,
    /// The source document's own tally of this table, shown beside Racelab's.
    pub document: Option<String>,
    /// Each client group is explored with at most this many members.
    pub group_limit: usize,
    /// The clients faults are placed on (None: every client).
    pub fault_clients: Option<Vec<usize>>,
}

/// How many members of each client group the explorer runs unless a variant says otherwise.
pub const DEFAULT_GROUP_LIMIT: usize = 3;

/// `tally = "3 ok / 4 bad"` or `"3 ok / 4 bad, 1 mixed"`: rows of the case table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedTally {
    pub ok: usize,
    pub bad: usize,
    pub mixed: Option<usize>,
    pub at: Location,
}

/// The default fault kinds of a case table: those of the documents' hand analyses.
pub const DEFAULT_EXPLORE_FAULTS: &str = "exit,exit-after,error,sleep=60000";

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Lesson {
    pub slug: String,
    pub file: String,
    pub title: String,
    /// The source document this lesson traces back to.
    pub source: Option<String>,
    pub intro: String,
    pub timing: Timing,
    /// The services clients talk to, in declaration order (a [`ServiceId`] indexes this).
    pub services: Vec<Decl>,
    pub setup_sql: String,
    /// Each service after its setup, with one connection per client.
    pub initial: Vec<ServiceState>,
    pub clients: Vec<ClientDef>,
    pub variants: Vec<Variant>,
    pub assertions: Vec<Property>,
    /// What the case table reports about each execution's end (`[[observe]]`).
    pub observations: Vec<Observation>,
    /// Client groups (`count = N`), their members among [`Lesson::clients`].
    pub groups: Vec<Group>,
    /// Challenges for the student (`[[goal]]`).
    pub goals: Vec<Goal>,
    /// The group limit this lesson was parsed with ([`Lesson::bounded`]); None: every member.
    pub limit: Option<usize>,
    /// The lesson with client groups cut to each group limit its case tables explore with
    /// ([`Lesson::bounded`]), made when it is parsed; or why it does not read that way.
    pub forms: Vec<(usize, Result<Arc<Lesson>, String>)>,
    /// Its prose in other languages (`[translations.LANG]`).
    pub translations: BTreeMap<String, translate::Translation>,
    /// The language [`Lesson::in_language`] put its prose in (None: the file's own).
    pub language: Option<String>,
}

impl Lesson {
    pub fn variant_index(&self, name_or_slug: &str) -> Option<usize> {
        self.variants
            .iter()
            .position(|v| v.slug == name_or_slug || v.name == name_or_slug)
    }

    pub fn client_index(&self, name: &str) -> Option<usize> {
        self.clients.iter().position(|c| c.name == name)
    }

    /// The group limit variant `v`'s case table explores with: None when every group is
    /// within it (the lesson explores as it is).
    pub fn explore_limit(&self, v: usize) -> Option<usize> {
        let limit = self
            .variants
            .get(v)
            .and_then(|x| x.explore.as_ref())
            .map_or(DEFAULT_GROUP_LIMIT, |e| e.group_limit);
        // `count`, not the members here: a lesson already cut to the limit explores as it is.
        self.groups.iter().any(|g| g.count > limit).then_some(limit)
    }

    /// This lesson with each client group cut to at most `limit` members (the same lesson
    /// when no group is larger), for exploring: interchangeable clients beyond a few add
    /// interleavings, not new kinds of outcome. Replay ids of its executions carry the limit.
    /// The forms are made when the lesson is parsed, one per limit its case tables use, so a
    /// compiled lesson explores without the compiler; another limit is an error.
    pub fn bounded(self: &Arc<Self>, limit: Option<usize>) -> Result<Arc<Lesson>, String> {
        if limit == self.limit {
            return Ok(self.clone());
        }
        let form = limit.and_then(|k| self.forms.iter().find(|(at, _)| *at == k));
        match form {
            Some((_, form)) => form.clone(),
            None => {
                let mut made: Vec<String> = self.forms.iter().map(|(k, _)| k.to_string()).collect();
                made.insert(0, "all".to_string());
                Err(format!(
                    "the lesson is not prepared with client groups cut to {} members (its case tables use: {})",
                    limit.map_or("all".to_string(), |k| k.to_string()),
                    made.join(", ")
                ))
            }
        }
    }

    /// The group of client `c`, if it belongs to one.
    pub fn group_of(&self, c: usize) -> Option<&Group> {
        self.clients
            .get(c)
            .and_then(|d| d.group)
            .and_then(|g| self.groups.get(g))
    }
}

impl crate::fault::Names for Lesson {
    fn client_names(&self) -> Vec<&str> {
        self.clients.iter().map(|c| c.name.as_str()).collect()
    }
    fn service_names(&self) -> Vec<&str> {
        self.services.iter().map(|d| d.name.as_str()).collect()
    }
}

pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Parses and validates a lesson. `file` names the file in error messages; `slug` is the
/// lesson's id in URLs. Returns every problem found, located, first ones first.
pub fn parse(slug: &str, file: &str, text: &str) -> Result<Lesson, Vec<LessonError>> {
    parse_with(slug, file, text, None)
}

/// [`parse`], with each client group cut to at most `limit` members.
pub fn parse_with(
    slug: &str,
    file: &str,
    text: &str,
    limit: Option<usize>,
) -> Result<Lesson, Vec<LessonError>> {
    let src = Source { file, text };
    let raw: RawLesson = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![src.err(span, e.message().trim().to_string())]
    })?;
    let mut errors = Vec::new();
    let services = services(&raw, &src, &mut errors);
    let timing = timing(&raw, &src, &services, &mut errors);
    let (clients, groups) = clients::clients(&raw, &src, limit, &mut errors);
    // Set the services up now, so that every later check sees their initial state.
    let initial = setup(&raw, &src, (&services, &timing, clients.len()), &mut errors);
    let names: Vec<String> = clients.iter().map(|c| c.name.clone()).collect();
    let cx = property::Context {
        src: &src,
        services: &services,
        initial: &initial,
        client_names: &names,
        groups: &groups,
    };
    let assertions = assertions(&raw, &cx, &mut errors);
    let observations = observations(&raw, &cx, &mut errors);
    let variants = variants(&raw, &cx, &clients, &assertions, &mut errors);
    let goals = goal::goals(&raw.goals, &src, &variants, &assertions, &mut errors);
    for k in raw.scripts.keys() {
        if !clients.iter().any(|c| &c.script == k.get_ref()) {
            errors.push(src.err(
                k.span(),
                format!("no client runs script \"{}\"", k.get_ref()),
            ));
        }
    }
    let initial: Option<Vec<ServiceState>> = initial.into_iter().collect();
    let Some(initial) = initial.filter(|_| errors.is_empty()) else {
        return Err(each_once(errors));
    };
    let mut lesson = Lesson {
        slug: slug.to_string(),
        file: file.to_string(),
        title: raw.title,
        source: raw.source,
        intro: raw.intro.unwrap_or_default().trim().to_string(),
        timing,
        services,
        setup_sql: raw.setup.map(Spanned::into_inner).unwrap_or_default(),
        initial,
        clients,
        variants,
        assertions,
        observations,
        groups,
        goals,
        limit,
        forms: Vec::new(),
        translations: BTreeMap::new(),
        language: None,
    };
    cases::scenarios(&mut lesson, &raw.variants, &src, &mut errors);
    lesson.translations = translate::translations(&raw.translations, &lesson, &src, &mut errors);
    if !errors.is_empty() {
        return Err(each_once(errors));
    }
    if limit.is_none() {
        lesson.forms = forms(&lesson, slug, file, text);
    }
    Ok(lesson)
}

/// The lesson cut to every group limit its variants' case tables explore with.
fn forms(
    lesson: &Lesson,
    slug: &str,
    file: &str,
    text: &str,
) -> Vec<(usize, Result<Arc<Lesson>, String>)> {
    let mut limits: Vec<usize> = (0..lesson.variants.len())
        .filter_map(|v| lesson.explore_limit(v))
        .collect();
    limits.sort_unstable();
    limits.dedup();
    limits
        .into_iter()
        .map(|k| {
            // A form keeps no translations: `Lesson::in_language` translates it with its lesson's.
            let form = parse_with(slug, file, text, Some(k))
                .map(|mut f| {
                    f.translations.clear();
                    Arc::new(f)
                })
                .map_err(|errors| {
                    let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
                    format!(
                        "with client groups cut to {k} members the lesson does not read: {first}"
                    )
                });
            (k, form)
        })
        .collect()
}

/// The problems in file order, each once: a script that two clients with different inputs run
/// is compiled twice, and its errors must not be reported twice.
fn each_once(mut errors: Vec<LessonError>) -> Vec<LessonError> {
    errors.sort_by_key(|e| (e.at.line, e.at.col));
    let mut seen = std::collections::BTreeSet::new();
    errors.retain(|e| seen.insert((e.at.line, e.at.col, e.message.clone())));
    errors
}

/// The declared services (`["postgres"]` when the lesson does not say): `"redis"`, or
/// `"sessions:redis"` for a second instance named `sessions`.
fn services(raw: &RawLesson, src: &Source, errors: &mut Vec<LessonError>) -> Vec<Decl> {
    let Some(list) = &raw.services else {
        return vec![Decl::new(Kind::Postgres)];
    };
    let mut out: Vec<Decl> = Vec::new();
    for entry in list.get_ref() {
        let text = entry.get_ref().as_str();
        let (name, kind_name) = text.split_once(':').unwrap_or((text, text));
        let Some(kind) = Kind::from_name(kind_name) else {
            errors.push(src.err(
                entry.span(),
                format!(
                    "no service named \"{kind_name}\" (services: {})",
                    names(Kind::ALL.iter().map(|k| k.name()))
                ),
            ));
            continue;
        };
        let word = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !word {
            errors.push(src.err(
                entry.span(),
                "a service's name is one word, like \"sessions:redis\"",
            ));
        } else if out.iter().any(|d| d.name == name) {
            errors.push(src.err(
                entry.span(),
                format!("the service \"{name}\" is listed twice (name a second one: \"other:{kind_name}\")"),
            ));
        } else if kind == Kind::Postgres && out.iter().any(|d| d.kind == Kind::Postgres) {
            errors.push(src.err(
                entry.span(),
                "a second PostgreSQL is not supported by the simulator",
            ));
        } else {
            out.push(Decl {
                name: name.to_string(),
                kind,
            });
        }
    }
    if list.get_ref().is_empty() {
        errors.push(src.err(list.span(), "a lesson needs at least one service"));
    }
    out
}

fn timing(
    raw: &RawLesson,
    src: &Source,
    services: &[Decl],
    errors: &mut Vec<LessonError>,
) -> Timing {
    let mut t = Timing {
        compute: DEFAULT_COMPUTE_MS,
        calls: services.iter().map(|d| d.kind.default_duration()).collect(),
        session_timeout: DEFAULT_SESSION_TIMEOUT_MS,
    };
    for (key, ms) in &raw.timing {
        let name = key.get_ref().as_str();
        let service = services
            .iter()
            .position(|d| d.name == name || (name == "sql" && d.kind == Kind::Postgres));
        match (name, service) {
            ("compute", _) => t.compute = *ms.get_ref(),
            ("session_timeout", _) if has(services, Kind::Zookeeper) => {
                t.session_timeout = *ms.get_ref()
            }
            (_, Some(s)) => t.calls[s] = *ms.get_ref(),
            _ => {
                let keys = ["compute", "sql"]
                    .into_iter()
                    .chain(services.iter().map(|d| d.name.as_str()));
                errors.push(src.err(
                    key.span(),
                    format!("unknown timing `{name}` (timing keys: {})", names(keys)),
                ));
            }
        }
    }
    t
}

/// Each service's initial state (None for one whose setup failed).
fn setup(
    raw: &RawLesson,
    src: &Source,
    (services, timing, clients): (&[Decl], &Timing, usize),
    errors: &mut Vec<LessonError>,
) -> Vec<Option<ServiceState>> {
    let mut out = Vec::new();
    for (i, decl) in services.iter().enumerate() {
        // The setup keys set up the first service of their kind; a second one starts empty.
        if services.iter().position(|d| d.kind == decl.kind) != Some(i) {
            out.push(empty(decl.kind, timing, clients));
            continue;
        }
        out.push(setup_one(decl.kind, raw, src, (timing, clients), errors));
    }
    if let (Some(setup), false) = (&raw.cassandra_setup, has(services, Kind::Cassandra)) {
        errors.push(src.err(
            setup.span(),
            "`cassandra_setup` sets Cassandra up, but the lesson does not use the cassandra service",
        ));
    }
    if let (Some(setup), false) = (&raw.aerospike_setup, has(services, Kind::Aerospike)) {
        errors.push(src.err(
            setup.span(),
            "`aerospike_setup` sets Aerospike up, but the lesson does not use the aerospike service",
        ));
    }
    if let (Some(setup), false) = (&raw.redis_setup, has(services, Kind::Redis)) {
        errors.push(src.err(
            setup.span(),
            "`redis_setup` sets Redis up, but the lesson does not use the redis service",
        ));
    }
    if let (Some(setup), false) = (&raw.setup, has(services, Kind::Postgres)) {
        errors.push(src.err(
            setup.span(),
            "`setup` is PostgreSQL's setup SQL, but the lesson does not use the postgres service",
        ));
    }
    out
}

/// The first service of a kind, as the lesson's setup key for it makes it (None when the setup
/// fails, which is reported).
fn setup_one(
    kind: Kind,
    raw: &RawLesson,
    src: &Source,
    (timing, clients): (&Timing, usize),
    errors: &mut Vec<LessonError>,
) -> Option<ServiceState> {
    // A setup key's text run by the service's own reader; its errors located in the file.
    let mut from = |text: Option<&Spanned<String>>,
                    read: &dyn Fn(&str) -> Result<ServiceState, SetupError>| {
        match read(text.map_or("", |t| t.get_ref())) {
            Ok(state) => Some(state),
            Err(e) => {
                let span = text.map_or(0..0, |t| t.span());
                errors.push(src.inside(&span, e.line, e.col, e.message));
                None
            }
        }
    };
    match kind {
        Kind::Postgres => postgres_setup(raw, src, clients, errors),
        Kind::Aerospike => from(raw.aerospike_setup.as_ref(), &|t| {
            Aerospike::from_setup(t).map(ServiceState::Aerospike)
        }),
        Kind::Zookeeper => Some(ServiceState::Zk(Zk::new(timing.session_timeout))),
        Kind::Cassandra => from(raw.cassandra_setup.as_ref(), &|t| {
            Cassandra::from_setup(t).map(ServiceState::Cassandra)
        }),
        Kind::Redis => match &raw.redis_setup {
            None => Some(ServiceState::Redis(Default::default())),
            text => from(text.as_ref(), &|t| {
                Redis::from_setup(t).map(ServiceState::Redis)
            }),
        },
        #[cfg(test)]
        Kind::Timer => Some(ServiceState::Timer(crate::service::timer::Timer::default())),
    }
}

/// PostgreSQL after the lesson's `setup` SQL (None when it is missing or fails, reported).
fn postgres_setup(
    raw: &RawLesson,
    src: &Source,
    clients: usize,
    errors: &mut Vec<LessonError>,
) -> Option<ServiceState> {
    let Some(setup) = &raw.setup else {
        errors.push(src.err(
            0..0,
            "missing field `setup`: the postgres service needs its setup SQL (CREATE TABLE …, INSERT …)",
        ));
        return None;
    };
    match Postgres::from_setup(setup.get_ref(), clients) {
        Ok(pg) => Some(ServiceState::Postgres(pg)),
        Err(e) => {
            errors.push(src.inside(&setup.span(), e.line, e.col, e.message));
            None
        }
    }
}

fn has(services: &[Decl], kind: Kind) -> bool {
    services.iter().any(|d| d.kind == kind)
}

/// A service with nothing set up (a second instance of a kind).
fn empty(kind: Kind, timing: &Timing, clients: usize) -> Option<ServiceState> {
    Some(match kind {
        Kind::Postgres => ServiceState::Postgres(Postgres::from_setup("", clients).ok()?),
        Kind::Redis => ServiceState::Redis(Default::default()),
        Kind::Aerospike => ServiceState::Aerospike(Default::default()),
        Kind::Zookeeper => ServiceState::Zk(Zk::new(timing.session_timeout)),
        Kind::Cassandra => ServiceState::Cassandra(Default::default()),
        #[cfg(test)]
        Kind::Timer => ServiceState::Timer(Default::default()),
    })
}

fn assertions(
    raw: &RawLesson,
    cx: &property::Context,
    errors: &mut Vec<LessonError>,
) -> Vec<Property> {
    let mut out: Vec<Property> = Vec::new();
    for a in &raw.asserts {
        let id = &a.id;
        if slugify(id.get_ref()) != *id.get_ref() {
            errors.push(cx.src.err(
                id.span(),
                format!(
                    "an assertion id is lower-case words joined by '-', like \"{}\"",
                    slugify(id.get_ref())
                ),
            ));
        }
        if out.iter().any(|b| b.id == *id.get_ref()) {
            errors.push(cx.src.err(
                id.span(),
                format!("two assertions have the id \"{}\"", id.get_ref()),
            ));
        }
        if let Some(p) = a.compile(cx, errors) {
            out.push(p);
        }
    }
    out
}

fn observations(
    raw: &RawLesson,
    cx: &property::Context,
    errors: &mut Vec<LessonError>,
) -> Vec<Observation> {
    let mut out: Vec<Observation> = Vec::new();
    for o in &raw.observes {
        if out.iter().any(|b| b.id == *o.id.get_ref()) {
            errors.push(cx.src.err(
                o.id.span(),
                format!("two observations have the id \"{}\"", o.id.get_ref()),
            ));
        }
        if let Some(ob) = o.compile(cx, errors) {
            out.push(ob);
        }
    }
    out
}

/// Each variant: the base scripts with some of them replaced.
fn variants(
    raw: &RawLesson,
    cx: &property::Context,
    clients: &[ClientDef],
    assertions: &[Property],
    errors: &mut Vec<LessonError>,
) -> Vec<Variant> {
    let implicit = [RawVariant {
        name: Spanned::new(0..0, "default".to_string()),
        isolation: None,
        explain: String::new(),
        scripts: BTreeMap::new(),
        expect: BTreeMap::new(),
        explore: None,
        faults: Vec::new(),
    }];
    let raw_variants: &[RawVariant] = if raw.variants.is_empty() {
        &implicit
    } else {
        &raw.variants
    };
    let mut out: Vec<Variant> = Vec::new();
    for v in raw_variants {
        let name = v.name.get_ref().clone();
        let slug = slugify(&name);
        if slug.is_empty() {
            errors.push(cx.src.err(
                v.name.span(),
                "a variant needs a name with letters or digits",
            ));
        }
        if out.iter().any(|w| w.slug == slug) {
            errors.push(
                cx.src
                    .err(v.name.span(), format!("two variants are named \"{name}\"")),
            );
        }
        for k in v.scripts.keys() {
            if !raw.scripts.contains_key(k) {
                errors.push(cx.src.err(
                    k.span(),
                    format!("variant \"{name}\" replaces a script \"{}\" that [scripts] does not define", k.get_ref()),
                ));
            }
        }
        out.push(Variant {
            scripts: compile_scripts(raw, v, cx, clients, errors),
            expect: cases::expectations(v, cx.src, assertions, errors),
            explore: v
                .explore
                .as_ref()
                .map(|e| cases::explore_spec(e, cx, &v.name, errors)),
            isolation: isolation(v.isolation.as_ref(), cx.src, errors),
            scenario: Default::default(),
            name,
            slug,
            explain: v.explain.trim().to_string(),
        });
    }
    out
}

/// Compiles the script of every client for variant `v` (a script shared by clients with the same
/// inputs compiles once) and checks each call against its service's initial state.
fn compile_scripts(
    raw: &RawLesson,
    v: &RawVariant,
    cx: &property::Context,
    clients: &[ClientDef],
    errors: &mut Vec<LessonError>,
) -> Vec<ScriptRef> {
    let mut scripts = Vec::new();
    let mut compiled: BTreeMap<(String, Vec<String>), ScriptRef> = BTreeMap::new();
    // A script that does not compile is reported once, not once per client that runs it.
    let mut failed: std::collections::BTreeSet<(String, Vec<String>)> = Default::default();
    for c in clients {
        let text = v
            .scripts
            .iter()
            .chain(raw.scripts.iter())
            .find(|(k, _)| k.get_ref() == &c.script)
            .map(|(_, t)| t);
        let Some(text) = text else { continue };
        let mut known: Vec<String> = c.vars.iter().map(|(k, _)| k.clone()).collect();
        if !c.arrivals.is_empty() {
            known.push("request".into());
        }
        let key = (format!("{}@{}", c.script, text.span().start), known.clone());
        if let Some(s) = compiled.get(&key) {
            scripts.push(s.clone());
            continue;
        }
        if failed.contains(&key) {
            continue;
        }
        match script::compile(text.get_ref(), &known, cx.services) {
            Ok(s) => {
                check_calls(&s, text, cx, errors);
                let s = Arc::new(s);
                compiled.insert(key, s.clone());
                scripts.push(s);
            }
            Err(e) => {
                errors.push(cx.src.inside(&text.span(), e.line, e.col, e.message));
                failed.insert(key);
            }
        }
    }
    scripts
}

/// Plan-time checks of a script's calls against the services' initial state (tables exist, …).
fn check_calls(
    s: &script::Script,
    text: &Spanned<String>,
    cx: &property::Context,
    errors: &mut Vec<LessonError>,
) {
    for op in &s.ops {
        let script::OpKind::Call { service, call, .. } = &op.kind else {
            continue;
        };
        let Some(Some(state)) = cx.initial.get(*service) else {
            continue;
        };
        if let Err(e) = state.check(&call.request) {
            let line = &s.lines[op.line - 1];
            let col = line.len() - line.trim_start().len() + 1;
            errors.push(cx.src.inside(&text.span(), op.line, col, e.message));
        }
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = it.map(|s| format!("\"{s}\"")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
