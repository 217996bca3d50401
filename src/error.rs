//! Error types. Input problems are typed so the binary can exit with code 2 for them
//! (bad data or arguments) and 1 for everything else (I/O on output, internal failures).

use thiserror::Error;

/// Something wrong with what the user gave us: a file, a value, an argument.
#[derive(Debug, Error)]
pub enum InputError {
    /// A file that cannot be read or parsed; the message names the place inside it.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// A time argument that is neither epoch milliseconds nor RFC 3339.
    #[error("invalid time {0:?}: expected epoch milliseconds or RFC 3339 (e.g. 2025-12-01T00:00:00Z)")]
    Time(String),
    /// Validation found errors; the report has already been printed line by line.
    #[error("{0}")]
    Invalid(String),
    /// A bad option value or combination.
    #[error("{0}")]
    Usage(String),
}

impl InputError {
    pub fn file(path: impl std::fmt::Display, message: impl std::fmt::Display) -> Self {
        InputError::File { path: path.to_string(), message: message.to_string() }
    }
}

pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;
