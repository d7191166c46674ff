//! The page's own words in English, Russian and Portuguese (the languages of the source
//! documents). A string is written in English where it is used, wrapped in `tr` with the language, and
//! looked up in the language's table ([`ru`], [`pt`]); a string missing from a table shows in
//! English. A test reads the sources and fails when a `tr` string is missing from a table.
//!
//! The language is chosen once per page load: the URL's `lang=` (for embedded lessons), else
//! the reader's choice kept in localStorage, else the browser's languages, else English.
//! Changing it reloads the page, which keeps its place in the URL. Lesson prose follows the
//! same language through the lesson's own translations (`[translations.LANG]`).

pub mod pt;
pub mod ru;

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
    Pt,
}

const KEY: &str = "racelab-lang";

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Pt];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Pt => "pt",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
            Lang::Pt => "Português",
        }
    }

    /// `ru`, `ru-RU`, `pt-BR`, `PT` … (the primary tag decides).
    pub fn from_code(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => &[],
            Lang::Ru => ru::STRINGS,
            Lang::Pt => pt::STRINGS,
        }
    }
}

/// `en` in `lang`.
pub fn tr(lang: Lang, en: &'static str) -> &'static str {
    lang.table()
        .iter()
        .find(|(k, _)| *k == en)
        .map_or(en, |(_, v)| v)
}

/// `tr` of a template with `{}` placeholders, filled in order.
pub fn trf(lang: Lang, en: &'static str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::new();
    let mut parts = tr(lang, en).split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if let Some(a) = args.get(i) {
            out.push_str(&a.to_string());
        }
        out.push_str(part);
    }
    out
}

/// The language of this page load (see the module's notes).
pub fn detect() -> Lang {
    let w = window();
    let hash = w.location().hash().unwrap_or_default();
    let from_url = hash
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(Lang::from_code);
    let stored = || crate::store::get(KEY).and_then(|s| Lang::from_code(&s));
    let browser = || {
        w.navigator()
            .languages()
            .iter()
            .filter_map(|v| v.as_string())
            .find_map(|s| Lang::from_code(&s))
    };
    from_url
        .or_else(stored)
        .or_else(browser)
        .unwrap_or(Lang::En)
}

/// Provides the language to the app's components.
pub fn provide(lang: Lang) {
    provide_context(lang);
}

/// The page's language (English where none was provided, as in component tests).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or(Lang::En)
}

/// Keeps the reader's choice and reloads the page in that language.
pub fn choose(lang: Lang) {
    crate::store::set(KEY, lang.code());
    let _ = window().location().reload();
}

/// The language switch for the page's header.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let current = use_lang();
    let options = Lang::ALL
        .into_iter()
        .map(|l| view! { <option value=l.code() selected=l == current>{l.name()}</option> })
        .collect_view();
    view! {
        <select id="lang" aria-label=tr(current, "Language") on:change=move |ev| {
            if let Some(l) = Lang::from_code(&event_target_value(&ev)) {
                choose(l);
            }
        }>{options}</select>
    }
}
