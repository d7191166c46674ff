//! End-to-end test of the release bundle: serves `dist/` with [`StaticServer`], drives headless
//! Chromium through ChromeDriver, and walks the lost-update lesson (see `scenario`).
//!
//! The selectors of the app's DOM contract are all in [`sel`] so they are easy to adjust.

use crate::bail;
use crate::http::StaticServer;
use crate::util::{self, Error, Result};
use crate::webdriver::{chrome_capabilities, ChromeDriver, Element, LogEntry, Session};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod every_lesson;
mod figures;
mod flows;
mod journeys;
mod monkey;
use every_lesson::every_lesson;
use flows::{explorer, stale_cache};

/// The DOM contract between the app and this test.
pub mod sel {
    /// On the lesson list (`/#/`).
    pub const LESSON_LINK: &str = r#"a.lesson-link[data-lesson="lost-update"]"#;
    /// The lesson page root; attributes `data-lesson` and `data-variant`.
    pub const LESSON_MAIN: &str = "#lesson";
    /// Variant buttons; attributes `data-variant` and `aria-pressed`.
    pub const VARIANT_BUTTON: &str = "button.variant";
    /// One per client; attributes `data-client` and `data-status`.
    pub const LANE: &str = "section.lane";
    /// Inside a lane: the client's virtual time (`40 ms`).
    pub const LANE_CLOCK: &str = ".lane-clock";
    /// Inside a lane: script lines; attributes `data-line` and `data-state`.
    pub const LINE: &str = "li.line";
    /// Inside a pending/next line.
    pub const INJECT_EXIT: &str = "button.inject-exit";
    pub const NEXT_EVENT: &str = "button#next-event";
    pub const RUN_TO_END: &str = "button#run-to-end";
    pub const RESET: &str = "button#reset";
    pub const BACK: &str = "button#back";
    /// Global virtual time.
    pub const CLOCK: &str = "#clock";
    /// Engine / routing error message (absent or empty when none).
    pub const ERROR: &str = "#error";
    pub const DB_TABLE: &str = r#"table.db-table[data-table="category_balance"]"#;
    pub const DB_ROW: &str = "tr.db-row";
    pub const BALANCE_CELL: &str = r#"td[data-column="balance"]"#;
    pub const ROW_LOCK: &str = ".row-lock";
    /// Attributes `data-assertion` and `data-verdict` (pass | fail | pending).
    pub const ASSERTION: &str = "li.assertion";
    pub const TRACE_EVENT: &str = "ol#trace > li.event";
    /// The static "Loading Racelab…" element of index.html, removed by the app once mounted.
    pub const BOOT: &str = "#boot";

