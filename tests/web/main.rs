//! Browser tests (wasm-bindgen-test in headless Chromium): mount the lesson page, click, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use racelab_web::pages::lesson::LessonPage;
use racelab_web::route::LessonAt;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

// The author-side and page-wide tests: links, share links, the editor, embedding, play,
// shortcuts, languages, prose, the timeline and the highlights.
mod author;

fn mount(slug: &str, variant: Option<&str>) -> (web_sys::Element, impl Drop) {
    let slug = slug.to_string();
    let variant = variant.map(str::to_string);
    mount_at(LessonAt {
        slug,
        variant,
        ..LessonAt::default()
    })
}

fn mount_at(at: LessonAt) -> (web_sys::Element, impl Drop) {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <LessonPage at=at.clone()/> }
    });
    (host, handle)
}

fn q(host: &web_sys::Element, sel: &str) -> web_sys::Element {
    host.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {sel}"))
}

fn click(host: &web_sys::Element, sel: &str) {
    q(host, sel).unchecked_into::<HtmlElement>().click();
}

fn attr(host: &web_sys::Element, sel: &str, name: &str) -> String {
    q(host, sel).get_attribute(name).unwrap_or_default()
}

fn text(host: &web_sys::Element, sel: &str) -> String {
    q(host, sel).text_content().unwrap_or_default()
}

fn lane_status(host: &web_sys::Element, client: &str) -> String {
    attr(
        host,
        &format!("section.lane[data-client='{client}']"),
        "data-status",
    )
}

fn line_state(host: &web_sys::Element, client: &str, line: usize) -> String {
    attr(
        host,
        &format!("section.lane[data-client='{client}'] li.line[data-line='{line}']"),
        "data-state",
    )
}

fn verdict(host: &web_sys::Element, assertion: &str) -> String {
    attr(
        host,
        &format!("li.assertion[data-assertion='{assertion}']"),
        "data-verdict",
    )
}

fn balance(host: &web_sys::Element) -> String {
    text(host, "td[data-column='balance']")
}

#[wasm_bindgen_test]
async fn lesson_page_mounts_with_two_lanes_and_pending_assertions() {
    let (host, _keep) = mount("lost-update", None);
    leptos::task::tick().await;
    assert_eq!(host.query_selector_all("section.lane").unwrap().length(), 2);
    assert_eq!(attr(&host, "#lesson", "data-variant"), "naive");
    assert_eq!(lane_status(&host, "T1"), "runnable");
    assert_eq!(line_state(&host, "T1", 1), "next");
    assert_eq!(balance(&host), "500");
    assert_eq!(verdict(&host, "balance-is-100"), "pending");
}

#[wasm_bindgen_test]
async fn a_step_moves_one_client_and_the_clock() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(&host, "section.lane[data-client='T2'] button.step");
    leptos::task::tick().await;
    assert_eq!(line_state(&host, "T2", 1), "done");
    assert_eq!(line_state(&host, "T2", 2), "next");
    assert_eq!(line_state(&host, "T1", 1), "next");
    assert_eq!(
        text(&host, "section.lane[data-client='T2'] .lane-clock"),
        "5 ms"
    );
    assert_eq!(text(&host, "#clock"), "5 ms");
    assert_eq!(
        host.query_selector_all("#trace li.event").unwrap().length(),
        1
    );
    assert_eq!(text(&host, ".next-hint"), "next event: T1 at 5 ms");
    assert_eq!(
        host.query_selector_all("#trace li.latest")
            .unwrap()
            .length(),
        1
    );
}

#[wasm_bindgen_test]
async fn for_update_blocks_then_passes() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    for _ in 0..4 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    assert_eq!(lane_status(&host, "T2"), "blocked");
    let lock = text(&host, ".row-lock");
    assert!(
        lock.contains("locked by T1 (FOR UPDATE)") && lock.contains("waiting: T2"),
        "{lock}"
    );
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "100");
    assert_eq!(verdict(&host, "balance-is-100"), "pass");
    assert_eq!(
        text(&host, "section.lane[data-client='T2'] .lane-clock"),
        "40 ms"
    );
    assert_eq!(text(&host, ".next-hint"), "the run is over");
}

#[wasm_bindgen_test]
async fn sessions_show_their_isolation_level_snapshot_and_lock_modes() {
    let (host, _keep) = mount("isolation-levels", Some("serializable"));
    leptos::task::tick().await;
    let sessions = text(&host, ".pg-sessions");
    assert!(
        sessions.contains("ALICE") && sessions.contains("serializable"),
        "{sessions}"
    );
    // BEGIN for everyone, then the first query takes each transaction's snapshot.
    for _ in 0..6 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    let sessions = text(&host, ".pg-sessions");
    assert!(sessions.contains("in transaction"), "{sessions}");
    assert!(sessions.contains("snapshot at commit #"), "{sessions}");
}

