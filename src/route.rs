//! Hash routing: `#/` (lesson list) and `#/lesson/SLUG?variant=VARIANT`.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    List,
    Lesson {
        slug: String,
        variant: Option<String>,
    },
    NotFound(String),
}

impl Route {
    /// Parses the part after `#`.
    pub fn parse(hash: &str) -> Route {
        let h = hash.trim_start_matches('#');
        let (path, query) = h.split_once('?').unwrap_or((h, ""));
        let variant = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("variant="))
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        match path.trim_end_matches('/') {
            "" => Route::List,
            p => match p.strip_prefix("/lesson/") {
                Some(slug) if !slug.is_empty() && !slug.contains('/') => Route::Lesson {
                    slug: slug.to_string(),
                    variant,
                },
                _ => Route::NotFound(h.to_string()),
            },
        }
    }

    pub fn href(&self) -> String {
        match self {
            Route::List => "#/".to_string(),
            Route::Lesson {
                slug,
                variant: None,
            } => format!("#/lesson/{slug}"),
            Route::Lesson {
                slug,
                variant: Some(v),
            } => format!("#/lesson/{slug}?variant={v}"),
            Route::NotFound(p) => format!("#{p}"),
        }
    }
}

fn current_hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// The current route, updated on every `hashchange`.
pub fn use_hash_route() -> ReadSignal<Route> {
    let (route, set_route) = signal(Route::parse(&current_hash()));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        set_route.set(Route::parse(&current_hash()));
    });
    on_cleanup(move || handle.remove());
    route
}

/// Changes the hash (and so the route).
pub fn navigate(route: &Route) {
    let _ = window().location().set_hash(&route.href());
}
