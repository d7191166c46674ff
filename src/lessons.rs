//! The lessons shipped with the app, compiled at build time (build.rs). The editor's build
//! (feature `editor`) embeds their bytes and texts; the reader's fetches a lesson's bytes when
//! it opens it (`lessons/SLUG-HASH.lesson` beside the page), so its download grows with no
//! lesson. Either way the page decodes ([`Lesson::from_bytes`]) and never parses lesson text
//! outside the editor.

use racelab_engine::explore::wire::{Job, TableView};
use racelab_engine::explore::Progress;
use racelab_engine::lesson::compiled::content_hash;
use racelab_engine::Lesson;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// A shipped lesson: its slug, its file, the hash of its compiled bytes, its title and intro
/// in each language it has (for the list, without loading it); in the editor's build, its
/// bytes and its text.
pub struct Builtin {
    pub slug: &'static str,
    pub file: &'static str,
    pub hash: &'static str,
    /// (language, title, intro): "en" first, then the lesson's translations.
    pub titles: &'static [(&'static str, &'static str, &'static str)],
    #[cfg(feature = "editor")]
    pub bytes: &'static [u8],
    #[cfg(feature = "editor")]
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

pub fn find(slug: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.slug == slug)
}

impl Builtin {
    /// The title and intro in `lang`, or in the lesson's own language.
    pub fn title_intro(&self, lang: crate::i18n::Lang) -> (&'static str, &'static str) {
        let pick = |code: &str| self.titles.iter().find(|(l, _, _)| *l == code);
        pick(lang.code())
            .or_else(|| pick("en"))
            .map_or((self.slug, ""), |(_, t, i)| (*t, *i))
    }