#[wasm_bindgen_test]
async fn a_deadlock_and_its_victim_are_shown() {
    let (host, _keep) = mount("deadlock", Some("opposite-order"));
    leptos::task::tick().await;
    // Both BEGINs, both first UPDATEs, then each second UPDATE waits for the other's row.
    for _ in 0..6 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    let deadlock = text(&host, ".pg-deadlock");
    assert!(
        deadlock.contains("T1") && deadlock.contains("T2"),
        "{deadlock}"
    );
    // A second later T1's deadlock check runs first: T1 is the victim, T2 goes on.
    click(&host, "#next-event");
    leptos::task::tick().await;
    let sessions = text(&host, ".pg-sessions");
    assert!(sessions.contains("deadlock victim"), "{sessions}");
    assert!(host.query_selector(".pg-deadlock").unwrap().is_none());
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(verdict(&host, "both-applied"), "pass");
    assert_eq!(verdict(&host, "within-timeout"), "fail");
}

#[wasm_bindgen_test]
async fn an_injected_exit_crashes_the_client() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(
        &host,
        "section.lane[data-client='T1'] li.line[data-line='5'] button.inject-exit",
    );
    leptos::task::tick().await;
    assert!(text(
        &host,
        "section.lane[data-client='T1'] li.line[data-line='5']"
    )
    .contains("exit"));
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T1"), "crashed");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(balance(&host), "300");
}

#[wasm_bindgen_test]
async fn an_exit_after_commit_crashes_the_client_but_keeps_its_commit() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    let line5 = "section.lane[data-client='T1'] li.line[data-line='5']";
    click(&host, &format!("{line5} button.inject-exit-after"));
    leptos::task::tick().await;
    assert_eq!(text(&host, &format!("{line5} .fault")), "exit after");
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T1"), "crashed");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(
        balance(&host),
        "100",
        "T1's COMMIT took effect before it died"
    );
    assert!(text(&host, "ol#trace").contains("EXIT injected after the line"));
}

#[wasm_bindgen_test]
async fn cache_aside_slow_reader_leaves_the_old_price_in_redis() {
    let (host, _keep) = mount("stale-cache", Some("cache-aside"));
    leptos::task::tick().await;
    let step = |c: &str| format!("section.lane[data-client='{c}'] button.step");
    // READER: GET (miss), the branch, SELECT 80000; WRITER: UPDATE 60000, DEL; READER: sleep, SETEX.
    for c in [
        "READER", "READER", "READER", "WRITER", "WRITER", "READER", "READER",
    ] {
        click(&host, &step(c));
        leptos::task::tick().await;
    }
    let phone = "section[data-service='redis'] tr.redis-key[data-key='product:phone-z1']";
    assert_eq!(text(&host, &format!("{phone} td.value")), "80000");
    assert!(text(&host, &format!("{phone} td.ttl")).contains("60 s"));
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(verdict(&host, "slow-reader"), "fail");
    let db_phone =
        "section[data-service='postgres'] tr.db-row[data-key='(phone-z1)'] td[data-column='price']";
    assert_eq!(text(&host, db_phone), "60000");
    assert!(text(&host, "section[data-service='redis'] .redis-stats").contains("misses"));
}

#[wasm_bindgen_test]
async fn an_unknown_lesson_shows_a_message() {
    let (host, _keep) = mount("no-such-lesson", None);
    leptos::task::tick().await;
    let msg = text(&host, "#error");
    assert!(msg.contains("no-such-lesson"), "{msg}");
}

#[wasm_bindgen_test]
async fn an_unknown_variant_falls_back_to_the_first_and_says_so() {
    let (host, _keep) = mount("lost-update", Some("nope"));
    leptos::task::tick().await;
    assert_eq!(attr(&host, "#lesson", "data-variant"), "naive");
    let msg = text(&host, "#error");
    assert!(msg.contains("no variant \"nope\""), "{msg}");
    // The page still works.
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
}

