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
}

impl SqlError {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        SqlError {
            severity: "ERROR",
            code: code.to_string(),
            message: message.into(),
            position: None,
        }
    }

    pub fn warning(code: &str, message: impl Into<String>) -> Self {
        SqlError {
            severity: "WARNING",
            code: code.to_string(),
            message: message.into(),
            position: None,
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
