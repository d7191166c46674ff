//! The scenario file format (`scenarios/*.txt`).
//!
//! ```text
//! # lost update with FOR UPDATE          ← the first comment line is the title
//! setup: CREATE TABLE t (id int PRIMARY KEY, v int)
//! a: BEGIN
//! b: SELECT * FROM t FOR SHARE  !unsupported
//! a: SELECT * FROM t            !known-diff heap order differs after an UPDATE
//! a: !close
//! check: SELECT * FROM t ORDER BY id
//! ```
//!
//! One step per line: `SESSION: SQL`. A session is a name (`[A-Za-z_][A-Za-z0-9_]*`) and is
//! opened on first use; `setup` and `check` are sessions like the others (by convention the
//! first and the last). Blank lines and lines starting with `#` are ignored. Markers at the end
//! of a line: `!unsupported` (the simulator must refuse the statement with 0A000 "… not
//! supported by the simulator"; PostgreSQL's answer is shown, not compared) and
//! `!known-diff REASON` (an accepted difference: reported apart, neither passed nor failed; if
//! both sides agree the marker is stale and the scenario fails). `SESSION: !close` is a client
//! crash: the simulator's `Db::close_session`, and on the server Terminate + a closed socket.
//!
//! `!wait MS` (a line of its own, no session, no marker) lets time pass: PostgreSQL sleeps MS
//! milliseconds of real time, then the blocked sessions that finished meanwhile are collected as
//! after any step; the simulator moves its virtual clock (which starts at 0) MS further
//! (`Db::advance`) and reports the waiting statements that ended. The step's own outcome is
//! `waited` on both sides; what is compared is what it woke. Deadlocks need it: PostgreSQL looks
//! for a wait cycle only after `deadlock_timeout` (1 s), so `!wait 1500` follows the step that
//! closes a cycle.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Sql(String),
    /// The client process dies: its connection drops.
    Close,
    /// `!wait MS`: time passes (the step's session is empty).
    Wait(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    None,
    Unsupported,
    KnownDiff(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line in the file.
    pub line: usize,
    /// Empty for `!wait`.
    pub session: String,
    pub action: Action,
    pub mark: Mark,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.action {
            Action::Sql(sql) => write!(f, "{}: {sql}", self.session),
            Action::Close => write!(f, "{}: !close", self.session),
            Action::Wait(ms) => write!(f, "{WAIT} {ms}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The file name without directory (`lost-update.txt`).
    pub name: String,
    /// The first comment line, without `#`.
    pub title: String,
    pub steps: Vec<Step>,
}

const UNSUPPORTED: &str = "!unsupported";
const KNOWN_DIFF: &str = "!known-diff";
const WAIT: &str = "!wait";

fn valid_session(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The title (the first `#` comment before any other line) and the other non-blank, non-comment
/// lines with their 1-based numbers, trimmed: what both file formats of the oracle read.
pub(crate) fn body_lines(text: &str) -> (String, Vec<(usize, &str)>) {
    let mut title = String::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        match l.strip_prefix('#') {
            _ if l.is_empty() => {}
            Some(c) => {
                if title.is_empty() && lines.is_empty() {
                    title = c.trim().to_string();
                }
            }
            None => lines.push((i + 1, l)),
        }
    }
    (title, lines)
}

/// The milliseconds after `!wait`: one whole number, nothing else.
fn parse_wait(rest: &str) -> Result<u64, String> {
    let ms = rest.trim();
    if ms.is_empty() {
        return Err("`!wait` needs a time in milliseconds (`!wait 1500`)".into());
    }
    if !ms.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`!wait {ms}`: the time is a whole number of milliseconds, and `!wait` takes no marker"
        ));
    }
    ms.parse()
        .map_err(|_| format!("`!wait {ms}`: the time is too large"))
}

