//! Locations in a lesson file: byte offsets of the TOML text turned into `file:line:col`, also
//! for positions inside multi-line strings (scripts, setup SQL).

use std::fmt;
use std::ops::Range;

/// A place in a lesson file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A located problem in a lesson file: `file:line:col: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for LessonError {}

/// Turns byte offsets of the lesson text into file:line:col locations.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    pub(crate) fn at(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Location {
            file: self.file.to_string(),
            line,
            col: self.text[line_start..offset].chars().count() + 1,
        }
    }

    pub(crate) fn err(&self, span: Range<usize>, message: impl Into<String>) -> LessonError {
        LessonError {
            at: self.at(span.start),
            message: message.into(),
        }
    }

    /// Where the content of a string value starts (past the quotes and a newline that a
    /// multi-line string trims).
    pub(crate) fn content_start(&self, span: &Range<usize>) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or("");
        let mut start = span.start;
        if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
            start += 3;
            let rest = &self.text[start..];
            if rest.starts_with("\r\n") {
                start += 2;
            } else if rest.starts_with('\n') {
                start += 1;
            }
        } else if raw.starts_with('\'') || raw.starts_with('"') {
            start += 1;
        }
        start
    }

    /// Maps a (1-based line, col) inside a string value to the file.
    pub(crate) fn inside(
        &self,
        span: &Range<usize>,
        line: usize,
        col: usize,
        message: String,
    ) -> LessonError {
        let start = self.at(self.content_start(span));
        let at = if line <= 1 {
            Location {
                col: start.col + col.saturating_sub(1),
                ..start
            }
        } else {
            Location {
                line: start.line + line - 1,
                col,
                ..start
            }
        };
        LessonError { at, message }
    }
}
