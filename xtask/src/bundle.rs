//! The release bundle: `trunk build --release` twice — the reader's page (index.html, no lesson
//! compiler) into `dist/` and the editor's page (edit/index.html, the whole app) into
//! `dist/edit/` — then a gzipped-size report of each page's download.

use crate::util::{self, cmd, run, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file names of the explorer's worker (src/bin/racelab-explorer.rs) start so.
const EXPLORER_WORKER: &str = "racelab-explorer";

/// The editor's page, relative to `dist/`: what the reader's page opens for `#/edit…`.
pub const EDITOR_DIR: &str = "edit";

/// Where racelab-web's build.rs writes the compiled lessons of a release wasm build.
fn compiled_lessons() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| util::root().join("target"));
    let target = if target.is_relative() {
        util::root().join(target)
    } else {
        target
    };
    target
        .join(crate::versions::WASM_TARGET)
        .join("release")
        .join("racelab-lessons")
}

/// Puts the compiled lessons the reader's page fetches (`lessons/SLUG-HASH.lesson`) beside it.
fn copy_lessons() -> Result<()> {
    let from = compiled_lessons();
    let to = util::root().join("dist").join("lessons");
    std::fs::create_dir_all(&to)?;
    let mut n = 0;
    for entry in std::fs::read_dir(&from)
        .map_err(|e| format!("{}: {e} (racelab-web's build.rs writes it)", from.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "lesson") {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, to.join(name))?;
                n += 1;
            }
        }
    }
    if n == 0 {
        crate::bail!("no compiled lesson in {}", from.display());
    }
    Ok(())
}

/// Builds the release bundle with Trunk (offline; wasm-opt from `.tools/binaryen`): the
/// reader's page into `dist/`, then the editor's into `dist/edit/` (Trunk cleans the folder it
/// builds into, so the reader's page goes first).
pub fn build_release() -> Result<()> {
    // Trunk runs `cargo build --offline`: make sure the wasm dependencies are downloaded first.
    run(cmd("cargo").arg("fetch"))?;
    run(cmd("trunk").args(["build", "--release"]))?;
    copy_lessons()?;
    let editor_dist = format!("dist/{EDITOR_DIR}");
    run(cmd("trunk").args([
        "build",
        "edit/index.html",
        "--release",
        "--dist",
        editor_dist.as_str(),
    ]))
}

/// `cargo xtask dist [DIR]`: the release bundle, copied to DIR (default `dist/` itself) — the
/// static folder a course author uploads. Checks that every asset path in index.html is
/// relative, so the folder works on any host and under any path.
pub fn dist(out: Option<&str>) -> Result<()> {
    build_release()?;
    let dist = util::root().join("dist");
    check_relative(&std::fs::read_to_string(dist.join("index.html"))?)?;
    check_relative(&std::fs::read_to_string(
        dist.join(EDITOR_DIR).join("index.html"),
    )?)?;
    let target = match out {
        Some(dir) => {
            let target = PathBuf::from(dir);
            copy_dir(&dist, &target)?;
            target
        }
        None => dist,
    };
    report()?;
    println!(
        "dist: {} — upload the folder as it is; lessons open at index.html#/lesson/SLUG, the editor at edit/",
        target.display()
    );
    Ok(())
}

/// Every `href="…"` and `src="…"` of the page is relative (no leading `/`, no scheme).
pub fn check_relative(html: &str) -> Result<()> {
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            let url = part.split('"').next().unwrap_or("");
            let absolute = url.starts_with('/') || url.contains("://");
            if absolute && !url.starts_with("data:") {
                crate::bail!("index.html refers to `{url}`: not a relative path");
            }
        }
    }
    Ok(())
}

pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Raw and gzipped (best compression) byte counts of one kind of file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    pub raw: u64,
    pub gz: u64,
}

impl std::ops::AddAssign for Size {
    fn add_assign(&mut self, o: Size) {
        self.raw += o.raw;
        self.gz += o.gz;
    }
}

/// Sizes of the wasm, js and css files of a bundle, and their total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub wasm: Size,
    pub js: Size,
    pub css: Size,
    pub files: usize,
    /// The compiled lessons beside the page (`lessons/*.lesson`): fetched one at a time, when
    /// a lesson opens, so not part of `total`; their count and the largest.
    pub lessons: usize,
    pub largest_lesson: Size,
    /// The explorer's worker (`racelab-explorer*`): downloaded when a case table is explored,
    /// so not part of `total` either.
    pub worker: Size,
}

impl Report {
    pub fn total(&self) -> Size {
        let mut t = self.wasm;
        t += self.js;
        t += self.css;
        t
    }

    /// `bundle: wasm 612.3 KB (201.4 KB gz), js 30.1 KB (7.2 KB gz), css … , total … (… gz)`
    pub fn line(&self) -> String {
        let part = |name: &str, s: Size| format!("{name} {} ({} gz)", kb(s.raw), kb(s.gz));
        let lessons = if self.lessons > 0 {
            format!(
                "; then the lesson opened, one of {} (the largest {})",
                self.lessons,
                part("", self.largest_lesson).trim_start()
            )
        } else {
            String::new()
        };
        let worker = if self.worker.raw > 0 {
            format!(
                "; the explorer's worker when a case table is explored {}",
                part("", self.worker).trim_start()
            )
        } else {
            String::new()
        };
        format!(
            "bundle: {}, {}, {}, total {} ({} gz){lessons}{worker}",
            part("wasm", self.wasm),
            part("js", self.js),
            part("css", self.css),
            kb(self.total().raw),
            kb(self.total().gz)
        )
    }
}

