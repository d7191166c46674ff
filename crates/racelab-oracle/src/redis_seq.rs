//! The Redis sequence file format (`redis/*.txt`).
//!
//! ```text
//! # a watched key changed by another connection     ← the first comment line is the title
//! c1: SET bal 500
//! c1: WATCH bal
//! c2: SET bal 400
//! c1: MULTI
//! c1: SET bal "a value with spaces"
//! c1: EXEC
//! sleep 150
//! c1: PTTL lock              !drift 40
//! c3: !read
//! c1: SET k v PXAT {ms+250}
//! ```
//!
//! One step per line; blank lines and lines starting with `#` are ignored.
//!
//! - `CONN: WORD…` sends a command on a connection. A connection is a name
//!   (`[a-z][a-z0-9_]*`, by convention `c1`, `c2`, …), opened on first use. Words are split on
//!   spaces; `"…"` is one word that may hold spaces (`\"` and `\\` inside), `'…'` one word taken
//!   literally (handy for Lua: `'if redis.call("get",KEYS[1]) …'`); `""` is the empty word.
//! - `CONN: !read` reads the next message pushed to the connection (pub/sub): in the simulator
//!   the oldest unread entry of `Store::take_inbox`, on the server the next reply off the socket
//!   within 300 ms. Nothing pending is the outcome "(no message)" on either side.
//! - `sleep N` (1 ≤ N ≤ 300): the simulator's virtual clock advances N ms, the real run sleeps
//!   N ms. Real time also passes while commands travel, so a step that must still see a key
//!   needs a margin (≥ 50 ms) before its expiry, and one that must not see it a margin after.
//! - `{ms+N}`, `{ms-N}`, `{s+N}`, `{s-N}` as a whole word: an absolute Unix time (for EXAT,
//!   PXAT) N ms or s after/before the sequence started. The server gets the real clock at the
//!   start; the simulator, whose clock starts at [`crate::redis_run::VIRTUAL_ORIGIN`] ms, gets
//!   that. `{s±N}` is rounded down to a whole second on the server, so it can be up to 999 ms
//!   earlier there: use it only far from any step that reads the key.
//! - `!drift N` at the end of a command line: the only tolerance there is. Both replies must be
//!   integers, and the server's may be lower than the simulator's by at most N (a PTTL or TTL
//!   read after real time passed: the server's clock runs on while the simulator's waits).
//!   Every other reply is compared exactly.
//!
//! Every sequence starts from an empty server (FLUSHALL, no subscriber left) and a fresh
//! `Store`, with fresh connections.

use std::fmt;

/// A word as written: literal text or an absolute time relative to the sequence's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Word {
    Lit(String),
    /// `{ms±N}` (seconds false) or `{s±N}` (seconds true); `offset` is signed.
    Time {
        seconds: bool,
        offset: i64,
    },
}

