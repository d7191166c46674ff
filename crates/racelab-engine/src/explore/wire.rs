//! A case table as the page shows it — every label, count, outcome and replay id already in
//! words — and its text form, which carries a table from the explorer's Web Worker to the page
//! and into the browser's cache. Lines of tab-separated fields, escaped; a version line first,
//! so a cached table from another version is refused, never misread.

use super::{Config, Progress, Report, Stats, Tally};
use crate::fault::{self, Fault};
use crate::lesson::{self, Lesson};
use std::sync::Arc;

/// The first line of every encoded table.
const MAGIC: &str = "racelab-table 1";
/// The first line of every encoded job.
const JOB: &str = "racelab-job 1";

/// An exploration to run: the lesson's text, which variant, which faults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Job {
    pub slug: String,
    pub file: String,
    pub variant: usize,
    /// Fault kinds, as `racelab explore --faults` takes them: `exit,error,sleep=60000`.
    pub faults: String,
    pub max_faults: usize,
    pub text: String,
}

impl Job {
    /// The job as text: six lines, then the lesson's text.
    pub fn encode(&self) -> String {
        format!(
            "{JOB}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.slug.replace('\n', " "),
            self.file.replace('\n', " "),
            self.variant,
            self.faults.replace('\n', " "),
            self.max_faults,
            self.text
        )
    }

    pub fn decode(text: &str) -> Result<Job, String> {
        let parts: Vec<&str> = text.splitn(7, '\n').collect();
        let [JOB, slug, file, variant, faults, max_faults, text] = parts.as_slice() else {
            return Err("not an exploration job of this version of Racelab".into());
        };
        let number = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| format!("`{s}` is not a number"))
        };
        Ok(Job {
            slug: slug.to_string(),
            file: file.to_string(),
            variant: number(variant)?,
            faults: faults.to_string(),
            max_faults: number(max_faults)?,
            text: text.to_string(),
        })
    }

    /// A key that changes whenever the lesson's text or the job does: for caching results
    /// "per lesson version". (FNV-1a over the encoded job: deterministic everywhere.)
    pub fn cache_key(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.encode().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("racelab-table:{}:{h:016x}", self.slug)
    }

    /// Runs the job: parses the lesson, explores, and puts the table into words.
    pub fn run(&self, stop: impl FnMut(&Progress) -> bool) -> Result<TableView, String> {
        let lesson = lesson::parse(&self.slug, &self.file, &self.text)
            .map(Arc::new)
            .map_err(|errors| {
                let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
                format!("the lesson does not check: {first}")
            })?;
        self.run_on(&lesson, stop)
    }

    /// Runs the job on a lesson already at hand (a compiled one: the page has no compiler),
    /// which must be the job's.
    pub fn run_on(
        &self,
        lesson: &Arc<Lesson>,
        mut stop: impl FnMut(&Progress) -> bool,
    ) -> Result<TableView, String> {
        if self.variant >= lesson.variants.len() {
            return Err(format!(
                "the lesson has no variant number {}",
                self.variant + 1
            ));
        }
        let cfg = Config {
            faults: fault::parse_kinds(lesson, &self.faults)?,
            max_faults: self.max_faults,
            ..Config::default()
        };
        let m = super::model_for(lesson, self.variant)?;
        let report = super::explore(&m, &cfg, Some(&mut stop));
        let faults = fault_list(lesson, &cfg.faults, cfg.max_faults);
        let mut table = TableView::of(m.lesson(), &report, faults);
        table.notes = super::table_notes(&m);
        Ok(table)
    }
}

