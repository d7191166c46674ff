//! `racelab explore`: every interleaving and fault placement of a lesson's variants, printed as
//! a case table (text, Markdown or JSON).

use racelab_engine::explore::sample::{self, SampleConfig, Sampling};
use racelab_engine::explore::{self, count_text, placement_label, wire, Config, Report};
use racelab_engine::fault::{self, Fault};
use racelab_engine::lesson::{Lesson, DEFAULT_EXPLORE_FAULTS};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Markdown,
    Json,
}

struct Opts {
    file: Option<String>,
    variant: Option<String>,
    /// None: the variant's declared case table (`[variant.explore]`), else the default kinds.
    faults: Option<String>,
    max_faults: Option<usize>,
    plain: bool,
    sleep_sets: bool,
    max_executions: Option<u64>,
    max_seconds: u64,
    format: Format,
    /// `--random N` / `--pct N`: sample N executions instead of exploring every one.
    sampling: Option<SampleConfig>,
    depth: usize,
    seed: u64,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        file: None,
        variant: None,
        faults: None,
        max_faults: None,
        plain: false,
        sleep_sets: false,
        max_executions: None,
        max_seconds: 60,
        format: Format::Text,
        sampling: None,
        depth: 3,
        seed: 1,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} needs a number, not `{v}`"))
        };
        match a.as_str() {
            "--variant" => o.variant = Some(value("--variant")?),
            "--faults" => o.faults = Some(value("--faults")?),
            "--max-faults" => {
                o.max_faults = Some(number("--max-faults", value("--max-faults")?)? as usize)
            }
            "--max-executions" => {
                o.max_executions = Some(number("--max-executions", value("--max-executions")?)?)
            }
            "--max-seconds" => o.max_seconds = number("--max-seconds", value("--max-seconds")?)?,
            "--random" | "--pct" => {
                let runs = number(a, value(a)?)?;
                let how = if a == "--pct" {
                    Sampling::Pct { depth: 0 }
                } else {
                    Sampling::Random
                };
                o.sampling = Some(SampleConfig { how, runs, seed: 0 });
            }
            "--depth" => o.depth = number("--depth", value("--depth")?)? as usize,
            "--seed" => o.seed = number("--seed", value("--seed")?)?,
            "--plain" => o.plain = true,
            "--sleep-sets" => o.sleep_sets = true,
            "--json" => o.format = Format::Json,
            "--markdown" => o.format = Format::Markdown,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s if o.file.is_none() => o.file = Some(s.to_string()),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    if let Some(sc) = &mut o.sampling {
        sc.seed = o.seed;
        if let Sampling::Pct { depth } = &mut sc.how {
            *depth = o.depth.max(1);
        }
    }
    Ok(o)
}

/// The fault kinds of `--faults exit,error,sleep=60000` (`none` or empty: no faults).
pub(crate) fn parse_faults(lesson: &Lesson, list: &str) -> Result<Vec<Fault>, String> {
    fault::parse_kinds(lesson, list).map_err(|e| format!("--faults: {e}"))
}

pub fn explore_cmd(args: &[String], usage: &str) -> ExitCode {
    let o = match parse_opts(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("racelab explore: {e}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let Some(file) = o.file.clone() else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let lesson = match crate::load_or_report(&file) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let plans = match plan(&o, &file, &lesson) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("racelab explore: {e}");
            return ExitCode::from(2);
        }
    };
    let mut reports = Vec::new();
    for (v, cfg) in plans {
        let started = Instant::now();
        let limit = Duration::from_secs(o.max_seconds);
        let mut stop = |_: &explore::Progress| started.elapsed() >= limit;
        let m = match explore::model_for(&lesson, v) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("racelab explore: {e}");
                return ExitCode::from(1);
            }
        };
        let r = match &o.sampling {
            Some(sc) => sample::sample(&m, &cfg, sc),
            None => explore::explore(&m, &cfg, Some(&mut stop)),
        };
        let notes = explore::table_notes(&m);
        reports.push(Explored {
            r,
            took: started.elapsed(),
            cfg,
            notes,
            lesson: m.lesson().clone(),
        });
    }
    match o.format {
        Format::Json => println!("{}", json(&lesson, &reports)),
        Format::Text | Format::Markdown => {
            let md = o.format == Format::Markdown;
            let mode = match (&o.sampling, o.plain) {
                (Some(_), _) => "sampled",
                (None, true) => "plain",
                (None, false) => "reduced",
            };
            for e in &reports {
                print_report(
                    &e.lesson,
                    (&file, mode),
                    (&e.cfg, &e.notes),
                    &e.r,
                    e.took,
                    md,
                );
            }
        }
    }
    ExitCode::SUCCESS
}

/// The variants to explore, each with its configuration: the fault kinds and budget of the
/// command line, else those the variant declares (`[variant.explore]`), else the defaults.
fn plan(o: &Opts, file: &str, lesson: &Arc<Lesson>) -> Result<Vec<(usize, Config)>, String> {
    let variants = match &o.variant {
        None => (0..lesson.variants.len()).collect(),
        Some(name) => vec![lesson.variant_index(name).ok_or_else(|| {
            let names: Vec<&str> = lesson.variants.iter().map(|v| v.name.as_str()).collect();
            format!(
                "{file} has no variant \"{name}\" (variants: {})",
                names.join(", ")
            )
        })?],
    };
    variants
        .into_iter()
        .map(|v| {
            let spec = lesson.variants[v].explore.as_ref();
            let kinds = o
                .faults
                .as_deref()
                .or(spec.map(|s| s.faults.as_str()))
                .unwrap_or(DEFAULT_EXPLORE_FAULTS);
            let cfg = Config {
                faults: parse_faults(lesson, kinds)?,
                max_faults: o.max_faults.or(spec.map(|s| s.max_faults)).unwrap_or(1),
                reduce: !o.plain,
                sleep_sets: o.sleep_sets,
                max_executions: o.max_executions,
                ..Config::default()
            };
            Ok((v, cfg))
        })
        .collect()
}

