//! The monkey: thousands of random actions (seeded, so a failure replays) on every lesson and
//! in the editor — clicks on whatever is enabled, shortcut keys, values typed into fields,
//! random edits of a lesson's text. After each action the page must still show its lesson;
//! after each lesson it must still step; any panic or console error fails the e2e run (the
//! panic hook logs to the console, which the run collects).

use super::{Ctx, WAIT};
use crate::bail;
use crate::util::{self, Result};
use serde_json::{json, Value};

/// Random actions on a lesson page: `arguments = [seed, count, done]`.
const LESSON_JS: &str = r#"
const [seed, n] = arguments, done = arguments[arguments.length - 1];
let x = (seed >>> 0) || 1;
const rnd = (k) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % k; };
const task = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
const keys = ['n', 'b', 'f', 'r', 'e', '1', '2', '3', '4', '9', '?', 'Escape', ' ', 'x', 'Enter'];
const counts = { click: 0, key: 0, input: 0 };
(async () => {
  for (let i = 0; i < n; i++) {
    const roll = rnd(10);
    let what = '';
    if (roll < 6) {
      const els = Array.from(document.querySelectorAll('#lesson button:not([disabled]), #lesson summary, #help button'))
        .filter((b) => b.id !== 'explore-run' || rnd(15) === 0);
      if (els.length) { const el = els[rnd(els.length)]; what = 'click ' + (el.id || el.className || el.tagName); counts.click++; el.click(); }
    } else if (roll < 9) {
      const k = keys[rnd(keys.length)];
      what = 'key ' + k; counts.key++;
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    } else {
      const fields = Array.from(document.querySelectorAll('#lesson input[type=number], #lesson input[type=checkbox], #lesson select'));
      if (fields.length) {
        const el = fields[rnd(fields.length)];
        if (el.tagName === 'SELECT') el.selectedIndex = rnd(el.options.length);
        else if (el.type === 'checkbox') el.checked = !el.checked;
        else el.value = String(rnd(4) === 0 ? -rnd(1000) : rnd(200000));
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
        what = 'input ' + (el.id || el.className); counts.input++;
      }
    }
    await task();
    if (!document.querySelector('#lesson')) { done({ ok: false, at: i, what, body: document.body.innerText.slice(0, 300) }); return; }
  }
  // Still responding: close the help, stop playing, reset and take one step.
  document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  const play = document.querySelector('#play');
  if (play && play.getAttribute('aria-pressed') === 'true') play.click();
  await task();
  document.querySelector('#reset').click();
  await task();
  const next = document.querySelector('#next-event');
  if (next && !next.disabled) next.click();
  await task();
  done({ ok: true, counts, trace: document.querySelectorAll('ol#trace > li.event').length, next: !!(next && !next.disabled) });
})();
"#;

/// Random edits of the editor's text: `arguments = [seed, count, done]`.
const EDITOR_JS: &str = r#"
const [seed, n] = arguments, done = arguments[arguments.length - 1];
let x = (seed >>> 0) || 1;
const rnd = (k) => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % k; };
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const bits = ['"', "'", '[', ']', '[[', '=', '\n', '[[client]]\n', 'SELECT', 'COMMIT\n', '{', '}', '#', 'ü', '\\', '"""', ' = 5', 'count = 1000000\n', '\n[variant.explore]\n', '…'];
const area = document.querySelector('#lesson-text');
const original = area.value;
let parses = 0, problems = 0, runs = 0;
(async () => {
  for (let i = 0; i < n; i++) {
    const v = area.value, at = rnd(v.length + 1), op = rnd(3);
    if (op === 0) area.value = v.slice(0, at) + v.slice(at + 1 + rnd(20));
    else if (op === 1) area.value = v.slice(0, at) + bits[rnd(bits.length)] + v.slice(at);
    else { const lines = v.split('\n'); const l = rnd(lines.length); lines.splice(l, 0, lines[l]); area.value = lines.join('\n'); }
    area.dispatchEvent(new Event('input', { bubbles: true }));
    if (i % 5 === 4) {
      await wait(300);
      parses++;
      if (!document.querySelector('#editor')) { done({ ok: false, at: i }); return; }
      if (document.querySelector('ul.problems li')) problems++;
      else if (document.querySelector('#lesson')) runs++;
    }
  }
  area.value = original;
  area.dispatchEvent(new Event('input', { bubbles: true }));
  await wait(400);
  done({ ok: true, parses, problems, runs, back: !!document.querySelector('#lesson') });
})();
"#;

fn lesson(ctx: &mut Ctx<'_>, slug: &str, seed: u64, n: usize) -> Result<usize> {
    ctx.s.navigate(&ctx.url(&format!("/#/lesson/{slug}")))?;
    ctx.wait(slug, WAIT, |s| s.lane_count() > 0)?;
    let v: Value = ctx
        .s
        .execute_async(LESSON_JS, vec![json!(seed), json!(n)])?;
    if v["ok"] != json!(true) {
        bail!("monkey on {slug} (seed {seed}): the page lost its lesson: {v}");
    }
    if v["next"] == json!(true) && v["trace"].as_u64().unwrap_or(0) == 0 {
        bail!("monkey on {slug} (seed {seed}): after the actions a step does nothing: {v}");
    }
    ctx.drain_logs()?;
    println!("    {slug}: {n} actions {} — still steps", v["counts"]);
    Ok(n)
}

pub(super) fn monkey(ctx: &mut Ctx<'_>) -> Result<()> {
    ctx.s.set_script_timeout(300_000)?;
    // A fixed seed per lesson: a failure replays exactly; RACELAB_MONKEY_SEED changes them.
    let base: u64 = std::env::var("RACELAB_MONKEY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207);
    let slugs: Vec<String> = util::lesson_files()?
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
        .collect();
    println!("  monkey (seed {base}):");
    let mut total = 0;
    for (i, slug) in slugs.iter().enumerate() {
        total += lesson(ctx, slug, base + i as u64, 200)?;
    }
    // The editor's own page (what "Write a lesson" opens): the reader's page would open it from
    // a script, which Chromium throttles after the hundreds of URL changes above.
    ctx.s.navigate(&ctx.url("/edit/#/edit"))?;
    ctx.wait_element("#lesson-text")?;
    let n = 200;
    let v: Value = ctx
        .s
        .execute_async(EDITOR_JS, vec![json!(base), json!(n)])?;
    if v["ok"] != json!(true) || v["back"] != json!(true) {
        bail!("monkey in the editor (seed {base}): {v}");
    }
    println!(
        "    editor: {n} random edits, {} checks ({} with problems, {} running)",
        v["parses"], v["problems"], v["runs"]
    );
    total += n;
    ctx.drain_logs()?;
    ctx.check(format!(
        "monkey: {total} random actions across {} lessons and the editor; no panic, the page always responds",
        slugs.len()
    ));
    Ok(())
}