/// `1234` → `1.2 KB` (1 KB = 1000 bytes).
pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// Gzipped size of `data` at the best compression level.
pub fn gz_len(data: &[u8]) -> Result<u64> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?.len() as u64)
}

/// The files under `dir`, but not those of another page (a folder with its own index.html,
/// such as the editor's page under the reader's).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            if p.join("index.html").is_file() {
                continue;
            }
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Measures the .wasm, .js and .css files of the page in `dist` (recursively, without other
/// pages' folders): what a browser downloads to open it.
pub fn measure(dist: &Path) -> Result<Report> {
    let mut files = Vec::new();
    walk(dist, &mut files)?;
    files.sort();
    let mut r = Report::default();
    for f in files {
        if f.extension().is_some_and(|e| e == "lesson") {
            let data = std::fs::read(&f)?;
            let size = Size {
                raw: data.len() as u64,
                gz: gz_len(&data)?,
            };
            r.lessons += 1;
            if size.gz > r.largest_lesson.gz {
                r.largest_lesson = size;
            }
            continue;
        }
        let worker = f
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(EXPLORER_WORKER));
        let slot = match f.extension().and_then(|e| e.to_str()) {
            Some("wasm" | "js") if worker => &mut r.worker,
            Some("wasm") => &mut r.wasm,
            Some("js") | Some("mjs") => &mut r.js,
            Some("css") => &mut r.css,
            _ => continue,
        };
        let data = std::fs::read(&f)?;
        *slot += Size {
            raw: data.len() as u64,
            gz: gz_len(&data)?,
        };
        r.files += 1;
    }
    Ok(r)
}

/// Measures the reader's page in `dist/` (the budget is for it: what a student downloads) and
/// the editor's in `dist/edit/`, prints both lines and saves them to `target/bundle-sizes.txt`.
pub fn report() -> Result<Report> {
    let root = util::root();
    let r = measure(&root.join("dist"))?;
    if r.wasm.raw == 0 {
        crate::bail!("no .wasm file in dist/ after trunk build");
    }
    let editor = measure(&root.join("dist").join(EDITOR_DIR))?;
    if editor.wasm.raw == 0 {
        crate::bail!("no .wasm file in dist/{EDITOR_DIR}/ after trunk build");
    }
    let lines = format!(
        "{}\neditor page ({EDITOR_DIR}/): {}\n",
        r.line(),
        editor.line().trim_start_matches("bundle: ")
    );
    print!("{lines}");
    let target = root.join("target");
    std::fs::create_dir_all(&target)?;
    std::fs::write(target.join("bundle-sizes.txt"), lines)?;
    Ok(r)
}

#[cfg(test)]
mod tests {

    #[test]
    fn asset_paths_must_be_relative() {
        let ok = r#"<link rel="icon" href="data:,"><script src="./racelab-web-1a2b.js"></script><link href="main-3c.css">"#;
        assert!(super::check_relative(ok).is_ok());
        for bad in [
            r#"<script src="/racelab-web.js">"#,
            r#"<link href="https://cdn.example/x.css">"#,
        ] {
            assert!(super::check_relative(bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn measures_by_kind() {
        let dir = std::env::temp_dir().join(format!("xtask-bundle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets/x")).unwrap();
        std::fs::write(dir.join("app_bg.wasm"), vec![0u8; 5000]).unwrap();
        std::fs::write(dir.join("app.js"), "a".repeat(2000)).unwrap();
        std::fs::write(dir.join("snippets/x/inline0.js"), "b".repeat(1000)).unwrap();
        std::fs::write(dir.join("main.css"), "body{}").unwrap();
        std::fs::write(dir.join("index.html"), "<html>").unwrap();
        // Another page's folder (the editor's) is not part of this page's download.
        std::fs::create_dir_all(dir.join("edit")).unwrap();
        std::fs::write(dir.join("edit/index.html"), "<html>").unwrap();
        std::fs::write(dir.join("edit/app_bg.wasm"), vec![1u8; 9000]).unwrap();
        std::fs::write(dir.join("racelab-explorer_bg.wasm"), vec![3u8; 4000]).unwrap();
        std::fs::write(dir.join("racelab-explorer_loader.js"), "import x;").unwrap();
        std::fs::create_dir_all(dir.join("lessons")).unwrap();
        std::fs::write(dir.join("lessons/a-1.lesson"), vec![2u8; 300]).unwrap();
        std::fs::write(dir.join("lessons/b-2.lesson"), "xyz".repeat(700)).unwrap();
        let r = measure(&dir).unwrap();
        assert_eq!(r.files, 6, "the page's 4 and the worker's 2");
        assert_eq!((r.lessons, r.largest_lesson.raw), (2, 2100));
        assert_eq!(r.worker.raw, 4009);
        assert_eq!(r.wasm.raw, 5000);
        assert_eq!(r.js.raw, 3000);
        assert_eq!(r.css.raw, 6);
        assert!(
            r.wasm.gz > 0 && r.wasm.gz < 100,
            "zeros compress well: {}",
            r.wasm.gz
        );
        assert_eq!(r.total().raw, 5006 + 3000);
        let line = r.line();
        assert!(line.starts_with("bundle: wasm 5.0 KB ("), "{line}");
        assert!(line.contains(", js 3.0 KB ("), "{line}");
        assert!(line.contains(", total 8.0 KB ("), "{line}");
        assert!(
            line.contains("; then the lesson opened, one of 2 (the largest 2.1 KB ("),
            "{line}"
        );
        assert!(
            line.contains("; the explorer's worker when a case table is explored 4.0 KB ("),
            "{line}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn kb_format() {
        assert_eq!(kb(612_345), "612.3 KB");
        assert_eq!(kb(0), "0.0 KB");
    }
}