impl Word {
    /// The word's text for a side whose clock read `origin_ms` (Unix ms, or virtual ms) at the
    /// sequence's start.
    pub fn resolve(&self, origin_ms: u64) -> String {
        match self {
            Word::Lit(s) => s.clone(),
            Word::Time {
                seconds: false,
                offset,
            } => (origin_ms as i64 + offset).to_string(),
            Word::Time {
                seconds: true,
                offset,
            } => ((origin_ms / 1000) as i64 + offset).to_string(),
        }
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Word::Lit(s) if s.is_empty() || s.contains(char::is_whitespace) => write!(f, "{s:?}"),
            Word::Lit(s) => write!(f, "{s}"),
            Word::Time { seconds, offset } => {
                write!(f, "{{{}{offset:+}}}", if *seconds { "s" } else { "ms" })
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Command {
        words: Vec<Word>,
        /// `!drift N`.
        drift: Option<i64>,
    },
    /// `!read`: the next pushed message.
    Read,
    /// `sleep N` (no connection).
    Sleep(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line in the file.
    pub line: usize,
    /// Empty for `sleep`.
    pub conn: String,
    pub action: Action,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.action {
            Action::Sleep(ms) => write!(f, "sleep {ms}"),
            Action::Read => write!(f, "{}: !read", self.conn),
            Action::Command { words, drift } => {
                let ws: Vec<String> = words.iter().map(Word::to_string).collect();
                write!(f, "{}: {}", self.conn, ws.join(" "))?;
                if let Some(n) = drift {
                    write!(f, "  !drift {n}")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    /// The file name without directory.
    pub name: String,
    /// The first comment line, without `#`.
    pub title: String,
    pub steps: Vec<Step>,
}

impl Sequence {
    /// The connections in order of first use.
    pub fn conns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.steps {
            if !s.conn.is_empty() && !out.contains(&s.conn) {
                out.push(s.conn.clone());
            }
        }
        out
    }
}

/// The longest `sleep` allowed (real waits stay short).
pub const MAX_SLEEP_MS: u64 = 300;

fn valid_conn(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name != "sleep"
}

/// Splits a command line into words: `(text, quoted)`.
pub fn split_words(text: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Ok(out);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == first {
                    closed = true;
                    break;
                }
                if c == '\\' && first == '"' {
                    match chars.next() {
                        Some(e @ ('"' | '\\')) => word.push(e),
                        other => {
                            return Err(format!(
                                "`\\{}` inside \"…\": only \\\" and \\\\ are escapes",
                                other.map(String::from).unwrap_or_default()
                            ))
                        }
                    }
                } else {
                    word.push(c);
                }
            }
            if !closed {
                return Err(format!("unclosed {first}"));
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return Err(format!(
                    "a quoted word must end at a space: {first}{word}{first}…"
                ));
            }
            out.push((word, true));
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push((word, false));
        }
    }
}

fn parse_time(word: &str) -> Option<Result<Word, String>> {
    let inner = word.strip_prefix('{')?.strip_suffix('}')?;
    let (seconds, rest) = if let Some(r) = inner.strip_prefix("ms") {
        (false, r)
    } else if let Some(r) = inner.strip_prefix('s') {
        (true, r)
    } else {
        return Some(Err(format!("unknown placeholder {word} (ms±N or s±N)")));
    };
    let offset = match rest.split_at_checked(1) {
        Some(("+", n)) => n.parse::<i64>().ok(),
        Some(("-", n)) => n.parse::<i64>().ok().map(|n| -n),
        _ => None,
    };
    Some(offset.map_or_else(
        || Err(format!("bad placeholder {word} (ms±N or s±N)")),
        |offset| Ok(Word::Time { seconds, offset }),
    ))
}

/// Parses a sequence; errors are `NAME:LINE: message`.
pub fn parse(name: &str, text: &str) -> Result<Sequence, String> {
    let (title, lines) = crate::scenario::body_lines(text);
    let mut steps = Vec::new();
    for (line, l) in lines {
        let fail = |msg: String| format!("{name}:{line}: {msg}");
        if let Some(ms) = l.strip_prefix("sleep ") {
            let ms: u64 = ms
                .trim()
                .parse()
                .map_err(|_| fail(format!("`sleep N`: bad N {ms:?}")))?;
            if !(1..=MAX_SLEEP_MS).contains(&ms) {
                return Err(fail(format!("`sleep N` takes 1 ≤ N ≤ {MAX_SLEEP_MS}")));
            }
            steps.push(Step {
                line,
                conn: String::new(),
                action: Action::Sleep(ms),
            });
            continue;
        }
        let Some((conn, rest)) = l.split_once(':') else {
            return Err(fail(
                "expected `CONN: COMMAND`, `CONN: !read` or `sleep N`".into(),
            ));
        };
        let conn = conn.trim();
        if !valid_conn(conn) {
            return Err(fail(format!("`{conn}` is not a connection name")));
        }
        let mut words = split_words(rest).map_err(fail)?;
        let mut drift = None;
        if words.len() >= 2 && words[words.len() - 2] == ("!drift".to_string(), false) {
            let (n, _) = words.pop().unwrap_or_default();
            words.pop();
            drift = Some(
                n.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| fail(format!("`!drift N`: bad N {n:?}")))?,
            );
        }
        let action = match words.first() {
            None => return Err(fail("a step needs a command".into())),
            Some((w, false)) if w == "!read" => {
                if words.len() > 1 || drift.is_some() {
                    return Err(fail("`!read` takes nothing else".into()));
                }
                Action::Read
            }
            Some((w, false)) if w.starts_with('!') => {
                return Err(fail(format!("unknown directive `{w}`")))
            }
            Some(_) => {
                let mut out = Vec::new();
                for (w, quoted) in words {
                    if !quoted && w.starts_with('!') {
                        return Err(fail(format!("unknown marker `{w}` (quote it to send it)")));
                    }
                    match parse_time(&w).filter(|_| !quoted) {
                        Some(t) => out.push(t.map_err(fail)?),
                        None => out.push(Word::Lit(w)),
                    }
                }
                Action::Command { words: out, drift }
            }
        };
        steps.push(Step {
            line,
            conn: conn.to_string(),
            action,
        });
    }
    if steps.is_empty() {
        return Err(format!("{name}: no steps"));
    }
    Ok(Sequence {
        name: name.to_string(),
        title,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Word {
        Word::Lit(s.into())
    }

    #[test]
    fn parses_commands_reads_sleeps_and_markers() {
        let text = "# the title\n\n# more\nc1: SET k \"a b\" PX 100\nsleep 150\n c2: PTTL k   !drift 30\nc2: !read\nc1: SET k v PXAT {ms+250}\n";
        let s = parse("x.txt", text).unwrap();
        assert_eq!(s.title, "the title");
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.steps[0].line, 4);
        assert_eq!(
            s.steps[0].action,
            Action::Command {
                words: vec![lit("SET"), lit("k"), lit("a b"), lit("PX"), lit("100")],
                drift: None
            }
        );
        assert_eq!(s.steps[1].action, Action::Sleep(150));
        assert_eq!(
            s.steps[2].action,
            Action::Command {
                words: vec![lit("PTTL"), lit("k")],
                drift: Some(30)
            }
        );
        assert_eq!(s.steps[3].action, Action::Read);
        assert_eq!(s.steps[3].to_string(), "c2: !read");
        let Action::Command { words, .. } = &s.steps[4].action else {
            panic!()
        };
        assert_eq!(
            words[4],
            Word::Time {
                seconds: false,
                offset: 250
            }
        );
        assert_eq!(s.steps[4].to_string(), "c1: SET k v PXAT {ms+250}");
        assert_eq!(s.conns(), vec!["c1", "c2"]);
    }

    #[test]
    fn quoting() {
        assert_eq!(
            split_words(r#"EVAL 'return redis.call("get",KEYS[1])' 1 "" "say \"hi\" \\ ok""#)
                .unwrap(),
            vec![
                ("EVAL".into(), false),
                (r#"return redis.call("get",KEYS[1])"#.into(), true),
                ("1".into(), false),
                (String::new(), true),
                (r#"say "hi" \ ok"#.into(), true),
            ]
        );
        assert!(split_words("\"open").unwrap_err().contains("unclosed"));
        assert!(split_words("\"a\"b").is_err());
        assert!(split_words(r#""\n""#).is_err());
        // A quoted marker or placeholder is just a word.
        let s = parse("x", "c1: SET k \"!drift\" '{ms+5}'").unwrap();
        assert_eq!(
            s.steps[0].action,
            Action::Command {
                words: vec![lit("SET"), lit("k"), lit("!drift"), lit("{ms+5}")],
                drift: None
            }
        );
    }

    #[test]
    fn placeholders_resolve_against_each_sides_clock() {
        let w = |s: &str| parse_time(s).unwrap().unwrap();
        assert_eq!(w("{ms+250}").resolve(1_000_000), "1000250");
        assert_eq!(w("{ms-5}").resolve(1_000_000), "999995");
        assert_eq!(w("{s+100}").resolve(1_700_000_000_999), "1700000100");
        assert_eq!(w("{s-1}").resolve(5_000), "4");
        assert!(parse_time("{x+1}").unwrap().is_err());
        assert!(parse_time("{ms*1}").unwrap().is_err());
        assert!(parse_time("{ms+}").unwrap().is_err());
        assert!(parse_time("plain").is_none());
    }

    #[test]
    fn rejects_bad_lines() {
        let err = |t: &str| parse("x", t).unwrap_err();
        assert!(err("GET k").contains("expected `CONN: COMMAND`"));
        assert!(err("C1: GET k").contains("not a connection name"));
        assert!(err("c1:   ").contains("needs a command"));
        assert!(err("c1: !crash").contains("unknown directive"));
        assert!(err("c1: !read x").contains("takes nothing else"));
        assert!(err("c1: PTTL k !drift x").contains("bad N"));
        assert!(err("c1: PTTL k !drfit 3").contains("unknown marker"));
        assert!(err("sleep 301").contains("1 ≤ N ≤ 300"));
        assert!(err("sleep 0").contains("1 ≤ N ≤ 300"));
        assert!(err("sleep x").contains("bad N"));
        assert!(err("# only a comment\n").contains("no steps"));
    }
}
