//! The two journeys of issue 10, in headless Chromium: a student's (a challenge won by the
//! schedule, Back and Forward, a fault, reload and the browser's Back keep the moment) and an
//! author's (a located problem in the editor, the fix, a share link round trip, a damaged link,
//! the example course page with two embedded lessons talking through postMessage).

use super::{rel, Ctx, WAIT};
use crate::bail;
use crate::util::Result;
use serde_json::{json, Value};
use std::path::Path;

fn js(ctx: &Ctx<'_>, script: &str) -> Result<Value> {
    ctx.s.execute(script, vec![])
}

fn url(ctx: &Ctx<'_>) -> Result<String> {
    Ok(js(ctx, "return location.href;")?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn step(ctx: &mut Ctx<'_>, client: &str) -> Result<()> {
    ctx.click(&format!(
        r#"section.lane[data-client="{client}"] button.step"#
    ))
}

/// Reloads the page and waits for the lesson to be back.
fn reload(ctx: &mut Ctx<'_>) -> Result<()> {
    js(ctx, "location.reload();")?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    ctx.wait("the lesson after a reload", WAIT, |s| s.lane_count() > 0)?;
    Ok(())
}

pub(super) fn student(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    ctx.s
        .navigate(&ctx.url("/#/lesson/lost-update?variant=naive"))?;
    ctx.wait("lost-update, naive", WAIT, |s| {
        s.variant() == Some("naive") && s.all_lanes("runnable")
    })?;
    // The first challenge: lose a debit by the schedule alone.
    for c in ["T1", "T1", "T2", "T2"] {
        step(ctx, c)?;
    }
    ctx.click(super::sel::RUN_TO_END)?;
    ctx.wait("the lost update", WAIT, |s| s.balance() == Some("300"))?;
    ctx.wait_element(r#"li.goal[data-kind="break"][data-won="true"]"#)?;
    let at = url(ctx)?;
    if !at.contains("run=naive:0.0.1.1.") {
        bail!("the URL does not hold the run: {at}");
    }
    ctx.check(format!(
        "a break challenge won by the schedule T1 T1 T2 T2; the URL holds the run ({})",
        at.rsplit('#').next().unwrap_or_default()
    ));
    // Back and Forward move through the run, and the URL follows.
    ctx.click(super::sel::BACK)?;
    ctx.wait("one step back", WAIT, |s| !s.all_lanes("done"))?;
    let back_url = url(ctx)?;
    ctx.click("button#forward")?;
    ctx.wait("forward again", WAIT, |s| s.all_lanes("done"))?;
    if back_url == at || url(ctx)? != at {
        bail!(
            "Back/Forward did not move the URL: {back_url} then {}",
            url(ctx)?
        );
    }
    ctx.check("Back and Forward undo and redo a step; the URL follows");
    // A reload returns to the same moment.
    reload(ctx)?;
    let snap = ctx.wait("the same moment after a reload", WAIT, |s| {
        s.balance() == Some("300") && s.all_lanes("done")
    })?;
    ctx.check(format!(
        "reload keeps the place: balance {}, both done, clock {}",
        snap.balance().unwrap_or("?"),
        snap.0["clock"]
    ));
    // A fault placed is in the URL too, and survives a reload.
    ctx.click(super::sel::RESET)?;
    ctx.wait("reset", WAIT, |s| s.all_lanes("runnable"))?;
    ctx.click(&super::sel::inject_exit("T1", 5))?;
    let fault = r#"section.lane[data-client="T1"] li.line[data-line="5"] .fault"#;
    ctx.wait_element(fault)?;
    step(ctx, "T1")?;
    ctx.wait("T1 at line 2", WAIT, |s| s.lane_clock("T1") == Some("5 ms"))?;
    reload(ctx)?;
    ctx.wait_element(fault)?;
    ctx.wait("T1 still at line 2", WAIT, |s| {
        s.lane_clock("T1") == Some("5 ms")
    })?;
    ctx.check(format!(
        "a fault placed (exit before T1:5) and a step survive a reload ({})",
        url(ctx)?.rsplit('#').next().unwrap_or_default()
    ));
    // The browser's Back, after another variant, returns to this moment.
    ctx.click(&super::sel::variant("for-update"))?;
    ctx.wait("for-update", WAIT, |s| s.variant() == Some("for-update"))?;
    js(ctx, "history.back();")?;
    ctx.wait("naive again, at the same moment", WAIT, |s| {
        s.variant() == Some("naive") && s.lane_clock("T1") == Some("5 ms")
    })?;
    ctx.wait_element(fault)?;
    ctx.check("the browser's Back from another variant returns to the same moment, fault included");
    let shot = out_dir.join("student-journey.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!("screenshot saved to {}", rel(&shot)));
    // The timeline of a finished run with a wait: T2 waits for T1's row lock.
    ctx.s
        .navigate(&ctx.url("/#/lesson/lost-update?variant=for-update"))?;
    ctx.wait("for-update", WAIT, |s| s.variant() == Some("for-update"))?;
    ctx.click(super::sel::RUN_TO_END)?;
    ctx.wait_element("#timeline-svg rect.tl-bar.wait")?;
    js(
        ctx,
        "document.querySelector('.timeline').scrollIntoView({block: 'start'});",
    )?;
    let shot = out_dir.join("timeline.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!(
        "the timeline shows T2's wait as a bar; screenshot {}",
        rel(&shot)
    ));
    language(ctx, out_dir)?;
    tablet_and_dark(ctx, out_dir)?;
    ctx.drain_logs()
}

/// At tablet width (768 px) no page scrolls sideways; the dark theme paints dark.
fn tablet_and_dark(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    ctx.s.set_window_size(768, 1024)?;
    for path in [
        "/#/lesson/lost-update?variant=for-update",
        "/#/lesson/stale-cache?variant=cache-aside",
        "/#/lesson/stampede",
        "/#/edit",
    ] {
        ctx.s.navigate(&ctx.url(path))?;
        ctx.wait_element("#lesson section.lane")?;
        let v = js(
            ctx,
            "return [document.documentElement.scrollWidth, window.innerWidth];",
        )?;
        let (scroll, inner) = (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
        if scroll > inner + 1.0 {
            bail!("{path} scrolls sideways at tablet width: {scroll} px of content in {inner} px");
        }
    }
    ctx.s
        .navigate(&ctx.url("/#/lesson/lost-update?variant=for-update"))?;
    ctx.wait_element("#lesson section.lane")?;
    ctx.click(super::sel::RUN_TO_END)?;
    let shot = out_dir.join("tablet.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!(
        "at 768 px no page scrolls sideways (three lessons, the editor); screenshot {}",
        rel(&shot)
    ));
    js(ctx, "const t = document.querySelector('#theme'); t.value = 'dark'; t.dispatchEvent(new Event('change', { bubbles: true }));")?;
    let bg = js(
        ctx,
        "return getComputedStyle(document.body.parentElement).backgroundColor;",
    )?;
    if bg != json!("rgb(20, 23, 29)") {
        bail!("the dark theme did not apply: background {bg}");
    }
    let shot = out_dir.join("dark.png");
    ctx.save_screenshot(&shot)?;
    js(ctx, "const t = document.querySelector('#theme'); t.value = 'system'; t.dispatchEvent(new Event('change', { bubbles: true }));")?;
    ctx.check(format!(
        "the dark theme paints the page dark; screenshot {}",
        rel(&shot)
    ));
    ctx.s.set_window_size(1400, 1000)?;
    Ok(())
}

/// A lesson from a Russian document, in Russian: the page's words and the lesson's prose.
fn language(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    ctx.s.navigate("about:blank")?;
    ctx.s
        .navigate(&ctx.url("/#/lesson/balance-cases?lang=ru"))?;
    ctx.wait("balance-cases", WAIT, |s| s.lane_count() > 0)?;
    let next = ctx.wait_text("#next-event", |_| true)?;
    let title = ctx.wait_text("#lesson h1", |_| true)?;
    if next.trim() != "Следующее событие" || title.is_ascii() {
        bail!("the page is not in Russian: `{next}`, `{title}`");
    }
    ctx.click(super::sel::NEXT_EVENT)?;
    ctx.wait("a step", WAIT, |s| s.0["trace"].as_u64().unwrap_or(0) > 0)?;
    let at = url(ctx)?;
    if !at.contains("lang=ru") {
        bail!("the URL lost its language: {at}");
    }
    let shot = out_dir.join("lesson-ru.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!(
        "?lang=ru: the page and the lesson in Russian (`{title}`), kept in the URL; screenshot {}",
        rel(&shot)
    ));
    // The language is chosen at page load: leave this page, so the next one starts afresh.
    ctx.s.navigate("about:blank")?;
    Ok(())
}

/// Sets the editor's text as typing does (an input event that bubbles).
fn type_text(ctx: &Ctx<'_>, text: &str) -> Result<()> {
    ctx.s.execute(
        "const a = document.querySelector('#lesson-text'); a.value = arguments[0];
         a.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![json!(text)],
    )?;
    Ok(())
}

fn editor_text(ctx: &Ctx<'_>) -> Result<String> {
    Ok(
        js(ctx, "return document.querySelector('#lesson-text').value;")?
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

pub(super) fn author(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    // "Write a lesson" on the reader's page opens the editor's page (edit/, the build with the
    // lesson compiler).
    ctx.s.navigate(&ctx.url("/#/"))?;
    ctx.click("a.editor-link")?;
    ctx.wait_element("#lesson-text")?;
    let at = url(ctx)?;
    if !at.starts_with(&ctx.url("/edit/#/edit")) {
        bail!("\"Write a lesson\" did not open the editor's page: {at}");
    }
    ctx.wait_element(r#".problems-summary[data-ok="true"]"#)?;
    let good = editor_text(ctx)?.replacen(
        "title = \"Lost update: read, compute, write\"",
        "title = \"My lost update\"",
        1,
    );
    let bad = good.replacen(
        "name = \"T2\"\nscript = \"debit\"",
        "name = \"T2\"\nscript = \"debitt\"",
        1,
    );
    if bad == good {
        bail!("the editor did not open on the lost-update text");
    }
    let line = bad
        .lines()
        .position(|l| l.contains("\"debitt\""))
        .unwrap_or(0)
        + 1;
    type_text(ctx, &bad)?;
    let problem = ctx.wait_text("ul.problems li", |t| t.contains("debitt"))?;
    let at = ctx.wait_text("ul.problems li button.at", |_| true)?;
    if !at.starts_with(&format!("line {line},")) {
        bail!("the problem is not located on line {line}: {at} {problem}");
    }
    let shot = out_dir.join("editor-problem.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!(
        "the editor shows the problem live at {at}: {problem}"
    ));
    type_text(ctx, &good)?;
    ctx.wait_element(r#".problems-summary[data-ok="true"]"#)?;
    ctx.wait("the fixed lesson running", WAIT, |s| s.lane_count() == 2)?;
    ctx.check("fixed: no problems, the lesson runs under the text");
    // Share, then open the link with another draft in the browser: the shared text wins and
    // the other draft is kept.
    ctx.click("#editor-share")?;
    ctx.wait_element("#share-link")?;
    let link = js(ctx, "return document.querySelector('#share-link').value;")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !link.contains("#/edit?lesson=1.") {
        bail!("not a share link: {link}");
    }
    js(
        ctx,
        "localStorage.setItem('racelab-draft', 'title = \"another draft\"\\n');",
    )?;
    ctx.s.navigate(&ctx.url("/#/"))?;
    ctx.s.navigate(&link)?;
    js(ctx, "location.reload();")?;
    ctx.wait_element("#editor-restore")?;
    if editor_text(ctx)? != good {
        bail!("the share link did not bring the edited lesson back");
    }
    ctx.check(format!(
        "share link round trip ({} characters): the edited lesson, and the other draft kept",
        link.len()
    ));
    // The same link to the reader's page (as links made before the editor had its own page):
    // it opens the editor's page on the lesson.
    let payload = link.split_once("#/edit?").map_or("", |(_, q)| q);
    js(
        ctx,
        "localStorage.setItem('racelab-draft', 'title = \"yet another draft\"\\n');",
    )?;
    ctx.s.navigate(&ctx.url("/#/"))?;
    ctx.s.navigate(&ctx.url(&format!("/#/edit?{payload}")))?;
    js(ctx, "location.reload();")?;
    ctx.wait("the editor's page", WAIT, |s| {
        s.str("url")
            .is_some_and(|u| u.contains("/edit/#/edit?lesson=1."))
    })?;
    ctx.wait_element("#editor-restore")?;
    if editor_text(ctx)? != good {
        bail!("the reader's page did not pass the share link to the editor");
    }
    ctx.check("a share link to the reader's page opens the editor's page on the lesson");
    // A damaged link: a clear message, and the text stays.
    let cut = &link[..link.len() - link.len() / 3];
    ctx.s.navigate(&ctx.url("/#/"))?;
    ctx.s.navigate(cut)?;
    js(ctx, "location.reload();")?;
    let notice = ctx.wait_text("#editor-notice", |t| t.contains("damaged"))?;
    if editor_text(ctx)? != good {
        bail!("a damaged link lost the draft");
    }
    let shot = out_dir.join("editor-damaged-link.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!(
        "a damaged link says so and the draft stays: {notice}"
    ));
    ctx.drain_logs()
}

/// examples/course.html next to a copy of the bundle as `racelab/`, on another server.
pub(super) fn course_page(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    let site = out_dir.join("course-site");
    let _ = std::fs::remove_dir_all(&site);
    crate::bundle::copy_dir(&ctx.dir, &site.join("racelab"))?;
    std::fs::copy(
        crate::util::root().join("examples/course.html"),
        site.join("course.html"),
    )?;
    let server = crate::http::StaticServer::start(&site)?;
    ctx.s
        .navigate(&format!("{}/course.html", server.base_url()))?;
    let events = |ctx: &Ctx<'_>, frame: &str, kind: &str| -> Result<Vec<String>> {
        let v = ctx.s.execute(
            "return Array.from(document.querySelectorAll(`#events li[data-frame='${arguments[0]}'][data-type='${arguments[1]}']`)).map(l => l.dataset.detail);",
            vec![json!(frame), json!(kind)],
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    };
    let deadline = std::time::Instant::now() + WAIT;
    while events(ctx, "lesson-1", "racelab:ready")?.is_empty()
        || events(ctx, "lesson-2", "racelab:ready")?.is_empty()
    {
        if std::time::Instant::now() > deadline {
            bail!("the two embedded lessons did not both say ready");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let heights = js(
        ctx,
        "return Array.from(document.querySelectorAll('iframe')).map(f => [f.dataset.heights || '0', f.getBoundingClientRect().height]);",
    )?;
    ctx.check(format!(
        "the course page embeds two lessons; both ready; heights (messages, px): {heights}"
    ));
    ctx.click("#lose-a-debit")?;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let won = events(ctx, "lesson-1", "racelab:challenge-won")?;
        let failed = events(ctx, "lesson-1", "racelab:assertion")?;
        if !won.is_empty() && failed.iter().any(|d| d == "balance-is-100 fail") {
            ctx.check(format!(
                "commands from the course page lose a debit: `balance-is-100 fail` and challenge won ({})",
                won[0]
            ));
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!("no challenge-won / failed assertion from lesson 1: {won:?} {failed:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let steps = events(ctx, "lesson-1", "racelab:step")?;
    if !steps
        .last()
        .is_some_and(|s| s.contains("run naive:0.0.1.1"))
    {
        bail!("the step messages do not carry the run: {steps:?}");
    }
    ctx.check(format!(
        "{} step messages, the last: {}",
        steps.len(),
        steps.last().map_or("", |s| s)
    ));
    let shot = out_dir.join("course-page.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!("screenshot saved to {}", rel(&shot)));
    ctx.drain_logs()?;
    drop(server);
    Ok(())
}
