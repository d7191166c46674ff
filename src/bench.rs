//! The explorer's figures measured in the browser: `window.wasmBindings.racelab_bench()` (the
//! e2e run calls it in headless Chromium and prints the result). The scenarios are those of
//! `racelab bench`; this runs them on the page's thread, as a benchmark, not a test. In the
//! editor's build only (the reader's page has no lesson bytes of its own).

use racelab_engine::explore::{self, Config};
use racelab_engine::fault;
use racelab_engine::model::Model;
use racelab_engine::Lesson;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// (name, compiled lesson, fault kinds), as in crates/racelab-cli/src/bench.rs.
const SCENARIOS: &[(&str, &[u8], &str)] = &[
    (
        "lost-update, every fault kind",
        // build.rs lists lost-update first.
        crate::lessons::BUILTIN[0].bytes,
        "exit,exit-after,error,timeout,sleep=60000",
    ),
    (
        "3 clients x 8 steps, one fault",
        crate::lessons::BENCH,
        "exit,exit-after,error,sleep=60000",
    ),
];

/// One line per scenario and variant: executions, states, mean time, states/s.
#[wasm_bindgen]
pub fn racelab_bench() -> String {
    let mut out = Vec::new();
    for (name, bytes, kinds) in SCENARIOS {
        let lesson = match Lesson::from_bytes(bytes) {
            Ok(l) => Arc::new(l),
            Err(e) => return format!("{name}: {e}"),
        };
        let faults = match fault::parse_kinds(&lesson, kinds) {
            Ok(f) => f,
            Err(e) => return format!("{name}: {e}"),
        };
        let cfg = Config {
            faults,
            ..Config::default()
        };
        for v in 0..lesson.variants.len() {
            let m = Model::new(lesson.clone(), v);
            let (t0, mut runs) = (js_sys::Date::now(), 0u32);
            let report = loop {
                let r = explore::explore(&m, &cfg, None);
                runs += 1;
                if js_sys::Date::now() - t0 >= 300.0 {
                    break r;
                }
            };
            let mean = (js_sys::Date::now() - t0) / f64::from(runs);
            let s = report.stats;
            out.push(format!(
                "{name} | {} | {} executions, {} walked, {} states | {mean:.1} ms (mean of {runs}) | {:.0} states/s",
                lesson.variants[v].name,
                s.executions,
                s.walked,
                s.states,
                s.states as f64 / (mean / 1000.0)
            ));
        }
    }
    out.join("\n")
}