/// Parses a scenario; errors are `NAME:LINE: message`.
pub fn parse(name: &str, text: &str) -> Result<Scenario, String> {
    let (title, lines) = body_lines(text);
    let mut steps = Vec::new();
    for (line, l) in lines {
        let fail = |msg: String| format!("{name}:{line}: {msg}");
        if let Some(rest) = l.strip_prefix(WAIT) {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                steps.push(Step {
                    line,
                    session: String::new(),
                    action: Action::Wait(parse_wait(rest).map_err(fail)?),
                    mark: Mark::None,
                });
                continue;
            }
        }
        let Some((session, rest)) = l.split_once(':') else {
            return Err(fail("expected `SESSION: SQL`".into()));
        };
        let session = session.trim();
        if !valid_session(session) {
            return Err(fail(format!("`{session}` is not a session name")));
        }
        let mut body = rest.trim();
        let mut mark = Mark::None;
        let known_diff_at = body
            .rfind(KNOWN_DIFF)
            .filter(|&at| body[..at].is_empty() || body[..at].ends_with(char::is_whitespace));
        if let Some(at) = known_diff_at {
            let reason = body[at + KNOWN_DIFF.len()..].trim();
            if reason.is_empty() {
                return Err(fail("`!known-diff` needs a reason".into()));
            }
            mark = Mark::KnownDiff(reason.to_string());
            body = body[..at].trim_end();
        } else if let Some(b) = body.strip_suffix(UNSUPPORTED) {
            if b.is_empty() || b.ends_with(char::is_whitespace) {
                mark = Mark::Unsupported;
                body = b.trim_end();
            }
        }
        let action = if body == "!close" {
            if mark != Mark::None {
                return Err(fail("`!close` takes no marker".into()));
            }
            Action::Close
        } else if body.is_empty() {
            return Err(fail("a step needs a statement".into()));
        } else if body.starts_with('!') {
            return Err(fail(format!("unknown directive `{body}`")));
        } else {
            Action::Sql(body.to_string())
        };
        steps.push(Step {
            line,
            session: session.to_string(),
            action,
            mark,
        });
    }
    if steps.is_empty() {
        return Err(format!("{name}: no steps"));
    }
    Ok(Scenario {
        name: name.to_string(),
        title,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_markers_and_title() {
        let text = "# the title\n\n# more comment\nsetup: CREATE TABLE t (id int)\n  a: SELECT 1 != 2   !known-diff  order differs \nb: SELECT * FROM t FOR SHARE !unsupported\na: !close\n";
        let s = parse("x.txt", text).unwrap();
        assert_eq!(s.title, "the title");
        assert_eq!(s.steps.len(), 4);
        assert_eq!(s.steps[0].session, "setup");
        assert_eq!(s.steps[0].line, 4);
        assert_eq!(s.steps[1].action, Action::Sql("SELECT 1 != 2".to_string()));
        assert_eq!(s.steps[1].mark, Mark::KnownDiff("order differs".into()));
        assert_eq!(s.steps[2].mark, Mark::Unsupported);
        assert_eq!(
            s.steps[2].action,
            Action::Sql("SELECT * FROM t FOR SHARE".to_string())
        );
        assert_eq!(s.steps[3].action, Action::Close);
        assert_eq!(s.steps[3].to_string(), "a: !close");
    }

    #[test]
    fn parses_wait_steps() {
        let s = parse(
            "x",
            "a: BEGIN\n!wait 1500\n  !wait   20  \nb: SELECT '!wait 5'\n",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 4);
        assert_eq!(s.steps[1].action, Action::Wait(1500));
        assert_eq!(s.steps[1].session, "");
        assert_eq!(s.steps[1].line, 2);
        assert_eq!(s.steps[1].mark, Mark::None);
        assert_eq!(s.steps[1].to_string(), "!wait 1500");
        assert_eq!(s.steps[2].action, Action::Wait(20));
        assert_eq!(s.steps[3].action, Action::Sql("SELECT '!wait 5'".into()));
        // Display and parse round-trip.
        let again = parse("x", &s.steps[1].to_string()).unwrap();
        assert_eq!(again.steps[0].action, Action::Wait(1500));
    }

    #[test]
    fn rejects_bad_waits() {
        assert!(parse("x", "!wait").unwrap_err().contains("needs a time"));
        assert!(parse("x", "!wait 1.5")
            .unwrap_err()
            .contains("whole number"));
        assert!(parse("x", "!wait -3").unwrap_err().contains("whole number"));
        assert!(parse("x", "!wait 10 !known-diff slow")
            .unwrap_err()
            .contains("no marker"));
        assert!(parse("x", "!wait 99999999999999999999999")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(
            parse("x", "!waiting 5").unwrap_err(),
            "x:1: expected `SESSION: SQL`"
        );
        assert!(parse("x", "a: !wait 5")
            .unwrap_err()
            .contains("unknown directive"));
    }

    #[test]
    fn colons_inside_sql_are_fine() {
        let s = parse("x", "a: SELECT 'a:b'::text").unwrap();
        assert_eq!(s.steps[0].action, Action::Sql("SELECT 'a:b'::text".into()));
    }

    #[test]
    fn rejects_bad_lines() {
        assert_eq!(
            parse("x", "SELECT 1").unwrap_err(),
            "x:1: expected `SESSION: SQL`"
        );
        assert!(parse("x", "a b: SELECT 1")
            .unwrap_err()
            .contains("not a session name"));
        assert!(parse("x", "a:   ")
            .unwrap_err()
            .contains("needs a statement"));
        assert!(parse("x", "a: !crash")
            .unwrap_err()
            .contains("unknown directive"));
        assert!(parse("x", "a: SELECT 1 !known-diff")
            .unwrap_err()
            .contains("reason"));
        assert!(parse("x", "# only a comment\n")
            .unwrap_err()
            .contains("no steps"));
    }
}
