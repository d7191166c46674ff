//! The page's speed in headless Chromium on loopback, printed and written to
//! `target/e2e/figures.txt` (benchmarks that print numbers, not timed tests): when the lesson's
//! text is painted and when the first step is possible after a navigation (Element Timing:
//! the page marks its lesson title and its Next event button with `elementtiming`), and how
//! long a step plus the page's re-render takes, per click, over a long run of clicks.

use super::{Ctx, WAIT};
use crate::util::Result;
use serde_json::{json, Value};

/// Paint times (ms after navigation start) of the elements marked `elementtiming`, waiting
/// until both marks are in.
const PAINTS_JS: &str = r#"
const done = arguments[arguments.length - 1];
const seen = {};
const finish = () => done({ text: seen['lesson-text'] ?? null, step: seen['first-step'] ?? null,
  nav: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? null });
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) seen[e.identifier] = e.renderTime || e.loadTime;
    if ('lesson-text' in seen && 'first-step' in seen) finish();
  }).observe({ type: 'element', buffered: true });
} catch (e) { finish(); }
setTimeout(finish, 5000);
"#;

/// Clicks Next event until the run ends, then Back to the start, and again: each sample is
/// one click, the task the page needs to apply it, and a forced layout.
const STEPS_JS: &str = r#"
const n = arguments[0], done = arguments[arguments.length - 1];
for (const d of document.querySelectorAll('details')) d.open = true;
const task = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
const q = (s) => document.querySelector(s);
const times = [];
let forward = true;
(async () => {
  for (let i = 0; i < n; i++) {
    let b = q(forward ? '#next-event' : '#back');
    if (!b || b.disabled) { forward = !forward; b = q(forward ? '#next-event' : '#back'); }
    if (!b || b.disabled) break;
    const t0 = performance.now();
    b.click();
    await task();
    document.body.getBoundingClientRect();
    times.push(performance.now() - t0);
  }
  done({ times, lanes: document.querySelectorAll('section.lane').length, nodes: document.getElementsByTagName('*').length });
})();
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// Text visible and first step possible, over fresh loads of a lesson.
fn load_figures(ctx: &mut Ctx<'_>, out: &mut Vec<String>) -> Result<()> {
    let (mut text, mut step, mut load) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        ctx.s.navigate("about:blank")?;
        ctx.s
            .navigate(&ctx.url("/#/lesson/lost-update?variant=naive"))?;
        ctx.wait("the lesson", WAIT, |s| s.lane_count() == 2)?;
        let v = ctx.s.execute_async(PAINTS_JS, vec![])?;
        let num = |k: &str| v[k].as_f64();
        match (num("text"), num("step")) {
            (Some(t), Some(s)) => {
                text.push(t);
                step.push(s);
            }
            _ => crate::bail!("no Element Timing entries for the lesson's marks: {v}"),
        }
        load.extend(num("nav"));
    }
    out.push(format!(
        "lesson text painted after navigation: {:.0} ms median of 5 fresh loads (min {:.0}, max {:.0}; budget 300 ms)",
        median(text.clone()),
        text.iter().copied().fold(f64::INFINITY, f64::min),
        text.iter().copied().fold(0.0, f64::max)
    ));
    out.push(format!(
        "first step possible (Next event painted, enabled): {:.0} ms median (budget 1000 ms); load event at {:.0} ms",
        median(step),
        median(load)
    ));
    Ok(())
}

/// Step plus re-render, per click, on a lesson with many lanes and every panel open.
fn step_figures(ctx: &mut Ctx<'_>, out: &mut Vec<String>) -> Result<()> {
    for (path, what) in [
        (
            "/#/lesson/stale-cache?variant=cache-aside",
            "stale-cache (9 clients)",
        ),
        (
            "/#/lesson/cache-in-production?variant=ttl-based",
            "cache-in-production (5 clients)",
        ),
        (
            "/#/lesson/lost-update?variant=for-update",
            "lost-update (2 clients)",
        ),
    ] {
        ctx.s.navigate(&ctx.url(path))?;
        ctx.wait(what, WAIT, |s| s.lane_count() >= 2)?;
        let v: Value = ctx.s.execute_async(STEPS_JS, vec![json!(300)])?;
        let times: Vec<f64> = v["times"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        if times.len() < 20 {
            crate::bail!("{what}: only {} step samples", times.len());
        }
        out.push(format!(
            "step + re-render, {what}, every panel open ({} DOM nodes): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {} clicks (budget p95 16 ms)",
            v["nodes"],
            percentile(times.clone(), 0.5),
            percentile(times.clone(), 0.95),
            times.iter().copied().fold(0.0, f64::max),
            times.len()
        ));
    }
    Ok(())
}

/// Measures, prints and keeps the page's figures.
pub(super) fn figures(ctx: &mut Ctx<'_>, out_dir: &std::path::Path) -> Result<()> {
    ctx.s.set_script_timeout(120_000)?;
    let mut lines = Vec::new();
    load_figures(ctx, &mut lines)?;
    step_figures(ctx, &mut lines)?;
    println!("  page figures (headless Chromium, loopback, release bundle):");
    for l in &lines {
        println!("    {l}");
    }
    std::fs::write(out_dir.join("figures.txt"), lines.join("\n") + "\n")?;
    ctx.check("page figures measured (target/e2e/figures.txt)");
    ctx.drain_logs()
}