    pub fn variant(slug: &str) -> String {
        format!(r#"{VARIANT_BUTTON}[data-variant="{slug}"]"#)
    }

    pub fn inject_exit(client: &str, line: u32) -> String {
        format!(r#"{LANE}[data-client="{client}"] {LINE}[data-line="{line}"] {INJECT_EXIT}"#)
    }
}

/// The lesson and its URLs.
const LESSON: &str = "lost-update";
const LIST_PATH: &str = "/#/";
const MISSING_LESSON_PATH: &str = "/#/lesson/no-such-lesson";
const STALE_CACHE_PATH: &str = "/#/lesson/stale-cache?variant=cache-aside";

/// How long to wait for the DOM to reach an expected state.
const WAIT: Duration = Duration::from_secs(10);
/// Upper bound of `#next-event` clicks in the stepping check.
const MAX_STEPS: usize = 40;

/// Reads everything the scenario looks at in one round trip (`arguments[0]` = selectors).
const SNAPSHOT_JS: &str = r#"
const s = arguments[0];
const qa = (sel, root) => Array.from((root || document).querySelectorAll(sel));
const q = (sel, root) => (root || document).querySelector(sel);
const txt = (el) => (el ? el.textContent.trim() : null);
const main = q(s.main);
const lanes = {};
for (const l of qa(s.lane)) {
  lanes[l.getAttribute('data-client')] = {
    status: l.getAttribute('data-status'),
    clock: txt(q(s.laneClock, l)),
    lines: qa(s.line, l).map((li) => li.getAttribute('data-line') + ':' + li.getAttribute('data-state')),
  };
}
const table = q(s.dbTable);
const rows = table ? qa(s.dbRow, table) : [];
const assertions = {};
for (const a of qa(s.assertion)) assertions[a.getAttribute('data-assertion')] = a.getAttribute('data-verdict');
return {
  url: location.href,
  lesson: main ? main.getAttribute('data-lesson') : null,
  variant: main ? main.getAttribute('data-variant') : null,
  pressed: qa(s.variantButton).filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => b.getAttribute('data-variant')),
  lanes,
  table: !!table,
  balances: rows.map((r) => txt(q(s.balanceCell, r))),
  locks: qa(s.rowLock).map(txt).filter((t) => t).join(' | '),
  assertions,
  errorText: txt(q(s.error)) || '',
  clock: txt(q(s.clock)),
  trace: qa(s.traceEvent).length,
  boot: !!q(s.boot),
  bodyText: (document.body ? document.body.innerText : '').trim().slice(0, 200),
};
"#;

fn selectors_arg() -> Value {
    json!({
        "main": sel::LESSON_MAIN,
        "variantButton": sel::VARIANT_BUTTON,
        "lane": sel::LANE,
        "laneClock": sel::LANE_CLOCK,
        "line": sel::LINE,
        "dbTable": sel::DB_TABLE,
        "dbRow": sel::DB_ROW,
        "balanceCell": sel::BALANCE_CELL,
        "rowLock": sel::ROW_LOCK,
        "assertion": sel::ASSERTION,
        "error": sel::ERROR,
        "clock": sel::CLOCK,
        "traceEvent": sel::TRACE_EVENT,
        "boot": sel::BOOT,
    })
}

/// The page state as read by [`SNAPSHOT_JS`].
#[derive(Clone, Debug, PartialEq)]
pub struct Snap(pub Value);

impl Snap {
    fn str(&self, key: &str) -> Option<&str> {
        self.0[key].as_str()
    }
    pub fn lesson(&self) -> Option<&str> {
        self.str("lesson")
    }
    pub fn variant(&self) -> Option<&str> {
        self.str("variant")
    }
    pub fn pressed(&self) -> Vec<&str> {
        self.0["pressed"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
    pub fn lane_status(&self, client: &str) -> Option<&str> {
        self.0["lanes"][client]["status"].as_str()
    }
    pub fn lane_clock(&self, client: &str) -> Option<&str> {
        self.0["lanes"][client]["clock"].as_str()
    }
    pub fn lane_count(&self) -> usize {
        self.0["lanes"].as_object().map_or(0, |m| m.len())
    }
    /// `true` when there is at least one lane and every lane has `status`.
    pub fn all_lanes(&self, status: &str) -> bool {
        self.0["lanes"].as_object().is_some_and(|m| {
            !m.is_empty() && m.values().all(|l| l["status"].as_str() == Some(status))
        })
    }
    /// The balance cell of the first row.
    pub fn balance(&self) -> Option<&str> {
        self.0["balances"][0].as_str()
    }
    pub fn locks(&self) -> &str {
        self.str("locks").unwrap_or("")
    }
    pub fn verdict(&self, assertion: &str) -> Option<&str> {
        self.0["assertions"][assertion].as_str()
    }
    pub fn assertions(&self) -> BTreeMap<String, String> {
        self.0["assertions"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn error(&self) -> &str {
        self.str("errorText").unwrap_or("")
    }
    /// A one-line description for failure messages.
    pub fn describe(&self) -> String {
        let lanes: Vec<String> = self.0["lanes"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, l)| {
                        format!(
                            "{k}={} @{}",
                            l["status"].as_str().unwrap_or("?"),
                            l["clock"].as_str().unwrap_or("?")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        format!(
            "url={} lesson={:?} variant={:?} pressed={:?} lanes=[{}] balances={} locks={:?} assertions={:?} clock={:?} trace={} error={:?} body={:?}",
            self.str("url").unwrap_or("?"),
            self.lesson(),
            self.variant(),
            self.pressed(),
            lanes.join(", "),
            self.0["balances"],
            self.locks(),
            self.assertions(),
            self.str("clock"),
            self.0["trace"],
            self.error(),
            self.str("bodyText").unwrap_or(""),
        )
    }
}

/// Scenario state: the session, the server's base URL, and the console log collected so far.
struct Ctx<'a> {
    s: &'a Session,
    base: String,
    /// The site being served (the built `dist/`).
    dir: PathBuf,
    logs: Vec<LogEntry>,
    last: Option<Snap>,
    checks: usize,
}

impl Ctx<'_> {
    fn snap(&mut self) -> Result<Snap> {
        let v = self.s.execute(SNAPSHOT_JS, vec![selectors_arg()])?;
        let snap = Snap(v);
        self.last = Some(snap.clone());
        Ok(snap)
    }

    /// Polls until `pred` holds (bounded by `timeout`).
    fn wait(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Snap) -> bool,
    ) -> Result<Snap> {
        let deadline = Instant::now() + timeout;
        loop {
            let snap = self.snap()?;
            if pred(&snap) {
                return Ok(snap);
            }
            if Instant::now() > deadline {
                bail!(
                    "timed out after {:.0} s waiting for {what}\n  last state: {}",
                    timeout.as_secs_f64(),
                    snap.describe()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (bounded) until an element matching `css` exists.
    fn wait_element(&mut self, css: &str) -> Result<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(el) = self.s.find(css)? {
                return Ok(el);
            }
            if Instant::now() > deadline {
                let state = self
                    .snap()
                    .map(|s| s.describe())
                    .unwrap_or_else(|e| format!("(unreadable: {e})"));
                bail!("timed out after 10 s waiting for `{css}`\n  last state: {state}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for an enabled element matching `css` and clicks it (retrying stale references).
    fn click(&mut self, css: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let el = self.wait_element(css)?;
            let enabled = self.s.is_enabled(&el).unwrap_or(false);
            if enabled {
                match self.s.click(&el) {
                    Ok(()) => return Ok(()),
                    Err(e) if e.error == "element click intercepted" => {
                        println!(
                            "    note: click on `{css}` intercepted ({}); clicking via JS",
                            e.message
                        );
                        self.s.execute(
                            "document.querySelector(arguments[0]).click();",
                            vec![json!(css)],
                        )?;
                        return Ok(());
                    }
                    Err(e)
                        if e.error == "stale element reference"
                            || e.error == "element not interactable" =>
                    {
                        if Instant::now() > deadline {
                            return Err(e.into());
                        }
                    }
                    Err(e) => return Err(Error::from(e)),
                }
            } else if Instant::now() > deadline {
                bail!("`{css}` stayed disabled for 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (bounded) until the text of `css` satisfies `pred`; returns it.
    fn wait_text(&mut self, css: &str, pred: impl Fn(&str) -> bool) -> Result<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.s.execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![json!(css)],
            )?;
            let text = v.as_str().unwrap_or_default().to_string();
            if v.is_string() && pred(&text) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("timed out after 10 s waiting for `{css}` (text now {v})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn check(&mut self, msg: impl AsRef<str>) {
        self.checks += 1;
        println!("  ✓ {}", msg.as_ref());
    }

    fn drain_logs(&mut self) -> Result<()> {
        let new = self.s.browser_logs()?;
        for e in &new {
            if e.level == "SEVERE" || e.level == "WARNING" {
                // Share links make long URLs: the message's start says enough.
                let m: String = e.message.chars().take(300).collect();
                println!("    console {}: {m}", e.level);
            }
        }
        self.logs.extend(new);
        Ok(())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn save_screenshot(&self, path: &Path) -> Result<()> {
        let png = self.s.screenshot_png()?;
        if !png.starts_with(b"\x89PNG") {
            bail!("screenshot is not a PNG");
        }
        std::fs::write(path, png)?;
        Ok(())
    }
}

/// The lost-update lesson, step by step (see docs/dev-commands.md).
fn scenario(ctx: &mut Ctx<'_>, out_dir: &Path) -> Result<()> {
    // 1. Lesson list → lesson page.
    ctx.s.navigate(&ctx.url(LIST_PATH))?;
    ctx.click(sel::LESSON_LINK)?;
    let snap = ctx.wait("the lost-update lesson page", WAIT, |s| {
        s.lesson() == Some(LESSON)
    })?;
    ctx.check(format!(
        "lesson list → `{}` opens #lesson[data-lesson=\"{LESSON}\"] ({} lanes)",
        sel::LESSON_LINK,
        snap.lane_count()
    ));
    if snap.0["boot"] == json!(true) {
        println!("    note: the static #boot placeholder is still in the page after mount");
    }
    ctx.drain_logs()?;

    // 2. Naive variant: run to end → lost update.
    ctx.click(&sel::variant("naive"))?;
    ctx.wait("variant naive selected", WAIT, |s| {
        s.variant() == Some("naive") && s.pressed() == ["naive"]
    })?;
    ctx.check("variant naive selected (data-variant, aria-pressed)");
    ctx.click(sel::RUN_TO_END)?;
    ctx.wait(
        "naive run-to-end: balance 300, balance-is-100 fail, all lanes done",
        WAIT,
        |s| {
            s.balance() == Some("300")
                && s.verdict("balance-is-100") == Some("fail")
                && s.all_lanes("done")
        },
    )?;
    ctx.check("naive run-to-end: balance 300 (lost update), balance-is-100 = fail, T1 and T2 done");
    ctx.drain_logs()?;

    // 3. Reset.
    ctx.click(sel::RESET)?;
    ctx.wait(
        "reset: balance 500, assertions pending, lanes runnable",
        WAIT,
        is_reset,
    )?;
    ctx.check("reset: balance 500, all assertions pending, all lanes runnable");

    // 4. FOR UPDATE variant, one event at a time.
    ctx.click(&sel::variant("for-update"))?;
    ctx.wait("variant for-update selected", WAIT, |s| {
        s.variant() == Some("for-update") && s.pressed() == ["for-update"] && is_reset(s)
    })?;
    ctx.check("variant for-update selected");
    let mut saw_blocked = false;
    let mut lock_text: Option<String> = None;
    let mut clicks = 0;
    let mut snap = ctx.snap()?;
    while !snap.all_lanes("done") {
        if snap.lane_status("T2") == Some("blocked") {
            saw_blocked = true;
            let locks = snap.locks();
            if lock_text.is_none() && locks.contains("T1") && locks.contains("T2") {
                lock_text = Some(locks.to_string());
                // The moment the lesson is about: T2 waits for T1's row lock.
                let shot = out_dir.join("lesson-page-blocked.png");
                ctx.save_screenshot(&shot)?;
                ctx.check(format!("screenshot of T2 waiting saved to {}", rel(&shot)));
            }
        }
        if clicks == MAX_STEPS {
            bail!(
                "lanes not all done after {MAX_STEPS} #next-event clicks\n  last state: {}",
                snap.describe()
            );
        }
        ctx.click(sel::NEXT_EVENT)?;
        clicks += 1;
        let before = snap.clone();
        // Each event changes something visible; wait (bounded) for the re-render.
        snap = match ctx.wait(
            "the page to change after #next-event",
            Duration::from_secs(3),
            |s| *s != before,
        ) {
            Ok(s) => s,
            Err(_) => ctx.snap()?,
        };
    }
    if !saw_blocked {
        bail!("lane T2 was never `blocked` while stepping the for-update variant");
    }
    ctx.check(format!(
        "stepping for-update: T2 blocked at some point ({clicks} #next-event clicks)"
    ));
    match lock_text {
        Some(t) => ctx.check(format!("while T2 was blocked the row showed `{t}`")),
        None => bail!(
            "while T2 was blocked no `{}` mentioned both T1 and T2",
            sel::ROW_LOCK
        ),
    }
    let snap = ctx.wait(
        "for-update result: balance 100, assertions pass, T2 at 40 ms",
        WAIT,
        |s| {
            s.balance() == Some("100")
                && s.verdict("balance-is-100") == Some("pass")
                && s.verdict("within-timeout") == Some("pass")
                && s.lane_clock("T2") == Some("40 ms")
        },
    )?;
    ctx.check(format!(
        "for-update end: balance 100, balance-is-100 = pass, within-timeout = pass, T2 clock {}",
        snap.lane_clock("T2").unwrap_or("?")
    ));
    let shot = out_dir.join("lesson-page.png");
    ctx.save_screenshot(&shot)?;
    ctx.check(format!("screenshot saved to {}", rel(&shot)));
    ctx.drain_logs()?;

    // 5. Crash T1 before its COMMIT (line 5): its update rolls back, T2 debits once.
    ctx.click(sel::RESET)?;
    ctx.wait("reset before the crash check", WAIT, is_reset)?;
    ctx.click(&sel::inject_exit("T1", 5))?;
    ctx.check("injected exit before T1's COMMIT (line 5)");
    ctx.click(sel::RUN_TO_END)?;
    ctx.wait("crash run: T1 crashed, T2 done, balance 300", WAIT, |s| {
        s.lane_status("T1") == Some("crashed")
            && s.lane_status("T2") == Some("done")
            && s.balance() == Some("300")
    })?;
    ctx.check(
        "crash run-to-end: T1 crashed, T2 done, balance 300 (T1 rolled back, T2 debited once)",
    );
    ctx.drain_logs()?;

    // 6. The explorer: every case of the naive variant in a Web Worker; replay a bad row.
    explorer(ctx, out_dir)?;

    // 6b. The student's and the author's journeys, and the example course page.
    journeys::student(ctx, out_dir)?;
    journeys::author(ctx, out_dir)?;
    journeys::course_page(ctx, out_dir)?;

    // 7. The stale-cache lesson, cache-aside: step the slow reader's schedule by hand.
    stale_cache(ctx, out_dir)?;

    // 8. Every shipped lesson: open, run to the end, explore, screenshot.
    every_lesson(ctx, out_dir)?;

    // 9. The same folder under a sub-path of another host: relative paths, the worker too.
    every_lesson::under_a_sub_path(ctx, out_dir)?;

    // 9b. The page's speed, then the monkey.
    figures::figures(ctx, out_dir)?;
    monkey::monkey(ctx)?;

    // 10. Unknown lesson: a clear message, never a blank page.
    ctx.s.navigate(&ctx.url(MISSING_LESSON_PATH))?;
    let snap = ctx.wait("an error message for an unknown lesson", WAIT, |s| {
        !s.error().is_empty()
    })?;
    ctx.check(format!(
        "{MISSING_LESSON_PATH} shows #error: {:?}",
        snap.error()
    ));
    ctx.drain_logs()?;
    Ok(())
}

fn is_reset(s: &Snap) -> bool {
    let a = s.assertions();
    s.balance() == Some("500")
        && !a.is_empty()
        && a.values().all(|v| v == "pending")
        && s.all_lanes("runnable")
}

fn rel(p: &Path) -> String {
    p.strip_prefix(util::root())
        .unwrap_or(p)
        .display()
        .to_string()
}

/// `target/e2e` (created).
pub fn out_dir() -> Result<PathBuf> {
    let d = util::root().join("target/e2e");
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// A fresh Chromium profile directory under `target/e2e`.
fn fresh_profile(out: &Path, tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let p = out.join(format!("profile-{tag}-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// The severe console entries, or an error listing them.
fn fail_on_severe(logs: &[LogEntry]) -> Result<()> {
    let severe: Vec<&LogEntry> = logs.iter().filter(|e| e.level == "SEVERE").collect();
    if severe.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = severe.iter().map(|e| format!("  {}", e.message)).collect();
    bail!(
        "{} SEVERE browser console entries:\n{}",
        severe.len(),
        list.join("\n")
    )
}

/// Browser plumbing shared by the e2e scenario and `browser-check`: serve `dir`, start
/// ChromeDriver and a session, run `body`, then always clean up (session, driver, server,
/// profile), and fail on SEVERE console entries.
fn with_browser(
    dir: &Path,
    tag: &str,
    body: impl FnOnce(&mut Ctx<'_>, &Path) -> Result<()>,
) -> Result<usize> {
    let out = out_dir()?;
    let server = StaticServer::start(dir)?;
    let profile = fresh_profile(&out, tag);
    let driver = ChromeDriver::start(&out.join(format!("chromedriver-{tag}.log")))?;
    let mut session = Session::new(driver.addr, &chrome_capabilities(&profile))?;
    println!(
        "  serving {} at {}; chromedriver at {}",
        rel(dir),
        server.base_url(),
        driver.addr
    );
    let mut ctx = Ctx {
        s: &session,
        base: server.base_url(),
        dir: dir.to_path_buf(),
        logs: Vec::new(),
        last: None,
        checks: 0,
    };
    let result = body(&mut ctx, &out);
    let logs_result = ctx.drain_logs();
    if result.is_err() {
        let shot = out.join(format!("{tag}-failure.png"));
        if ctx.save_screenshot(&shot).is_ok() {
            println!("  failure screenshot: {}", rel(&shot));
        }
        if let Some(last) = &ctx.last {
            println!("  last page state: {}", last.describe());
        }
        let misses = server.misses.lock().map(|m| m.clone()).unwrap_or_default();
        for m in misses {
            println!("  server: {m}");
        }
        for e in &ctx.logs {
            println!("  console {}: {}", e.level, e.message);
        }
        println!("  chromedriver log: {}", rel(&driver.log));
    }
    let logs = std::mem::take(&mut ctx.logs);
    let checks = ctx.checks;
    let deleted = session.delete();
    drop(session);
    drop(driver);
    drop(server);
    let _ = std::fs::remove_dir_all(&profile);
    result?;
    logs_result?;
    deleted?;
    fail_on_severe(&logs)?;
    let others = logs.iter().filter(|e| e.level != "SEVERE").count();
    println!("  ✓ no SEVERE browser console entries ({others} other entries)");
    Ok(checks + 1)
}

/// Runs the scenario against `dist/` (which must already be built).
pub fn run() -> Result<()> {
    run_on(&util::root().join("dist"))
}

/// Runs the scenario against the site in `dist`.
pub fn run_on(dist: &Path) -> Result<()> {
    if !dist.join("index.html").is_file() {
        bail!(
            "{}/index.html is missing: build the bundle first (`cargo xtask e2e` does)",
            dist.display()
        );
    }
    let checks = with_browser(dist, "e2e", scenario)?;
    println!("e2e: {checks} checks passed");
    Ok(())
}

/// Checks the browser plumbing on a trivial page (no app needed): page load, element lookup,
/// wasm streaming with our content types, console log collection, screenshot.
pub fn browser_check() -> Result<()> {
    let dir = out_dir()?.join("browser-check-site");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("index.html"),
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>check</title><link rel="icon" href="data:,"></head>
<body><p id="hello">Hello from the static server</p>
<script>
console.log("browser-check info");
WebAssembly.instantiateStreaming(fetch("empty.wasm"))
  .then(() => { document.body.dataset.wasm = "ok"; })
  .catch((e) => { document.body.dataset.wasm = "error: " + e; });
</script></body></html>"#,
    )?;
    // The smallest valid module: magic + version.
    std::fs::write(dir.join("empty.wasm"), b"\0asm\x01\0\0\0")?;
    let t0 = Instant::now();
    let checks = with_browser(&dir, "browser-check", |ctx, out| {
        ctx.s.navigate(&ctx.url("/"))?;
        let el = ctx.wait_element("#hello")?;
        let text = ctx.s.text(&el)?;
        if text != "Hello from the static server" {
            bail!("unexpected #hello text {text:?}");
        }
        ctx.check(format!("page served and found #hello ({text:?})"));
        let snap = ctx.snap()?;
        if !snap.str("url").is_some_and(|u| u.starts_with(&ctx.base)) || snap.lesson().is_some() {
            bail!("unexpected page snapshot: {}", snap.describe());
        }
        ctx.check("page snapshot script runs (no lesson on this page)");
        let deadline = Instant::now() + WAIT;
        loop {
            let v = ctx
                .s
                .execute("return document.body.dataset.wasm || null;", vec![])?;
            match v.as_str() {
                Some("ok") => break,
                Some(other) => bail!("wasm streaming failed: {other}"),
                None if Instant::now() > deadline => bail!("wasm streaming did not finish"),
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        ctx.check("WebAssembly.instantiateStreaming accepted application/wasm");
        ctx.drain_logs()?;
        if !ctx
            .logs
            .iter()
            .any(|e| e.message.contains("browser-check info"))
        {
            bail!("console.log entry not collected: {:?}", ctx.logs);
        }
        ctx.check("browser console log collected");
        // A SEVERE entry is detected (then drained so the check passes).
        ctx.s
            .execute("console.error('browser-check severe');", vec![])?;
        let severe: Vec<LogEntry> = ctx.s.browser_logs()?;
        if !severe
            .iter()
            .any(|e| e.level == "SEVERE" && e.message.contains("browser-check severe"))
        {
            bail!("console.error was not reported as SEVERE: {severe:?}");
        }
        ctx.check("console.error shows up as SEVERE");
        let shot = out.join("browser-check.png");
        ctx.save_screenshot(&shot)?;
        ctx.check(format!("screenshot saved to {}", rel(&shot)));
        Ok(())
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "browser-check: {checks} checks passed in {}",
        util::fmt_duration(t0.elapsed())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(v: Value) -> Snap {
        Snap(v)
    }

    #[test]
    fn snapshot_accessors() {
        let s = snap(json!({
            "lesson": "lost-update", "variant": "for-update", "pressed": ["for-update"],
            "lanes": {"T1": {"status": "done", "clock": "20 ms"}, "T2": {"status": "blocked", "clock": "40 ms"}},
            "balances": ["100"], "locks": "locked by T1 · waiting: T2",
            "assertions": {"balance-is-100": "pass", "within-timeout": "pending"},
            "errorText": "", "trace": 3, "url": "http://x/#/lesson/lost-update"
        }));
        assert_eq!(s.lesson(), Some("lost-update"));
        assert_eq!(s.pressed(), ["for-update"]);
        assert_eq!(s.lane_status("T2"), Some("blocked"));
        assert_eq!(s.lane_clock("T2"), Some("40 ms"));
        assert!(!s.all_lanes("done"));
        assert_eq!(s.balance(), Some("100"));
        assert_eq!(s.verdict("balance-is-100"), Some("pass"));
        assert!(s.describe().contains("T2=blocked @40 ms"));
        assert!(!is_reset(&s));
        let reset = snap(json!({
            "lanes": {"T1": {"status": "runnable"}, "T2": {"status": "runnable"}},
            "balances": ["500"], "assertions": {"balance-is-100": "pending", "within-timeout": "pending"}
        }));
        assert!(is_reset(&reset));
        assert!(!snap(json!({"lanes": {}})).all_lanes("done"));
    }

    #[test]
    fn selectors() {
        assert_eq!(
            sel::inject_exit("T1", 5),
            r#"section.lane[data-client="T1"] li.line[data-line="5"] button.inject-exit"#
        );
        assert_eq!(
            sel::variant("naive"),
            r#"button.variant[data-variant="naive"]"#
        );
    }

    #[test]
    fn severe_entries_fail() {
        let info = LogEntry {
            level: "INFO".into(),
            message: "hi".into(),
        };
        assert!(fail_on_severe(std::slice::from_ref(&info)).is_ok());
        let severe = LogEntry {
            level: "SEVERE".into(),
            message: "boom".into(),
        };
        let e = fail_on_severe(&[info, severe]).unwrap_err();
        assert!(e.0.contains("boom"));
    }
}