#[wasm_bindgen_test]
async fn the_trace_highlights_what_the_last_step_did() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    // BEGIN, BEGIN, SELECT … FOR UPDATE (T1 locks), the same for T2 (waits), compute, UPDATE,
    // and T1's COMMIT, which also wakes T2: the last step made two events.
    for _ in 0..7 {
        click(&host, "#next-event");
        leptos::task::tick().await;
    }
    let latest = host.query_selector_all("#trace li.latest").unwrap();
    assert_eq!(latest.length(), 2);
    let woken = latest.item(1).unwrap().text_content().unwrap();
    assert!(
        woken.contains("T2") && woken.contains("(lock granted)") && woken.contains("300"),
        "{woken}"
    );
    assert_eq!(lane_status(&host, "T2"), "runnable");
}

// The router is plain Rust, tested here with the rest of the web crate (the web crate is built
// for wasm32 only in the test pipeline).
#[wasm_bindgen_test]
fn parses_routes() {
    use racelab_web::route::{EditAt, Route};
    assert_eq!(Route::parse(""), Route::List);
    assert_eq!(Route::parse("#/"), Route::List);
    assert_eq!(
        Route::parse("#/lesson/lost-update"),
        Route::lesson("lost-update", None)
    );
    assert_eq!(
        Route::parse("#/lesson/lost-update?variant=for-update"),
        Route::lesson("lost-update", Some("for-update"))
    );
    assert_eq!(Route::parse("#/nope"), Route::NotFound("/nope".into()));
    assert_eq!(
        Route::parse("#/lesson/a/b"),
        Route::NotFound("/lesson/a/b".into())
    );
    // A moment: the replay id and the fault plan stay readable in the URL, and round-trip.
    let at = LessonAt {
        slug: "a".into(),
        variant: Some("b".into()),
        run: Some("b~3:0.1.0x.0s60000".into()),
        faults: Some("exit@T1:5,sleep=60000@T 2:3".into()),
        embed: true,
        lang: Some("ru".into()),
    };
    let href = Route::Lesson(at.clone()).href();
    assert_eq!(
        href,
        "#/lesson/a?run=b~3:0.1.0x.0s60000&faults=exit@T1:5,sleep=60000@T%202:3&embed=1&lang=ru"
    );
    // The run names the variant: `variant` is not written beside it.
    let mut back = at.clone();
    back.variant = None;
    assert_eq!(Route::parse(&href), Route::Lesson(back));
    let r = Route::lesson("a", Some("b"));
    assert_eq!(Route::parse(&r.href()), r);
    // Editor routes, and a query that does not decode is kept as written.
    assert_eq!(
        Route::parse("#/edit?lesson=1.abc"),
        Route::Edit(EditAt {
            from: None,
            shared: Some("1.abc".into())
        })
    );
    assert_eq!(
        Route::parse("#/edit/lost-update"),
        Route::Edit(EditAt {
            from: Some("lost-update".into()),
            shared: None
        })
    );
    assert_eq!(
        Route::parse("#/lesson/a?run=%zz"),
        Route::Lesson(LessonAt {
            slug: "a".into(),
            run: Some("%zz".into()),
            ..LessonAt::default()
        })
    );
}

#[wasm_bindgen_test]
async fn the_explorer_lists_every_case_and_a_row_replays_into_the_lanes() {
    // No cached table from an earlier run of this test.
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        s.clear().unwrap();
    }
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    click(&host, "#explore-run");
    leptos::task::tick().await;
    // The test page has no module link to start a worker from: the page explores itself.
    let status = text(&host, "#explore-status");
    assert_eq!(
        attr(&host, "#explore-status", "data-state"),
        "done",
        "{status}"
    );
    assert!(status.contains("explored in the page"), "{status}");
    // The lesson's own case table ([variant.explore]): four fault kinds, 1 ok / 38 bad.
    assert!(status.contains("1 ok / 38 bad"), "{status}");
    let row = "tr.case[data-case='exit before T1:5']";
    assert_eq!(attr(&host, row, "data-verdict"), "bad");
    assert_eq!(
        attr(&host, "tr.case[data-case='no fault']", "data-verdict"),
        "ok"
    );
    click(&host, &format!("{row} button.replay"));
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "T1"), "crashed");
    assert_eq!(lane_status(&host, "T2"), "done");
    assert_eq!(balance(&host), "300");
    // A second run of the same job comes from the cache.
    click(&host, "#explore-run");
    leptos::task::tick().await;
    let status = text(&host, "#explore-status");
    assert!(status.contains("cache"), "{status}");
}

