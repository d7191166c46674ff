//! The lessons shipped with the app, compiled at build time (build.rs): the page decodes them
//! ([`Lesson::from_bytes`]) and never parses lesson text unless it is the editor's build
//! (feature `editor`), which also keeps each lesson's text to start a draft from.

use racelab_engine::explore::wire::{Job, TableView};
use racelab_engine::explore::Progress;
use racelab_engine::Lesson;
use std::sync::Arc;

/// A shipped lesson: its slug, its file, its compiled bytes (and, for the editor, its text).
pub struct Builtin {
    pub slug: &'static str,
    pub file: &'static str,
    pub bytes: &'static [u8],
    #[cfg(feature = "editor")]
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

fn find(slug: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.slug == slug)
}

/// A shipped lesson, its prose in the page's language. `None`: no lesson has that slug.
pub fn load(slug: &str) -> Option<Result<Arc<Lesson>, String>> {
    let lang = crate::i18n::use_lang();
    find(slug).map(|b| Lesson::from_bytes(b.bytes).map(|l| localized(l, lang)))
}

/// A lesson with its prose in the page's language, where it has a translation.
pub fn localized(l: Lesson, lang: crate::i18n::Lang) -> Arc<Lesson> {
    match lang {
        crate::i18n::Lang::En => Arc::new(l),
        other => Arc::new(l.in_language(other.code())),
    }
}

/// (file name, text) of a shipped lesson: what the editor starts a draft from.
#[cfg(feature = "editor")]
pub fn text(slug: &str) -> Option<(&'static str, &'static str)> {
    find(slug).map(|b| (b.file, b.text))
}

/// How a job names a shipped lesson instead of carrying its text: a TOML comment with a hash
/// of the compiled bytes, so a cached case table is dropped when the lesson changes.
const COMPILED_MARK: &str = "# compiled lesson ";

/// FNV-1a: the same everywhere, good enough to tell two versions of a lesson apart.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The lesson a page shows, shipped or edited: what the explorer's jobs name, and the key under
/// which the page keeps progress (won challenges, cached case tables).
#[derive(Clone, Debug, PartialEq)]
pub struct LessonText {
    pub slug: String,
    pub file: String,
    /// The lesson's text (an edited lesson), or [`COMPILED_MARK`] and a hash (a shipped one).
    pub text: Arc<str>,
}

impl LessonText {
    /// A shipped lesson.
    pub fn builtin(slug: &str) -> Option<LessonText> {
        let b = find(slug)?;
        Some(LessonText {
            slug: slug.to_string(),
            file: b.file.to_string(),
            text: format!("{COMPILED_MARK}{:016x}", fnv(b.bytes)).into(),
        })
    }

    /// An exploration job on this lesson.
    pub fn job(&self, variant: usize, faults: String, max_faults: usize) -> Job {
        Job {
            slug: self.slug.clone(),
            file: self.file.clone(),
            variant,
            faults,
            max_faults,
            text: self.text.to_string(),
        }
    }
}

/// Runs an exploration job (in the worker, or on the page where no worker starts): a shipped
/// lesson from its compiled bytes (in the lesson file's own language, as the text reads), an
/// edited one compiled from its text where the build has the compiler.
pub fn run_job(job: &Job, stop: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
    if job.text.starts_with(COMPILED_MARK) {
        let b = find(&job.slug)
            .ok_or_else(|| format!("there is no shipped lesson \"{}\"", job.slug))?;
        let lesson = Arc::new(Lesson::from_bytes(b.bytes)?);
        return job.run_on(&lesson, stop);
    }
    run_text_job(job, stop)
}

#[cfg(feature = "editor")]
fn run_text_job(job: &Job, stop: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
    job.run(stop)
}

#[cfg(not(feature = "editor"))]
fn run_text_job(_: &Job, _: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
    Err("this page explores shipped lessons only: open the lesson in the editor".to_string())
}
