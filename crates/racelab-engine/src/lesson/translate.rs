//! Translations of a lesson's prose (`[translations.ru]`, see docs/lesson-format.md): title,
//! intro, each variant's name and explain, each assertion's and observation's `says` and
//! words, each goal's `says` and hints. Only prose: scripts, SQL, names of clients and the slugs
//! in URLs and replay ids stay as written, so a link works in every language.

use super::raw::RawTranslation;
use super::source::Source;
use super::{Lesson, LessonError};
use std::collections::BTreeMap;

/// One language's prose. Missing parts fall back to the lesson's own text.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Translation {
    pub title: Option<String>,
    pub intro: Option<String>,
    /// By variant index: (name, explain).
    pub variants: BTreeMap<usize, (Option<String>, Option<String>)>,
    /// By assertion or observation id.
    pub says: BTreeMap<String, String>,
    /// By observation id: observed value → words.
    pub words: BTreeMap<String, BTreeMap<String, String>>,
    /// By goal index: (says, hints).
    pub goals: Vec<(Option<String>, Vec<String>)>,
}

/// A language tag as lessons write it: `ru`, `pt`, `pt-BR`.
fn is_language(tag: &str) -> bool {
    let (lang, region) = tag.split_once('-').unwrap_or((tag, "AA"));
    lang.len() == 2
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.len() == 2
        && region.bytes().all(|b| b.is_ascii_uppercase())
}

/// Checks the raw translations against the parsed lesson; every key must name something.
pub(super) fn translations(
    raw: &BTreeMap<toml::Spanned<String>, RawTranslation>,
    lesson: &Lesson,
    src: &Source,
    errors: &mut Vec<LessonError>,
) -> BTreeMap<String, Translation> {
    let mut out = BTreeMap::new();
    for (lang, t) in raw {
        let tag = lang.get_ref();
        if !is_language(tag) {
            errors.push(src.err(
                lang.span(),
                format!("`{tag}` is not a language tag (write e.g. ru, pt or pt-BR)"),
            ));
            continue;
        }
        let mut err = |span, message: String| {
            errors.push(src.err(span, format!("translation `{tag}`: {message}")))
        };
        out.insert(tag.clone(), one(t, lesson, &mut err, lang.span()));
    }
    out
}

fn one(
    t: &RawTranslation,
    lesson: &Lesson,
    err: &mut impl FnMut(std::ops::Range<usize>, String),
    at: std::ops::Range<usize>,
) -> Translation {
    let mut tr = Translation {
        title: t.title.clone(),
        intro: t.intro.as_ref().map(|s| s.trim().to_string()),
        ..Translation::default()
    };
    for (name, v) in &t.variant {
        match lesson.variant_index(name.get_ref()) {
            Some(i) => {
                tr.variants.insert(i, (v.name.clone(), v.explain.clone()));
            }
            None => err(
                name.span(),
                format!("no variant named \"{}\"", name.get_ref()),
            ),
        }
    }
    let ids = |l: &Lesson| -> Vec<String> {
        let a = l.assertions.iter().map(|p| p.id.clone());
        a.chain(l.observations.iter().map(|o| o.id.clone()))
            .collect()
    };
    let known = ids(lesson);
    for (id, says) in &t.says {
        if known.contains(id.get_ref()) {
            tr.says.insert(id.get_ref().clone(), says.clone());
        } else {
            err(
                id.span(),
                format!("no assertion or observation with id \"{}\"", id.get_ref()),
            );
        }
    }
    for (id, words) in &t.words {
        match lesson.observations.iter().find(|o| &o.id == id.get_ref()) {
            Some(o) => {
                if let Some(k) = words.keys().find(|k| !o.words.contains_key(*k)) {
                    err(
                        id.span(),
                        format!("observation \"{}\" has no words for `{k}`", o.id),
                    );
                }
                tr.words.insert(o.id.clone(), words.clone());
            }
            None => err(
                id.span(),
                format!("no observation with id \"{}\"", id.get_ref()),
            ),
        }
    }
    goals(t, lesson, err, at, &mut tr);
    tr
}

fn goals(
    t: &RawTranslation,
    lesson: &Lesson,
    err: &mut impl FnMut(std::ops::Range<usize>, String),
    at: std::ops::Range<usize>,
    tr: &mut Translation,
) {
    if t.goal.len() > lesson.goals.len() {
        err(
            at.clone(),
            format!(
                "{} goals translated; the lesson has {}",
                t.goal.len(),
                lesson.goals.len()
            ),
        );
    }
    for (i, (g, raw)) in lesson.goals.iter().zip(&t.goal).enumerate() {
        if !raw.hints.is_empty() && raw.hints.len() != g.hints.len() {
            err(
                at.clone(),
                format!(
                    "goal {} has {} hints; its translation has {}",
                    i + 1,
                    g.hints.len(),
                    raw.hints.len()
                ),
            );
        }
        tr.goals.push((raw.says.clone(), raw.hints.clone()));
    }
}

