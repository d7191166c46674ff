//! Parts of the e2e walk beyond the lost-update steps: the explorer panel and the stale-cache
//! lesson. A child of `e2e`, so it uses its private context and selectors.

use super::{rel, sel, Ctx, LESSON, STALE_CACHE_PATH, WAIT};
use crate::bail;
use crate::util::Result;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// The lost-update lesson's case table (naive; exit, exit-after, error, sleep), explored in a
/// Web Worker; the row "exit before T1:5" replayed into the lanes; the explorer's figures
/// measured on the page's thread.
pub(super) fn explorer(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    ctx.s
        .navigate(&ctx.url(&format!("/#/lesson/{LESSON}?variant=naive")))?;
    ctx.wait("the naive variant", WAIT, |s| s.variant() == Some("naive"))?;
    ctx.click("button#explore-run")?;
    let deadline = Duration::from_secs(60);
    let done = r#"#explore-status[data-state="done"]"#;
    let started = Instant::now();
    while ctx.s.find(done)?.is_none() {
        if started.elapsed() > deadline {
            let status = ctx.wait_text("#explore-status", |_| true)?;
            bail!("the explorer did not finish within 60 s: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = ctx.wait_text(done, |t| t.contains(" ok / "))?;
    if !status.contains("Web Worker") {
        bail!("the case table was not explored in a Web Worker: {status}");
    }
    ctx.check(format!("case table explored: {status}"));
    let row = r#"tr.case[data-case="exit before T1:5"]"#;
    let verdict = ctx.s.execute(
        "const r = document.querySelector(arguments[0]); return r && r.dataset.verdict;",
        vec![json!(row)],
    )?;
    if verdict != json!("bad") {
        bail!("row `exit before T1:5` should be bad, is {verdict}");
    }
    ctx.s.execute(
        "document.querySelector('section.explorer').scrollIntoView({block: 'start'});",
        vec![],
    )?;
    let shot = out_dir.join("case-table.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!("screenshot saved to {}", rel(&shot)));
    ctx.click(&format!("{row} button.replay"))?;
    ctx.wait(
        "the replayed case: T1 crashed, T2 done, balance 300",
        WAIT,
        |s| {
            s.lane_status("T1") == Some("crashed")
                && s.lane_status("T2") == Some("done")
                && s.balance() == Some("300")
        },
    )?;
    ctx.check(
        "clicked the bad row `exit before T1:5`: the lanes show T1 crashed, T2 done, balance 300",
    );
    // The replayed row is in the URL: a reload shows the same execution.
    ctx.s.execute("location.reload();", vec![])?;
    std::thread::sleep(Duration::from_millis(300));
    let snap = ctx.wait("the replayed case after a reload", WAIT, |s| {
        s.lane_status("T1") == Some("crashed")
            && s.lane_status("T2") == Some("done")
            && s.balance() == Some("300")
    })?;
    ctx.check(format!(
        "a reload keeps the replayed case ({})",
        snap.0["url"]
            .as_str()
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap_or("")
    ));
    ctx.click(sel::BACK)?;
    ctx.wait("one step back from the replayed end", WAIT, |s| {
        s.lane_status("T2") != Some("done")
    })?;
    ctx.check("Back works on the replayed execution");
    // The benchmark is in the editor's build (it has the scenarios' bytes).
    ctx.s.navigate(&ctx.url("/edit/#/"))?;
    ctx.wait_element("ul.lesson-list")?;
    let figures = ctx
        .s
        .execute("return window.wasmBindings.racelab_bench();", vec![])?;
    println!("  explorer in headless Chromium (page thread):");
    for line in figures.as_str().unwrap_or_default().lines() {
        println!("    {line}");
    }
    ctx.drain_logs()
}

/// Stale cache (seed 002), cache-aside: READER misses and reads the database, WRITER updates and
/// deletes the key, READER stores what it read: the Redis panel shows the old price and the
/// slow-reader assertion fails at the end.
pub(super) fn stale_cache(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    ctx.s.navigate(&ctx.url(STALE_CACHE_PATH))?;
    ctx.wait("the stale-cache lesson with 9 lanes", WAIT, |s| {
        s.lesson() == Some("stale-cache") && s.lane_count() == 9
    })?;
    ctx.check("stale-cache lesson open, variant cache-aside, 9 lanes");
    for c in [
        "READER", "READER", "READER", "WRITER", "WRITER", "READER", "READER",
    ] {
        ctx.click(&format!(r#"{}[data-client="{c}"] button.step"#, sel::LANE))?;
    }
    let phone =
        r#"section[data-service="redis"] tr.redis-key[data-key="product:phone-z1"] td.value"#;
    let cached = ctx.wait_text(phone, |t| t == "80000")?;
    ctx.check(format!(
        "after READER, WRITER, READER: Redis holds product:phone-z1 = {cached} (the database has 60000)"
    ));
    ctx.s.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
        vec![json!(phone)],
    )?;
    let shot = out_dir.join("stale-cache.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!("screenshot saved to {}", rel(&shot)));
    ctx.click(sel::RUN_TO_END)?;
    ctx.wait("slow-reader fails, the others pass", WAIT, |s| {
        s.verdict("slow-reader") == Some("fail")
            && s.verdict("concurrent-updates") == Some("pass")
            && s.verdict("cart-matches-checkout") == Some("pass")
    })?;
    ctx.check("run to end: slow-reader = fail (cache-aside does not fix the slow reader)");
    ctx.drain_logs()
}
