//! Lesson files: plain TOML a course author writes by hand (see docs/lesson-format.md).
//!
//! Parsing is strict: unknown keys, unknown script or client names, scripts that do not compile,
//! SQL the simulator does not model and setup SQL that fails are all errors that name the file,
//! line and column. A parsed [`Lesson`] has already run its setup, so a run starts by cloning
//! [`Lesson::initial_db`].

use crate::script::{self, ScriptRef};
use crate::sql::{self, Db, Prepared, SessionId};
use crate::value::Value;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

/// Virtual durations of steps, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Any SQL statement, BEGIN and COMMIT included: the time until its effect happens.
    pub sql: u64,
    /// A local computation: an assignment, a condition, `return`, `fail`.
    pub compute: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { sql: 5, compute: 1 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientDef {
    pub name: String,
    pub script: String,
    /// Inputs set before the script starts (`vars = { amount = 200 }`).
    pub vars: Vec<(String, Value)>,
    /// Virtual time at which the client starts.
    pub start: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    /// URL- and DOM-friendly name: "for update" → "for-update".
    pub slug: String,
    pub explain: String,
    /// The compiled script of each client, in client order.
    pub scripts: Vec<ScriptRef>,
    /// What the author says the default schedule shows: (assertion index, passes?, where said).
    pub expect: Vec<(usize, bool, Location)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// The one value a SELECT returns on the committed state equals `expected`.
    SqlEquals { stmt: Prepared, expected: Value },
    /// Every listed client (all when empty) finishes within `ms` of virtual time.
    FinishWithin { ms: u64, clients: Vec<usize> },
    /// At the end no transaction holds a row lock and no client waits forever.
    NoLocksHeld,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    pub id: String,
    pub says: String,
    pub check: Check,
}

#[derive(Clone, Debug)]
pub struct Lesson {
    pub slug: String,
    pub file: String,
    pub title: String,
    /// The source document this lesson traces back to.
    pub source: Option<String>,
    pub intro: String,
    pub timing: Timing,
    pub setup_sql: String,
    /// The database after the setup ran.
    pub initial_db: Db,
    /// Sessions opened for the clients, in client order, in `initial_db`.
    pub sessions: Vec<SessionId>,
    pub clients: Vec<ClientDef>,
    pub variants: Vec<Variant>,
    pub assertions: Vec<Assertion>,
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
}

/// A place in a lesson file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A located problem in a lesson file: `file:line:col: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for LessonError {}

// ---- the raw file, as serde reads it ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    title: String,
    source: Option<String>,
    intro: Option<String>,
    #[serde(default)]
    timing: RawTiming,
    setup: Spanned<String>,
    scripts: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(rename = "client")]
    clients: Vec<RawClient>,
    #[serde(rename = "variant", default)]
    variants: Vec<RawVariant>,
    #[serde(rename = "assert", default)]
    asserts: Vec<RawAssert>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTiming {
    sql: Option<u64>,
    compute: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    name: Spanned<String>,
    script: Spanned<String>,
    #[serde(default)]
    vars: BTreeMap<String, RawValue>,
    #[serde(default)]
    start: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    #[serde(default)]
    explain: String,
    #[serde(default)]
    scripts: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    expect: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssert {
    id: Spanned<String>,
    says: String,
    sql: Option<Spanned<String>>,
    equals: Option<RawValue>,
    finish_within_ms: Option<u64>,
    clients: Option<Vec<Spanned<String>>>,
    no_locks_held: Option<bool>,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum RawValue {
    Bool(bool),
    Int(i64),
    Text(String),
}

impl From<RawValue> for Value {
    fn from(v: RawValue) -> Value {
        match v {
            RawValue::Bool(b) => Value::Bool(b),
            RawValue::Int(i) => Value::Int(i),
            RawValue::Text(s) => Value::Text(s),
        }
    }
}

/// Turns byte offsets of the lesson text into file:line:col locations.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn at(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Location {
            file: self.file.to_string(),
            line,
            col: self.text[line_start..offset].chars().count() + 1,
        }
    }

    fn err(&self, span: Range<usize>, message: impl Into<String>) -> LessonError {
        LessonError {
            at: self.at(span.start),
            message: message.into(),
        }
    }

    /// Where the content of a string value starts (past the quotes and a newline that a
    /// multi-line string trims).
    fn content_start(&self, span: &Range<usize>) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or("");
        let mut start = span.start;
        if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
            start += 3;
            let rest = &self.text[start..];
            if rest.starts_with("\r\n") {
                start += 2;
            } else if rest.starts_with('\n') {
                start += 1;
            }
        } else if raw.starts_with('\'') || raw.starts_with('"') {
            start += 1;
        }
        start
    }

    /// Maps a (1-based line, col) inside a string value to the file.
    fn inside(&self, span: &Range<usize>, line: usize, col: usize, message: String) -> LessonError {
        let start = self.at(self.content_start(span));
        let at = if line <= 1 {
            Location {
                col: start.col + col.saturating_sub(1),
                ..start
            }
        } else {
            Location {
                line: start.line + line - 1,
                col,
                ..start
            }
        };
        LessonError { at, message }
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
    let src = Source { file, text };
    let raw: RawLesson = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        vec![src.err(span, e.message().trim().to_string())]
    })?;
    let mut errors = Vec::new();

    // Setup: run it now, so every later check sees the schema.
    let mut db = Db::new();
    let setup_session = db.open_session();
    match sql::prepare_script(raw.setup.get_ref()) {
        Err(e) => {
            let (line, col) = e.position.unwrap_or((1, 1));
            errors.push(src.inside(&raw.setup.span(), line, col, e.to_string()));
        }
        Ok(stmts) => {
            for (line, stmt) in stmts {
                let outcome = match db.execute(setup_session, &stmt, &[]) {
                    sql::Exec::Done(done) => done.result.map(|_| ()),
                    sql::Exec::Blocked(_) => Err(sql::SqlError::not_supported(
                        "a setup statement that waits for a lock",
                    )),
                };
                if let Err(e) = outcome {
                    errors.push(src.inside(&raw.setup.span(), line, 1, e.to_string()));
                    break;
                }
            }
        }
    }
    db.close_session(setup_session);

    // Clients.
    let mut clients = Vec::new();
    for c in &raw.clients {
        let name = c.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            errors.push(src.err(c.name.span(), "a client name is one word, like \"T1\""));
        }
        if clients.iter().any(|d: &ClientDef| d.name == name) {
            errors.push(src.err(c.name.span(), format!("two clients are named \"{name}\"")));
        }
        if !raw
            .scripts
            .keys()
            .any(|k| k.get_ref() == c.script.get_ref())
        {
            errors.push(src.err(
                c.script.span(),
                format!(
                    "no script named \"{}\" (the [scripts] table has: {})",
                    c.script.get_ref(),
                    names(raw.scripts.keys().map(|k| k.get_ref().as_str()))
                ),
            ));
        }
        clients.push(ClientDef {
            name,
            script: c.script.get_ref().clone(),
            vars: c
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect(),
            start: c.start,
        });
    }
    if raw.clients.is_empty() {
        errors.push(src.err(0..0, "a lesson needs at least one [[client]]"));
    }

    // Assertions.
    let mut assertions = Vec::new();
    for a in &raw.asserts {
        let id = a.id.get_ref().clone();
        if slugify(&id) != id {
            errors.push(src.err(
                a.id.span(),
                format!(
                    "an assertion id is lower-case words joined by '-', like \"{}\"",
                    slugify(&id)
                ),
            ));
        }
        if assertions.iter().any(|b: &Assertion| b.id == id) {
            errors.push(src.err(a.id.span(), format!("two assertions have the id \"{id}\"")));
        }
        let kinds = [
            a.sql.is_some(),
            a.finish_within_ms.is_some(),
            a.no_locks_held.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            errors.push(src.err(
                a.id.span(),
                "an assertion has exactly one of: sql (with equals), finish_within_ms, no_locks_held = true",
            ));
            continue;
        }
        let check = if let Some(sql_text) = &a.sql {
            let Some(expected) = a.equals.clone() else {
                errors.push(src.err(sql_text.span(), "an sql assertion needs `equals = …`"));
                continue;
            };
            match sql::prepare(sql_text.get_ref()).and_then(|stmt| {
                if !stmt.is_read_only() {
                    return Err(sql::SqlError::not_supported(
                        "an assertion that changes data (assertions run a plain SELECT)",
                    ));
                }
                db.check(&stmt).map(|_| stmt)
            }) {
                Ok(stmt) => Check::SqlEquals {
                    stmt,
                    expected: expected.into(),
                },
                Err(e) => {
                    let (line, col) = e.position.unwrap_or((1, 1));
                    errors.push(src.inside(&sql_text.span(), line, col, e.to_string()));
                    continue;
                }
            }
        } else if let Some(ms) = a.finish_within_ms {
            let mut idx = Vec::new();
            for c in a.clients.iter().flatten() {
                match clients.iter().position(|d| &d.name == c.get_ref()) {
                    Some(i) => idx.push(i),
                    None => errors
                        .push(src.err(c.span(), format!("no client named \"{}\"", c.get_ref()))),
                }
            }
            Check::FinishWithin { ms, clients: idx }
        } else if a.no_locks_held == Some(true) {
            Check::NoLocksHeld
        } else {
            errors.push(src.err(a.id.span(), "`no_locks_held` can only be true"));
            continue;
        };
        if a.equals.is_some() && a.sql.is_none() {
            errors.push(src.err(a.id.span(), "`equals` goes with `sql`"));
        }
        assertions.push(Assertion {
            id,
            says: a.says.clone(),
            check,
        });
    }

    // Variants: each one is the base scripts with some of them replaced.
    let implicit = [RawVariant {
        name: Spanned::new(0..0, "default".to_string()),
        explain: String::new(),
        scripts: BTreeMap::new(),
        expect: BTreeMap::new(),
    }];
    let raw_variants: &[RawVariant] = if raw.variants.is_empty() {
        &implicit
    } else {
        &raw.variants
    };
    let mut variants = Vec::new();
    for v in raw_variants {
        let name = v.name.get_ref().clone();
        let slug = slugify(&name);
        if slug.is_empty() {
            errors.push(src.err(
                v.name.span(),
                "a variant needs a name with letters or digits",
            ));
        }
        if variants.iter().any(|w: &Variant| w.slug == slug) {
            errors.push(src.err(v.name.span(), format!("two variants are named \"{name}\"")));
        }
        for k in v.scripts.keys() {
            if !raw.scripts.contains_key(k) {
                errors.push(src.err(
                    k.span(),
                    format!("variant \"{name}\" replaces a script \"{}\" that [scripts] does not define", k.get_ref()),
                ));
            }
        }
        let mut scripts = Vec::new();
        let mut compiled: BTreeMap<(String, Vec<String>), ScriptRef> = BTreeMap::new();
        for c in &clients {
            let text = v
                .scripts
                .iter()
                .chain(raw.scripts.iter())
                .find(|(k, _)| k.get_ref() == &c.script)
                .map(|(_, t)| t);
            let Some(text) = text else { continue };
            let known: Vec<String> = c.vars.iter().map(|(k, _)| k.clone()).collect();
            let key = (format!("{}@{}", c.script, text.span().start), known.clone());
            if let Some(s) = compiled.get(&key) {
                scripts.push(s.clone());
                continue;
            }
            match script::compile(text.get_ref(), &known) {
                Ok(s) => {
                    // Plan-time checks against the schema the setup built.
                    for op in &s.ops {
                        if let script::OpKind::Sql { stmt, .. } = &op.kind {
                            if let Err(e) = db.check(stmt) {
                                let col = s.lines[op.line - 1].len()
                                    - s.lines[op.line - 1].trim_start().len()
                                    + 1;
                                errors.push(src.inside(&text.span(), op.line, col, e.to_string()));
                            }
                        }
                    }
                    let s = Arc::new(s);
                    compiled.insert(key, s.clone());
                    scripts.push(s);
                }
                Err(e) => errors.push(src.inside(&text.span(), e.line, e.col, e.message)),
            }
        }
        let mut expect = Vec::new();
        for (k, verdict) in &v.expect {
            let Some(idx) = assertions.iter().position(|a| &a.id == k.get_ref()) else {
                errors.push(src.err(
                    k.span(),
                    format!("no assertion with id \"{}\"", k.get_ref()),
                ));
                continue;
            };
            let passes = match verdict.get_ref().as_str() {
                "pass" => true,
                "fail" => false,
                other => {
                    errors.push(src.err(
                        verdict.span(),
                        format!("expect \"pass\" or \"fail\", not \"{other}\""),
                    ));
                    continue;
                }
            };
            expect.push((idx, passes, src.at(k.span().start)));
        }
        variants.push(Variant {
            name,
            slug,
            explain: v.explain.trim().to_string(),
            scripts,
            expect,
        });
    }
    for k in raw.scripts.keys() {
        if !clients.iter().any(|c| &c.script == k.get_ref()) {
            errors.push(src.err(
                k.span(),
                format!("no client runs script \"{}\"", k.get_ref()),
            ));
        }
    }

    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.at.line, e.at.col));
        return Err(errors);
    }
    let sessions = clients.iter().map(|_| db.open_session()).collect();
    Ok(Lesson {
        slug: slug.to_string(),
        file: file.to_string(),
        title: raw.title,
        source: raw.source,
        intro: raw.intro.unwrap_or_default().trim().to_string(),
        timing: Timing {
            sql: raw.timing.sql.unwrap_or(Timing::default().sql),
            compute: raw.timing.compute.unwrap_or(Timing::default().compute),
        },
        setup_sql: raw.setup.into_inner(),
        initial_db: db,
        sessions,
        clients,
        variants,
        assertions,
    })
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = it.map(|s| format!("\"{s}\"")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
