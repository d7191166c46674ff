//! Every shipped lesson in the browser: open it, run its default schedule to the end, explore
//! its case table, and keep a screenshot of each (`target/e2e/lesson-SLUG.png`). The lessons
//! are the files in lessons/, so a new lesson is covered without touching this test; a console
//! error anywhere fails the whole run (`with_browser`).

use super::{rel, sel, Ctx, WAIT};
use crate::bail;
use crate::util::{self, Result};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a case table may take before the test cancels it and records it as partial.
const EXPLORE_WAIT: Duration = Duration::from_secs(20);

pub(super) fn every_lesson(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    let slugs: Vec<String> = util::lesson_files()?
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
        .collect();
    for slug in &slugs {
        one_lesson(ctx, out_dir, slug)?;
    }
    ctx.check(format!(
        "all {} lessons open, run to the end and explore",
        slugs.len()
    ));
    Ok(())
}

fn one_lesson(ctx: &mut Ctx<'_>, out_dir: &Path, slug: &str) -> Result<()> {
    ctx.s.navigate(&ctx.url(&format!("/#/lesson/{slug}")))?;
    let snap = ctx.wait(&format!("lesson {slug} with its lanes"), WAIT, |s| {
        s.lesson() == Some(slug) && s.lane_count() > 0
    })?;
    if !snap.error().is_empty() {
        bail!("lesson {slug} opens with an error: {}", snap.error());
    }
    // Its default schedule, to the end: no assertion is left pending.
    ctx.click(sel::RUN_TO_END)?;
    let snap = ctx.wait(&format!("lesson {slug} run to the end"), WAIT, |s| {
        !s.assertions().is_empty() && s.assertions().values().all(|v| v != "pending")
    })?;
    if !snap.error().is_empty() {
        bail!(
            "lesson {slug}: running to the end shows an error: {}",
            snap.error()
        );
    }
    let verdicts = snap.assertions();
    let failing = verdicts.values().filter(|v| *v == "fail").count();
    // Its case table, in the Web Worker; a table too big for the wait is cancelled (partial).
    ctx.click("button#explore-run")?;
    let started = Instant::now();
    let done = r#"#explore-status[data-state="done"]"#;
    let status = loop {
        if ctx.s.find(done)?.is_some() {
            break ctx.wait_text(done, |t| t.contains(" ok / "))?;
        }
        let failed = r#"#explore-status[data-state="failed"]"#;
        if ctx.s.find(failed)?.is_some() {
            let why = ctx.wait_text(failed, |_| true)?;
            bail!("lesson {slug}: the explorer failed: {why}");
        }
        if started.elapsed() > EXPLORE_WAIT {
            let progress = ctx.wait_text("#explore-status", |_| true)?;
            ctx.click("button#explore-cancel")?;
            break format!(
                "cancelled after {} s, partial: {progress}",
                EXPLORE_WAIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    ctx.s.execute("window.scrollTo(0, 0);", vec![json!(null)])?;
    let shot = out_dir.join(format!("lesson-{slug}.png"));
    ctx.save_screenshot(&shot)?;
    ctx.check(format!(
        "{slug}: {} assertions after the default schedule ({failing} fail, as the lesson expects), case table: {}; screenshot {}",
        verdicts.len(),
        status.chars().take(90).collect::<String>(),
        rel(&shot)
    ));
    ctx.drain_logs()
}

/// The built folder copied to `/course/racelab/` of another server, as a course author would
/// upload it: the lesson opens, runs and explores in a Web Worker from there.
pub(super) fn under_a_sub_path(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    let site = out_dir.join("subpath-site");
    let _ = std::fs::remove_dir_all(&site);
    crate::bundle::copy_dir(&ctx.dir, &site.join("course").join("racelab"))?;
    let server = crate::http::StaticServer::start(&site)?;
    let url = format!("{}/course/racelab/#/lesson/lost-update", server.base_url());
    ctx.s.navigate(&url)?;
    ctx.wait("lost-update under /course/racelab/", WAIT, |s| {
        s.lesson() == Some("lost-update") && s.lane_count() == 2
    })?;
    ctx.click("button#explore-run")?;
    let done = r#"#explore-status[data-state="done"]"#;
    let status = ctx.wait_text(done, |t| t.contains("Web Worker"))?;
    ctx.check(format!(
        "the bundle works under a sub-path ({url}): lanes, and the case table in a Web Worker ({})",
        status.chars().take(40).collect::<String>()
    ));
    ctx.drain_logs()?;
    missing_lesson_file(ctx, &site, &server.base_url())?;
    drop(server);
    Ok(())
}

/// A lesson file missing from the upload: the page names the file and says so, never a blank
/// page. Chromium logs the 404 itself; that entry, and only that, is expected here.
fn missing_lesson_file(ctx: &mut Ctx<'_>, site: &Path, base: &str) -> Result<()> {
    for entry in std::fs::read_dir(site.join("course/racelab/lessons"))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("deadlock-") {
            std::fs::remove_file(&path)?;
        }
    }
    ctx.s
        .navigate(&format!("{base}/course/racelab/#/lesson/deadlock"))?;
    let error = ctx.wait_text("#error", |t| t.contains("could not be downloaded"))?;
    if !error.contains("lessons/deadlock-") {
        bail!("the message does not name the missing file: {error}");
    }
    let logs = ctx.s.browser_logs()?;
    let unexpected: Vec<&str> = logs
        .iter()
        .filter(|e| e.level == "SEVERE" && !e.message.contains("deadlock-"))
        .map(|e| e.message.as_str())
        .collect();
    if !unexpected.is_empty() {
        bail!("console errors besides the missing file's 404: {unexpected:?}");
    }
    ctx.check(format!(
        "a lesson file missing from the upload is named, never a blank page: {}",
        error.replace('\n', " ")
    ));
    Ok(())
}
