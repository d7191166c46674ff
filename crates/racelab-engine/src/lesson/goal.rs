//! `[[goal]]` entries: challenges for the student. "Break it" is won when the student, as the
//! scheduler (and with the faults the goal allows), makes a named assertion fail; "fix it" is
//! won by a variant under which the explorer finds no failing case (every interleaving, and
//! every placement of one fault of the goal's kinds if it names any). `racelab check` proves
//! each goal winnable (`explore::expect::check_goals`).

use super::raw::RawGoal;
use super::source::{LessonError, Location, Source};
use super::Variant;
use crate::property::Property;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GoalKind {
    /// Make assertion `assert` (an index into the lesson's assertions) fail.
    Break { assert: usize },
    /// The variant has no failing case.
    Fix,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Goal {
    pub kind: GoalKind,
    /// The fault kinds in play, at most one per execution (as `racelab explore --faults`
    /// takes them; empty: none, the schedule alone).
    pub faults: String,
    /// The variant the goal is played in (an index into the lesson's variants).
    pub variant: usize,
    /// The challenge, as the student reads it.
    pub says: String,
    /// Hints, shown one at a time.
    pub hints: Vec<String>,
    pub at: Location,
}

impl Goal {
    pub fn is_break(&self) -> bool {
        matches!(self.kind, GoalKind::Break { .. })
    }
}

pub(super) fn goals(
    raw: &[RawGoal],
    src: &Source,
    variants: &[Variant],
    assertions: &[Property],
    errors: &mut Vec<LessonError>,
) -> Vec<Goal> {
    let mut out = Vec::new();
    for g in raw {
        let want = g.variant.get_ref();
        let Some(variant) = variants
            .iter()
            .position(|v| &v.name == want || &v.slug == want)
        else {
            let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
            errors.push(src.err(
                g.variant.span(),
                format!("no variant \"{want}\" (variants: {})", names.join(", ")),
            ));
            continue;
        };
        let kind = match g.kind.get_ref().as_str() {
            "break" => {
                let Some(a) = &g.assert else {
                    errors.push(src.err(
                        g.kind.span(),
                        "a \"break\" goal names the assertion to make fail: assert = \"…\"",
                    ));
                    continue;
                };
                let Some(assert) = assertions.iter().position(|p| &p.id == a.get_ref()) else {
                    errors.push(src.err(
                        a.span(),
                        format!("no assertion with id \"{}\"", a.get_ref()),
                    ));
                    continue;
                };
                GoalKind::Break { assert }
            }
            "fix" => {
                if let Some(x) = &g.assert {
                    errors.push(src.err(
                        x.span(),
                        "a \"fix\" goal is won when its variant has no failing case: it names no assertion",
                    ));
                }
                GoalKind::Fix
            }
            other => {
                errors.push(src.err(
                    g.kind.span(),
                    format!("a goal's kind is \"break\" or \"fix\", not \"{other}\""),
                ));
                continue;
            }
        };
        out.push(Goal {
            kind,
            faults: g
                .faults
                .as_ref()
                .map(|f| f.get_ref().trim().to_string())
                .unwrap_or_default(),
            variant,
            says: g.says.trim().to_string(),
            hints: g.hints.iter().map(|h| h.trim().to_string()).collect(),
            at: src.at(g.kind.span().start),
        });
    }
    out
}