impl Lesson {
    /// The languages the lesson's prose is translated into, besides its own.
    pub fn languages(&self) -> Vec<&str> {
        self.translations.keys().map(String::as_str).collect()
    }

    /// This lesson with its prose in `lang` where a translation gives it (the lesson itself
    /// for a language it has no translation for). Only prose changes: clients, scripts, slugs
    /// and therefore replay ids are the same.
    pub fn in_language(&self, lang: &str) -> Lesson {
        let mut l = self.clone();
        let Some(t) = self.translations.get(lang) else {
            return l;
        };
        l.translate(lang, t);
        // The forms cut to a group limit have the same variants, assertions and goals, and
        // keep no translations of their own (see `lesson::forms`): they take the lesson's.
        for (_, form) in &mut l.forms {
            if let Ok(f) = form {
                let mut cut = (**f).clone();
                cut.translate(lang, t);
                *f = std::sync::Arc::new(cut);
            }
        }
        l
    }

    fn translate(&mut self, lang: &str, t: &Translation) {
        self.language = Some(lang.to_string());
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
                *slot = v.clone();
            }
        };
        set(&mut self.title, &t.title);
        set(&mut self.intro, &t.intro);
        for (&i, (name, explain)) in &t.variants {
            if let Some(v) = self.variants.get_mut(i) {
                set(&mut v.name, name);
                set(&mut v.explain, explain);
            }
        }
        for p in &mut self.assertions {
            set(&mut p.says, &t.says.get(&p.id).cloned());
        }
        for o in &mut self.observations {
            set(&mut o.says, &t.says.get(&o.id).cloned());
            if let Some(w) = t.words.get(&o.id) {
                o.words.extend(w.clone());
            }
        }
        for (g, (says, hints)) in self.goals.iter_mut().zip(&t.goals) {
            set(&mut g.says, says);
            if hints.len() == g.hints.len() {
                g.hints.clone_from(hints);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lesson::parse;

    const BASE: &str = r#"
title = "Lost"
intro = "Two debits."
setup = "CREATE TABLE a (id int PRIMARY KEY, v int); INSERT INTO a VALUES (1, 0);"
[scripts]
s = "x = SELECT v FROM a WHERE id = 1"
[[client]]
name = "T1"
script = "s"
[[variant]]
name = "for update"
explain = "Locks."
[[assert]]
id = "v-is-0"
says = "v stays 0"
sql = "SELECT v FROM a WHERE id = 1"
equals = 0
[[goal]]
kind = "fix"
variant = "for update"
says = "Fix it."
hints = ["one", "two"]
"#;

    #[test]
    fn a_translation_replaces_prose_only() {
        let text = format!(
            "{BASE}\n[translations.pt]\ntitle = \"Perdida\"\n[translations.pt.variant.\"for update\"]\nname = \"com lock\"\nexplain = \"Bloqueia.\"\n[translations.pt.says]\nv-is-0 = \"v continua 0\"\n[[translations.pt.goal]]\nsays = \"Conserte.\"\nhints = [\"um\", \"dois\"]\n"
        );
        let l = parse("t", "t.toml", &text).unwrap();
        assert_eq!(l.languages(), ["pt"]);
        let pt = l.in_language("pt");
        assert_eq!(pt.title, "Perdida");
        assert_eq!(pt.intro, "Two debits.", "what is not translated stays");
        assert_eq!(pt.variants[0].name, "com lock");
        assert_eq!(
            pt.variants[0].slug, "for-update",
            "slugs (URLs, replay ids) stay"
        );
        assert_eq!(pt.assertions[0].says, "v continua 0");
        assert_eq!(pt.goals[0].says, "Conserte.");
        assert_eq!(pt.goals[0].hints, ["um", "dois"]);
        assert_eq!(pt.language.as_deref(), Some("pt"));
        assert_eq!(l.in_language("ru").title, "Lost");
        // A lesson cut to a group limit keeps its language: tests/compiled.rs.
    }

    #[test]
    fn a_translation_of_something_that_does_not_exist_is_a_located_error() {
        let text = format!(
            "{BASE}\n[translations.pt.variant.nope]\nname = \"x\"\n[translations.pt.says]\nnada = \"x\"\n[[translations.pt.goal]]\nhints = [\"só um\"]\n[translations.Portuguese]\ntitle = \"x\"\n"
        );
        let errors = parse("t", "t.toml", &text).unwrap_err();
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let find = |what: &str| {
            all.iter()
                .find(|e| e.contains(what))
                .unwrap_or_else(|| panic!("no error about {what}: {all:?}"))
                .clone()
        };
        assert!(find("no variant named \"nope\"")
            .starts_with(&format!("t.toml:{}:", line_of("variant.nope"))));
        assert!(find("no assertion or observation with id \"nada\"")
            .starts_with(&format!("t.toml:{}:", line_of("nada ="))));
        find("goal 1 has 2 hints; its translation has 1");
        find("`Portuguese` is not a language tag");
    }
}
