//! The lessons shipped with the app (the files in lessons/, compiled in).

use racelab_engine::{lesson, Lesson, LessonError};
use std::sync::Arc;

/// (slug, file name, text) of every shipped lesson, in the order the list shows them.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "lost-update",
        "lessons/lost-update.toml",
        include_str!("../lessons/lost-update.toml"),
    ),
    (
        "stale-cache",
        "lessons/stale-cache.toml",
        include_str!("../lessons/stale-cache.toml"),
    ),
    (
        "cache-in-production",
        "lessons/cache-in-production.toml",
        include_str!("../lessons/cache-in-production.toml"),
    ),
    (
        "balance-cases",
        "lessons/balance-cases.toml",
        include_str!("../lessons/balance-cases.toml"),
    ),
    (
        "balance-problems",
        "lessons/balance-problems.toml",
        include_str!("../lessons/balance-problems.toml"),
    ),
    (
        "isolation-levels",
        "lessons/isolation-levels.toml",
        include_str!("../lessons/isolation-levels.toml"),
    ),
    (
        "stampede",
        "lessons/stampede.toml",
        include_str!("../lessons/stampede.toml"),
    ),
    (
        "two-records",
        "lessons/two-records.toml",
        include_str!("../lessons/two-records.toml"),
    ),
    (
        "deadlock",
        "lessons/deadlock.toml",
        include_str!("../lessons/deadlock.toml"),
    ),
];

/// Parses a shipped lesson, its prose in the page's language. `None`: no lesson has that slug.
pub fn load(slug: &str) -> Option<Result<Arc<Lesson>, Vec<LessonError>>> {
    BUILTIN
        .iter()
        .find(|(s, _, _)| *s == slug)
        .map(|(s, file, text)| {
            let lang = crate::i18n::use_lang();
            lesson::parse(s, file, text).map(|l| localized(l, lang))
        })
}

/// A parsed lesson with its prose in the page's language, where it has a translation.
pub fn localized(l: Lesson, lang: crate::i18n::Lang) -> Arc<Lesson> {
    match lang {
        crate::i18n::Lang::En => Arc::new(l),
        other => Arc::new(l.in_language(other.code())),
    }
}

/// (file name, text) of a shipped lesson.
pub fn text(slug: &str) -> Option<(&'static str, &'static str)> {
    BUILTIN
        .iter()
        .find(|(s, _, _)| *s == slug)
        .map(|(_, file, text)| (*file, *text))
}

/// The text a lesson page runs, shipped or edited: what the explorer's worker parses again, and
/// the key under which the page keeps progress (won challenges, cached case tables).
#[derive(Clone, Debug, PartialEq)]
pub struct LessonText {
    pub slug: String,
    pub file: String,
    pub text: Arc<str>,
}

impl LessonText {
    /// A shipped lesson's text.
    pub fn builtin(slug: &str) -> Option<LessonText> {
        let (file, text) = text(slug)?;
        Some(LessonText {
            slug: slug.to_string(),
            file: file.to_string(),
            text: text.into(),
        })
    }

    /// An exploration job on this text.
    pub fn job(
        &self,
        variant: usize,
        faults: String,
        max_faults: usize,
    ) -> racelab_engine::explore::wire::Job {
        racelab_engine::explore::wire::Job {
            slug: self.slug.clone(),
            file: self.file.clone(),
            variant,
            faults,
            max_faults,
            text: self.text.to_string(),
        }
    }
}