/// A case table in words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableView {
    /// The variant's slug (what replay ids start with).
    pub variant: String,
    /// "exit, error, sleep=60000 (at most 1 per execution)".
    pub faults: String,
    pub rows: Vec<RowView>,
    pub outcomes: Vec<OutcomeView>,
    pub tally: Tally,
    pub stats: Stats,
    /// Why the search stopped early; None when complete.
    pub stopped: Option<String>,
    /// Client groups explored with fewer members, the document's own tally
    /// ([`super::table_notes`]).
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowView {
    /// "no fault", "exit before T1:3".
    pub label: String,
    pub ok: u64,
    pub bad: u64,
    /// Indices into [`TableView::outcomes`].
    pub outcomes: Vec<usize>,
    pub counterexample: Option<String>,
    pub example: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutcomeView {
    pub ok: bool,
    pub signature: String,
}

/// "exit, error (at most 1 per execution)", or "none".
pub fn fault_list(lesson: &Lesson, faults: &[Fault], max_faults: usize) -> String {
    if faults.is_empty() || max_faults == 0 {
        return "none".into();
    }
    let kinds: Vec<String> = faults.iter().map(|f| f.spec(lesson)).collect();
    format!("{} (at most {max_faults} per execution)", kinds.join(", "))
}

impl TableView {
    /// The report in words. Outcomes that read the same (a lesson's observations leave the
    /// raw state out) are listed once.
    pub fn of(lesson: &Lesson, r: &Report, faults: String) -> TableView {
        let mut outcomes: Vec<OutcomeView> = Vec::new();
        let shown: Vec<usize> = r
            .outcomes
            .iter()
            .map(|o| {
                let view = OutcomeView {
                    ok: o.ok(),
                    signature: o.signature(),
                };
                outcomes.iter().position(|v| *v == view).unwrap_or_else(|| {
                    outcomes.push(view);
                    outcomes.len() - 1
                })
            })
            .collect();
        TableView {
            variant: lesson.variants[r.variant].slug.clone(),
            faults,
            rows: r
                .rows
                .iter()
                .map(|row| RowView {
                    label: row.label(lesson),
                    ok: row.ok,
                    bad: row.bad,
                    outcomes: {
                        let mut o: Vec<usize> = row.outcomes.iter().map(|&i| shown[i]).collect();
                        o.sort_unstable();
                        o.dedup();
                        o
                    },
                    counterexample: row.counterexample.clone(),
                    example: row.example.clone(),
                })
                .collect(),
            outcomes,
            tally: r.tally(),
            stats: r.stats,
            stopped: r.stopped.clone(),
            notes: Vec::new(),
        }
    }

    /// The table as text (see the module's comment).
    pub fn encode(&self) -> String {
        let s = &self.stats;
        let t = &self.tally;
        let mut lines = vec![
            MAGIC.to_string(),
            fields(&["variant", &self.variant]),
            fields(&["faults", &self.faults]),
            fields(&["stopped", self.stopped.as_deref().unwrap_or("")]),
            format!(
                "stats\t{}\t{}\t{}\t{}",
                s.executions, s.walked, s.states, s.steps
            ),
            format!("tally\t{}\t{}\t{}", t.ok, t.bad, t.mixed),
        ];
        for n in &self.notes {
            lines.push(fields(&["note", n]));
        }
        for o in &self.outcomes {
            lines.push(fields(&[
                "outcome",
                if o.ok { "ok" } else { "bad" },
                &o.signature,
            ]));
        }
        for r in &self.rows {
            let outs: Vec<String> = r.outcomes.iter().map(usize::to_string).collect();
            lines.push(fields(&[
                "row",
                &r.label,
                &r.ok.to_string(),
                &r.bad.to_string(),
                &outs.join(","),
                r.counterexample.as_deref().unwrap_or(""),
                r.example.as_deref().unwrap_or(""),
            ]));
        }
        lines.join("\n")
    }

    /// Reads a table written by [`TableView::encode`].
    pub fn decode(text: &str) -> Result<TableView, String> {
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return Err("not a case table of this version of Racelab".into());
        }
        let mut t = TableView::default();
        for (i, line) in lines.enumerate() {
            let f: Vec<String> = line.split('\t').map(unescape).collect();
            read_line(&mut t, &f).map_err(|e| format!("case table, line {}: {e}", i + 2))?;
        }
        Ok(t)
    }
}