#[wasm_bindgen_test]
async fn a_break_goal_is_won_by_the_schedule_and_hints_come_one_at_a_time() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        s.clear().unwrap();
    }
    let (host, _keep) = mount("lost-update", Some("naive"));
    leptos::task::tick().await;
    let goal = "li.goal[data-kind='break']";
    assert_eq!(attr(&host, goal, "data-won"), "false");
    assert_eq!(host.query_selector_all("li.hint").unwrap().length(), 0);
    click(&host, &format!("{goal} button.hint-next"));
    leptos::task::tick().await;
    assert_eq!(
        host.query_selector_all("li.hint").unwrap().length(),
        1,
        "{}",
        q(&host, goal).outer_html()
    );
    // A serial order keeps both debits: not won.
    for _ in 0..5 {
        click(&host, "section.lane[data-client='T1'] button.step");
        leptos::task::tick().await;
    }
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(attr(&host, goal, "data-won"), "false");
    click(&host, "#reset");
    for client in ["T1", "T1", "T2", "T2"] {
        click(
            &host,
            &format!("section.lane[data-client='{client}'] button.step"),
        );
        leptos::task::tick().await;
    }
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
    assert_eq!(attr(&host, goal, "data-won"), "true");
    assert!(text(&host, goal).contains("won"));
}

#[wasm_bindgen_test]
async fn a_fix_goal_is_won_by_a_case_table_without_a_bad_case() {
    let (host, _keep) = mount("lost-update", Some("for-update"));
    leptos::task::tick().await;
    let goal = "li.goal[data-kind='fix']";
    assert_eq!(attr(&host, goal, "data-won"), "false");
    click(&host, &format!("{goal} button.goal-check"));
    leptos::task::tick().await;
    assert_eq!(attr(&host, goal, "data-won"), "true");
    assert!(
        text(&host, goal).contains("No failing case"),
        "{}",
        text(&host, goal)
    );
}

#[wasm_bindgen_test]
async fn the_operation_log_prints_the_documents_timeline() {
    let (host, _keep) = mount("stale-cache", Some("observable"));
    leptos::task::tick().await;
    // Nothing logged yet: no panel.
    assert!(host.query_selector("#oplog").unwrap().is_none());
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    let log = text(&host, "#oplog");
    let update = log
        .find("DB_UPDATE product_id=laptop-x1 new_price=5000")
        .expect(&log);
    let stale = log
        .find("CACHE_HIT product_id=laptop-x1 price=10000")
        .expect(&log);
    assert!(
        update < stale,
        "the stale hit comes after the update: {log}"
    );
    assert_eq!(
        attr(&host, "#oplog li.op:first-child", "data-client"),
        "ADMIN"
    );
}

#[wasm_bindgen_test]
async fn a_client_group_is_one_lane_that_opens_to_its_members() {
    let (host, _keep) = mount("stampede", Some("naive"));
    leptos::task::tick().await;
    let group = "section.lane.group[data-group='R']";
    assert_eq!(attr(&host, group, "data-summary"), "100 runnable");
    assert!(text(&host, &format!("{group} h2")).contains("R (100 clients)"));
    // Members are hidden until asked for.
    assert!(host
        .query_selector("section.lane[data-client='R1']")
        .unwrap()
        .is_none());
    click(&host, &format!("{group} button.step"));
    leptos::task::tick().await;
    assert_eq!(attr(&host, group, "data-summary"), "100 runnable");
    click(&host, &format!("{group} button.expand"));
    leptos::task::tick().await;
    assert_eq!(lane_status(&host, "R1"), "runnable");
    assert_eq!(
        line_state(&host, "R1", 1),
        "done",
        "the group's Step moved R1"
    );
    assert_eq!(line_state(&host, "R2", 1), "next");
    assert_eq!(
        host.query_selector_all(&format!("{group} section.lane"))
            .unwrap()
            .length(),
        100
    );
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(attr(&host, group, "data-summary"), "100 done");
    assert!(host
        .query_selector(&format!("{group} button.step"))
        .unwrap()
        .unwrap()
        .has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn forward_redoes_what_back_undid() {
    let (host, _keep) = mount("lost-update", Some("naive"));
    leptos::task::tick().await;
    assert!(q(&host, "#forward").has_attribute("disabled"));
    click(&host, "#run-to-end");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
    click(&host, "#back");
    leptos::task::tick().await;
    assert!(!q(&host, "#forward").has_attribute("disabled"));
    click(&host, "#forward");
    leptos::task::tick().await;
    assert_eq!(balance(&host), "300");
    assert!(q(&host, "#forward").has_attribute("disabled"));
    // Reset keeps the run to redo; a step of one's own starts a new history.
    click(&host, "#reset");
    leptos::task::tick().await;
    assert!(!q(&host, "#forward").has_attribute("disabled"));
    click(&host, "section.lane[data-client='T2'] button.step");
    leptos::task::tick().await;
    assert!(q(&host, "#forward").has_attribute("disabled"));
}
