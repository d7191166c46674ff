//! Hash routing, so that any static host serves the app and a link holds the exact moment:
//! - `#/` the lesson list;
//! - `#/lesson/SLUG?variant=V` a lesson's variant, `&run=REPLAY-ID&faults=exit@T1:5,…` the
//!   moment after those actions with those faults placed (see the engine's `link` module),
//!   `&embed=1` with the chrome an iframe needs only;
//! - `#/edit` the lesson editor on the last draft, `#/edit/SLUG` on a shipped lesson's text,
//!   `#/edit?lesson=LINK` on a shared lesson (see [`crate::share`]).

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    List,
    Lesson(LessonAt),
    Edit(EditAt),
    NotFound(String),
}

/// A shipped lesson, at a moment of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonAt {
    pub slug: String,
    pub variant: Option<String>,
    /// The replay id of the run's actions (it names the variant too).
    pub run: Option<String>,
    /// The faults placed, as `exit@T1:5,sleep=60000@T2:3`.
    pub faults: Option<String>,
    /// Minimal chrome, for an iframe in a course page.
    pub embed: bool,
    /// The page's language as the link asks for it (`lang=ru`), kept as the URL changes.
    pub lang: Option<String>,
}

/// The editor: on a shipped lesson's text, on a shared lesson, or on the last draft.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditAt {
    pub from: Option<String>,
    pub shared: Option<String>,
}

impl Route {
    /// Parses the part after `#`.
    pub fn parse(hash: &str) -> Route {
        let h = hash.trim_start_matches('#');
        let (path, query) = h.split_once('?').unwrap_or((h, ""));
        let q = Query::parse(query);
        let path = path.trim_end_matches('/');
        if path.is_empty() {
            return Route::List;
        }
        if let Some(slug) = path.strip_prefix("/lesson/").filter(one_segment) {
            return Route::Lesson(LessonAt {
                slug: slug.to_string(),
                variant: q.get("variant"),
                run: q.get("run"),
                faults: q.get("faults"),
                embed: q.get("embed").is_some_and(|v| v != "0"),
                lang: q.get("lang"),
            });
        }
        if path == "/edit" {
            return Route::Edit(EditAt {
                from: None,
                shared: q.get("lesson"),
            });
        }
        if let Some(slug) = path.strip_prefix("/edit/").filter(one_segment) {
            return Route::Edit(EditAt {
                from: Some(slug.to_string()),
                shared: None,
            });
        }
        Route::NotFound(h.to_string())
    }

    pub fn href(&self) -> String {
        match self {
            Route::List => "#/".to_string(),
            Route::Lesson(at) => {
                let mut q = Vec::new();
                if at.run.is_none() {
                    push(&mut q, "variant", at.variant.as_deref());
                }
                push(&mut q, "run", at.run.as_deref());
                push(&mut q, "faults", at.faults.as_deref());
                if at.embed {
                    q.push("embed=1".into());
                }
                push(&mut q, "lang", at.lang.as_deref());
                with_query(format!("#/lesson/{}", at.slug), &q)
            }
            Route::Edit(at) => {
                let mut q = Vec::new();
                push(&mut q, "lesson", at.shared.as_deref());
                match &at.from {
                    Some(slug) => with_query(format!("#/edit/{slug}"), &q),
                    None => with_query("#/edit".into(), &q),
                }
            }
            Route::NotFound(p) => format!("#{p}"),
        }
    }

    /// A lesson's route at its start: the variant only.
    pub fn lesson(slug: &str, variant: Option<&str>) -> Route {
        Route::Lesson(LessonAt {
            slug: slug.to_string(),
            variant: variant.map(str::to_string),
            ..LessonAt::default()
        })
    }
}

fn one_segment(s: &&str) -> bool {
    !s.is_empty() && !s.contains('/')
}

fn push(q: &mut Vec<String>, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        q.push(format!("{key}={}", encode(v)));
    }
}

fn with_query(path: String, q: &[String]) -> String {
    if q.is_empty() {
        path
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// Percent-encodes what would break a query in a fragment, and nothing else: replay ids and
/// fault plans (`exit@T1:5,sleep=60000@T2:3`) stay readable.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let safe = b.is_ascii_alphanumeric() || b"-._~:@,=!*'()$/;".contains(&b);
        if safe {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reverses [`encode`] (and any percent-encoding of UTF-8). `None` for a malformed escape.
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A fragment's `key=value&…` pairs. A pair that does not decode is kept as it was written.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: &str) -> Query {
        Query(
            q.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k.to_string(), decode(v).unwrap_or_else(|| v.to_string()))
                })
                .collect(),
        )
    }

    /// The last value of `key` (a later value wins, as with URLSearchParams.set), if not empty.
    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }
}

fn current_hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// The app's route and the URL it last saw or wrote, provided by the app to every page.
#[derive(Clone, Copy)]
pub struct Nav {
    route: RwSignal<Route>,
    seen: StoredValue<String>,
}

impl Nav {
    /// The route, updated on every `hashchange` and `popstate` (the browser's Back and Forward)
    /// that brings a URL the app did not write itself.
    pub fn provide() -> Nav {
        let nav = Nav {
            route: RwSignal::new(Route::parse(&current_hash())),
            seen: StoredValue::new(current_hash()),
        };
        let update = move || {
            let hash = current_hash();
            if nav.seen.with_value(|s| *s != hash) {
                nav.route.set(Route::parse(&hash));
                nav.seen.set_value(hash);
            }
        };
        let h1 = window_event_listener(leptos::ev::hashchange, move |_| update());
        let h2 = window_event_listener(leptos::ev::popstate, move |_| update());
        on_cleanup(move || {
            h1.remove();
            h2.remove();
        });
        provide_context(nav);
        nav
    }

    pub fn route(&self) -> Route {
        self.route.get()
    }
}

/// Goes to a route (a new entry in the browser's history).
pub fn navigate(route: &Route) {
    let _ = window().location().set_hash(&route.href());
}

/// Rewrites the URL to `route` without a new history entry and without re-routing: the page
/// keeps its place in the URL as the student steps, so a reload or a copied link returns to it.
pub fn replace(nav: Option<Nav>, route: &Route) {
    let href = route.href();
    if current_hash() == href {
        return;
    }
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&href));
    }
    if let Some(nav) = nav {
        nav.seen.set_value(current_hash());
    }
}
