//! PostgreSQL-shaped errors: a SQLSTATE code and the server's own message text.

use std::fmt;

/// The SQLSTATE used when a statement is valid PostgreSQL but outside what the simulator models.
/// (PostgreSQL's own 0A000 is "feature_not_supported"; we reuse it, and the message always says
/// "not supported by the simulator" so nobody mistakes it for a server answer.)
pub const NOT_SUPPORTED: &str = "0A000";

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SqlError {
    /// "ERROR" or "WARNING" (notices carried in a successful result are warnings).
    pub severity: &'static str,
    /// Five-character SQLSTATE, e.g. "23505", "42P01", "25P02", "42601" (syntax error).
    pub code: String,
    /// The message as PostgreSQL words it, e.g. `relation "accounts" does not exist`.
    pub message: String,
    /// 1-based (line, column) inside the statement text, where known (syntax errors).
    pub position: Option<(usize, usize)>,
    /// What few errors carry (boxed: errors travel in every `Result`).
    extra: Option<Box<Extra>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct Extra {
    /// PostgreSQL's DETAIL line (e.g. `Key (id)=(1) already exists.`).
    detail: Option<String>,
    /// Warnings the server sent before the error (e.g. a nested BEGIN's 25001 warning).
    notices: Vec<SqlError>,
    /// PostgreSQL's HINT line.
    hint: Option<String>,
}

impl SqlError {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        SqlError {
            severity: "ERROR",
            code: code.to_string(),
            message: message.into(),
            position: None,
            extra: None,
        }
    }

    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        SqlError {
            severity: "WARNING",
            code: code.to_string(),
            message: message.into(),
            position: None,
            extra: None,
        }
    }

    /// A valid-PostgreSQL construct the simulator does not model.
    pub fn not_supported(what: impl fmt::Display) -> Self {
        SqlError::error(
            NOT_SUPPORTED,
            format!("{what} is not supported by the simulator"),
        )
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.extra.get_or_insert_with(Box::default).detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.extra.get_or_insert_with(Box::default).hint = Some(hint.into());
        self
    }

    /// PostgreSQL's HINT line, where it sends one.
    pub fn hint(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|e| e.hint.as_deref())
    }

    /// The error, with `notices` sent before it.
    pub fn after(mut self, mut notices: Vec<SqlError>) -> Self {
        if notices.is_empty() {
            return self;
        }
        let extra = self.extra.get_or_insert_with(Box::default);
        notices.append(&mut extra.notices);
        extra.notices = notices;
        self
    }

    /// PostgreSQL's DETAIL line, where it sends one.
    pub fn detail(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|e| e.detail.as_deref())
    }

    /// Warnings sent before the error.
    pub fn notices(&self) -> &[SqlError] {
        self.extra.as_ref().map_or(&[], |e| e.notices.as_slice())
    }

    pub fn is_not_supported(&self) -> bool {
        self.code == NOT_SUPPORTED
    }
}

/// An error at ERROR severity: the way the server raises one.
pub(super) fn err(code: &str, message: impl Into<String>) -> SqlError {
    SqlError::error(code, message)
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)
    }
}

impl std::error::Error for SqlError {}