fn fault_list(lesson: &Lesson, cfg: &Config) -> String {
    wire::fault_list(lesson, &cfg.faults, cfg.max_faults)
}

fn print_report(
    l: &Lesson,
    (file, mode): (&str, &str),
    (cfg, notes): (&Config, &[String]),
    r: &Report,
    took: Duration,
    md: bool,
) {
    let s = &r.stats;
    let mut head = vec![
        format!("lesson:   {} ({file})", l.title),
        format!("variant:  {}", l.variants[r.variant].name),
        format!("faults:   {}", fault_list(l, cfg)),
        format!(
            "explored: {} executions ({} walked), {} states, {} steps, {mode}, {:.2} s",
            count_text(s.executions),
            s.walked,
            s.states,
            s.steps,
            took.as_secs_f64()
        ),
        r.stopped.clone().unwrap_or_else(|| "complete".into()),
    ];
    head.extend(notes.iter().cloned());
    if md {
        println!("### {}\n", l.variants[r.variant].name);
        for h in &head {
            println!("- {h}");
        }
        println!(
            "\n| case | ok | bad | outcomes | counterexample |\n| --- | --- | --- | --- | --- |"
        );
    } else {
        println!("{}\n", head.join("\n"));
    }
    for row in &r.rows {
        let outs: Vec<String> = row.outcomes.iter().map(|o| format!("#{o}")).collect();
        let cx = row.counterexample.as_deref().unwrap_or("-");
        let label = row.label(l);
        if md {
            println!(
                "| {label} | {} | {} | {} | `{cx}` |",
                count_text(row.ok),
                count_text(row.bad),
                outs.join(" ")
            );
        } else {
            let verdict = match (row.ok, row.bad) {
                (_, 0) => "ok",
                (0, _) => "BAD",
                _ => "MIXED",
            };
            println!(
                "  {verdict:<5} {label:<34} {:>6} ok {:>6} bad  {:<12} {cx}",
                count_text(row.ok),
                count_text(row.bad),
                outs.join(" ")
            );
        }
    }
    let t = r.tally();
    let mixed = if t.mixed > 0 {
        format!(
            " ({} ok under some interleavings and bad under others)",
            t.mixed
        )
    } else {
        String::new()
    };
    println!("\ntally: {} ok / {} bad{mixed}\n", t.ok, t.bad);
    println!("outcomes:{}", if md { "\n" } else { "" });
    for (i, o) in r.outcomes.iter().enumerate() {
        let tag = if o.ok() { "ok " } else { "bad" };
        let bullet = if md { "- " } else { "  " };
        println!("{bullet}#{i} {tag} {}", o.signature());
    }
    println!();
}

fn esc(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map_or("null".into(), esc)
}

/// One variant's exploration: its report, on the lesson as explored (client groups cut).
struct Explored {
    r: Report,
    took: Duration,
    cfg: Config,
    notes: Vec<String>,
    lesson: Arc<Lesson>,
}

fn json(title: &Lesson, reports: &[Explored]) -> String {
    let variants: Vec<String> = reports
        .iter()
        .map(|Explored { r, cfg, notes, lesson: l, .. }| {
            let rows: Vec<String> = r.rows.iter().map(|row| {
                let places: Vec<String> = row.placements.iter().map(|p| esc(&placement_label(l, p))).collect();
                let outs: Vec<String> = row.outcomes.iter().map(|o| o.to_string()).collect();
                format!(
                    "{{\"case\":{},\"faults\":[{}],\"ok\":{},\"bad\":{},\"outcomes\":[{}],\"counterexample\":{},\"example\":{}}}",
                    esc(&row.label(l)), places.join(","), row.ok, row.bad, outs.join(","),
                    opt(&row.counterexample), opt(&row.example)
                )
            }).collect();
            let outcomes: Vec<String> = r.outcomes.iter().map(|o| {
                let v: Vec<String> = o.verdicts.iter().map(|(id, v)| format!("{}:{}", esc(id), esc(v))).collect();
                let c: Vec<String> = o.clients.iter().map(|c| esc(c)).collect();
                let s: Vec<String> = o.state.iter().map(|c| esc(c)).collect();
                format!("{{\"ok\":{},\"verdicts\":{{{}}},\"clients\":[{}],\"state\":[{}]}}", o.ok(), v.join(","), c.join(","), s.join(","))
            }).collect();
            let t = r.tally();
            let s = &r.stats;
            let notes: Vec<String> = notes.iter().map(|n| esc(n)).collect();
            format!(
                "{{\"variant\":{},\"notes\":[{}],\"faults\":{},\"reduced\":{},\"executions\":{},\"walked\":{},\"states\":{},\"steps\":{},\"stopped\":{},\"tally\":{{\"ok\":{},\"bad\":{},\"mixed\":{}}},\"rows\":[{}],\"outcomes\":[{}]}}",
                esc(&l.variants[r.variant].slug), notes.join(","), esc(&fault_list(l, cfg)), cfg.reduce,
                s.executions, s.walked, s.states, s.steps, opt(&r.stopped),
                t.ok, t.bad, t.mixed, rows.join(","), outcomes.join(",")
            )
        })
        .collect();
    format!(
        "{{\"lesson\":{},\"variants\":[{}]}}",
        esc(&title.title),
        variants.join(",")
    )
}