fn read_line(t: &mut TableView, f: &[String]) -> Result<(), String> {
    let num = |i: usize| -> Result<u64, String> {
        f.get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("field {} of `{}` is not a number", i + 1, f[0]))
    };
    let text = |i: usize| f.get(i).cloned().unwrap_or_default();
    let opt = |i: usize| Some(text(i)).filter(|s| !s.is_empty());
    match f[0].as_str() {
        "variant" => t.variant = text(1),
        "faults" => t.faults = text(1),
        "stopped" => t.stopped = opt(1),
        "note" => t.notes.push(text(1)),
        "stats" => {
            t.stats = Stats {
                executions: num(1)?,
                walked: num(2)?,
                states: num(3)?,
                steps: num(4)?,
            }
        }
        "tally" => {
            t.tally = Tally {
                ok: num(1)? as usize,
                bad: num(2)? as usize,
                mixed: num(3)? as usize,
            }
        }
        "outcome" => t.outcomes.push(OutcomeView {
            ok: text(1) == "ok",
            signature: text(2),
        }),
        "row" => {
            let outcomes = text(4)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().map_err(|_| format!("bad outcome number `{s}`")))
                .collect::<Result<Vec<usize>, String>>()?;
            if outcomes.iter().any(|&o| o >= t.outcomes.len()) {
                return Err("a row names an outcome that is not listed".into());
            }
            t.rows.push(RowView {
                label: text(1),
                ok: num(2)?,
                bad: num(3)?,
                outcomes,
                counterexample: opt(5),
                example: opt(6),
            });
        }
        other => return Err(format!("unknown line kind `{other}`")),
    }
    Ok(())
}

fn fields(parts: &[&str]) -> String {
    let escaped: Vec<String> = parts.iter().map(|p| escape(p)).collect();
    escaped.join("\t")
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_round_trip_through_text_even_with_odd_characters() {
        let t = TableView {
            variant: "for-update".into(),
            faults: "exit, sleep=60000 (at most 1 per execution)".into(),
            rows: vec![
                RowView {
                    label: "no fault".into(),
                    ok: 3,
                    bad: 0,
                    outcomes: vec![0],
                    counterexample: None,
                    example: Some("for-update:0.1".into()),
                },
                RowView {
                    label: "exit before T1:2".into(),
                    ok: 1,
                    bad: 2,
                    outcomes: vec![0, 1],
                    counterexample: Some("for-update:0x".into()),
                    example: None,
                },
            ],
            outcomes: vec![
                OutcomeView {
                    ok: true,
                    signature: "a=pass | T1 done".into(),
                },
                OutcomeView {
                    ok: false,
                    signature: "tab\there, newline\nthere, back\\slash\\t".into(),
                },
            ],
            tally: Tally {
                ok: 1,
                bad: 1,
                mixed: 1,
            },
            notes: vec![
                "group R explored with 3 of its 100 clients".into(),
                "000.txt counts: 5 ok / 2 bad\twith a tab".into(),
            ],
            stats: Stats {
                executions: 10,
                walked: 4,
                states: 20,
                steps: 30,
            },
            stopped: Some("stopped: out of time; results are partial".into()),
        };
        assert_eq!(TableView::decode(&t.encode()), Ok(t));
    }

    #[test]
    fn a_job_round_trips_and_runs_the_lost_update_lesson() {
        let job = Job {
            slug: "lost-update".into(),
            file: "lessons/lost-update.toml".into(),
            variant: 1,
            faults: "exit, sleep=60000".into(),
            max_faults: 1,
            text: include_str!("../../../../lessons/lost-update.toml").into(),
        };
        assert_eq!(Job::decode(&job.encode()), Ok(job.clone()));
        assert!(Job::decode("racelab-job 1\nx").is_err());
        let t = job.run(|_| false).expect("runs");
        assert_eq!(t.variant, "for-update");
        assert_eq!(t.rows[0].label, "no fault");
        assert!(t
            .rows
            .iter()
            .any(|r| r.label == "exit before T1:2" && r.bad > 0));
        assert_eq!(TableView::decode(&t.encode()), Ok(t));
        let other = Job {
            variant: 0,
            ..job.clone()
        };
        assert_ne!(job.cache_key(), other.cache_key());
        let bad = Job {
            faults: "explode".into(),
            ..job
        };
        assert!(bad.run(|_| false).is_err());
    }

    #[test]
    fn foreign_or_damaged_text_is_refused_with_a_reason() {
        assert!(TableView::decode("").is_err());
        assert!(TableView::decode("racelab-table 0\n").is_err());
        let e = TableView::decode("racelab-table 1\nstats\t1\tx\t3\t4").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = TableView::decode("racelab-table 1\nrow\tno fault\t1\t0\t3\t\t").unwrap_err();
        assert!(e.contains("outcome"), "{e}");
        assert!(TableView::decode("racelab-table 1\nwhat\t1").is_err());
    }
}