    /// Where the reader's page finds the compiled lesson, relative to the page.
    pub fn path(&self) -> String {
        format!("lessons/{}-{}.lesson", self.slug, self.hash)
    }
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

/// A shipped lesson's bytes when the page already has them (always, in the editor's build).
fn bytes_at_hand(b: &Builtin) -> Option<Arc<[u8]>> {
    #[cfg(feature = "editor")]
    {
        Some(Arc::from(b.bytes))
    }
    #[cfg(not(feature = "editor"))]
    {
        fetched::get(b.hash)
    }
}

/// A shipped lesson in the page's language, when the page has its bytes: `None` for a slug no
/// lesson has, or a lesson still to fetch ([`fetch`]).
pub fn load_at_hand(slug: &str, lang: crate::i18n::Lang) -> Option<Result<Arc<Lesson>, String>> {
    let bytes = bytes_at_hand(find(slug)?)?;
    Some(Lesson::from_bytes(&bytes).map(|l| localized(l, lang)))
}

/// Fetches a shipped lesson's bytes from `url` (the page's [`Builtin::path`], or the absolute
/// URL a job names), checks them against the build's hash and keeps them for the page.
pub async fn fetch(b: &Builtin, url: &str) -> Result<Arc<[u8]>, String> {
    if let Some(bytes) = bytes_at_hand(b) {
        return Ok(bytes);
    }
    let got = fetch_bytes(url).await.map_err(|e| {
        format!(
            "the lesson could not be downloaded ({url}): {}",
            js_text(&e)
        )
    })?;
    let bytes: Arc<[u8]> = js_sys::Uint8Array::new(&got).to_vec().into();
    // A file that is not the one this build names (a stale copy, a proxy's error page) is
    // refused before it is decoded.
    if content_hash(&bytes) != b.hash {
        return Err(format!(
            "the lesson downloaded from {url} is not the one this page was built with: reload the page"
        ));
    }
    #[cfg(not(feature = "editor"))]
    fetched::keep(b.hash, bytes.clone());
    Ok(bytes)
}

fn js_text(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export async function fetch_bytes(url) {
  const r = await fetch(url);
  if (!r.ok) { throw new Error("HTTP " + r.status); }
  return new Uint8Array(await r.arrayBuffer());
}
export function absolute(path) {
  return new URL(path, document.baseURI).href;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn fetch_bytes(url: &str) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>;
    fn absolute(path: &str) -> String;
}

/// Bytes the reader's page fetched, by content hash: a page fetches each lesson once, however
/// often its routes change. Immutable data, like the browser's own cache.
#[cfg(not(feature = "editor"))]
mod fetched {
    use std::cell::RefCell;
    use std::sync::Arc;

    /// (hash, bytes) of each lesson fetched.
    type Fetched = Vec<(&'static str, Arc<[u8]>)>;

    thread_local! {
        static FETCHED: RefCell<Fetched> = const { RefCell::new(Vec::new()) };
    }

    pub fn get(hash: &str) -> Option<Arc<[u8]>> {
        FETCHED.with(|f| {
            f.borrow()
                .iter()
                .find(|(h, _)| *h == hash)
                .map(|(_, b)| b.clone())
        })
    }

    pub fn keep(hash: &'static str, bytes: Arc<[u8]>) {
        FETCHED.with(|f| f.borrow_mut().push((hash, bytes)));
    }
}

/// How a job names a shipped lesson instead of carrying its text: a TOML comment with the hash
/// of its compiled bytes (a cached case table is dropped when the lesson changes) and the
/// absolute URL a worker fetches them from.
const COMPILED_MARK: &str = "# compiled lesson ";

/// The lesson a page shows, shipped or edited: what the explorer's jobs name, and the key under
/// which the page keeps progress (won challenges, cached case tables).
#[derive(Clone, Debug, PartialEq)]
pub struct LessonText {
    pub slug: String,
    pub file: String,
    /// The lesson's text (an edited lesson), or [`COMPILED_MARK`], its hash and its URL (a
    /// shipped one).
    pub text: Arc<str>,
}

impl LessonText {
    /// A shipped lesson.
    pub fn builtin(slug: &str) -> Option<LessonText> {
        let b = find(slug)?;
        Some(LessonText {
            slug: slug.to_string(),
            file: b.file.to_string(),
            text: format!("{COMPILED_MARK}{} {}", b.hash, absolute(&b.path())).into(),
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

/// The shipped lesson a job names, and the URL of its bytes; `None`: the job carries a text.
fn named(job: &Job) -> Option<Result<(&'static Builtin, &str), String>> {
    let rest = job.text.strip_prefix(COMPILED_MARK)?;
    let (hash, url) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(match find(&job.slug) {
        Some(b) if b.hash == hash => Ok((b, url)),
        Some(_) => Err("this page was updated since the job was made: reload the page".into()),
        None => Err(format!("there is no shipped lesson \"{}\"", job.slug)),
    })
}

/// Runs an exploration job where the lesson is at hand (on the page: a shipped lesson it opened,
/// or an edited one where the build has the compiler). A shipped lesson runs in the lesson
/// file's own language, as its text reads.
pub fn run_job(job: &Job, stop: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
    match named(job) {
        Some(found) => {
            let (b, _) = found?;
            let bytes = bytes_at_hand(b).ok_or("the lesson is not loaded yet")?;
            job.run_on(&Arc::new(Lesson::from_bytes(&bytes)?), stop)
        }
        None => run_text_job(job, stop),
    }
}

/// [`run_job`] on the page, where no worker could start (`why`): the editor's page explores
/// itself; the reader's carries no explorer, and says why it cannot explore.
pub fn run_job_here(
    job: &Job,
    stop: impl FnMut(&Progress) -> bool,
    why: &str,
) -> Result<TableView, String> {
    #[cfg(feature = "editor")]
    {
        let _ = why;
        run_job(job, stop)
    }
    #[cfg(not(feature = "editor"))]
    {
        let _ = (job, stop);
        Err(format!(
            "the explorer runs in a Web Worker, and none could start here: {why}"
        ))
    }
}

/// [`run_job`] in the explorer's worker, which fetches a shipped lesson first.
pub async fn run_job_fetching(
    job: &Job,
    stop: impl FnMut(&Progress) -> bool,
) -> Result<TableView, String> {
    if let Some(found) = named(job) {
        let (b, url) = found?;
        fetch(b, url).await?;
    }
    run_job(job, stop)
}

#[cfg(feature = "editor")]
fn run_text_job(job: &Job, stop: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
    job.run(stop)
}

#[cfg(not(feature = "editor"))]
fn run_text_job(_: &Job, _: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
    Err("this page explores shipped lessons only: open the lesson in the editor".to_string())
}
