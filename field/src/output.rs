//! Output and errors of the CLI.
//!
//! With `--json` every command prints one JSON document on stdout: the result, or
//! `{"ok": false, "error": {"code", "message", "errors", "warnings"}}`. Without it, results are
//! short human-readable lines and errors go to stderr. Exit codes: 0 success, 2 usage,
//! 3 invalid input, 4 not found, 5 store unusable (wrong key, newer version, damaged), 1 other.
//! Messages hold machine codes and opaque ids only, never personal data.

use std::io::Write as _;

use abha_core::store::StoreError;
use abha_core::validate::{Issue, ValidationError};
use serde::Serialize;

/// A CLI failure with a machine code.
#[derive(Debug)]
pub struct CliError {
    /// Stable machine code, e.g. `store.wrong_key`.
    pub code: String,
    /// A short English explanation for humans (no personal data).
    pub message: String,
    /// Field errors, for validation failures.
    pub errors: Vec<Issue>,
    /// Field warnings.
    pub warnings: Vec<Issue>,
    /// Process exit code.
    pub exit: u8,
}

impl CliError {
    /// A general error (exit 1).
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_owned(),
            errors: Vec::new(),
            warnings: Vec::new(),
            exit: 1,
        }
    }
    /// With another exit code.
    pub fn exit(mut self, code: u8) -> Self {
        self.exit = code;
        self
    }
    /// A file system error.
    pub fn io(e: std::io::Error) -> Self {
        Self::new("io", &e.kind().to_string())
    }
}

impl From<ValidationError> for CliError {
    fn from(e: ValidationError) -> Self {
        Self {
            code: "validation".into(),
            message: "some fields are invalid".into(),
            errors: e.errors,
            warnings: e.warnings,
            exit: 3,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        let exit = match &e {
            StoreError::Validation(_) => 3,
            StoreError::NotFound { .. } => 4,
            StoreError::WrongKey
            | StoreError::IncompatibleVersion { .. }
            | StoreError::Corrupt { .. }
            | StoreError::CorruptWhileOpen
            | StoreError::BadKey => 5,
            _ => 1,
        };
        match e {
            StoreError::Validation(v) => v.into(),
            other => Self::new(other.code(), &other.to_string()).exit(exit),
        }
    }
}

#[derive(Serialize)]
struct ErrorDoc<'a> {
    ok: bool,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    errors: &'a [Issue],
    warnings: &'a [Issue],
}

/// Prints the error in the chosen format.
pub fn print_error(e: &CliError, json: bool) {
    if json {
        let doc = ErrorDoc {
            ok: false,
            error: ErrorBody {
                code: &e.code,
                message: &e.message,
                errors: &e.errors,
                warnings: &e.warnings,
            },
        };
        let text = serde_json::to_string_pretty(&doc)
            .unwrap_or_else(|_| r#"{"ok":false,"error":{"code":"internal"}}"#.to_owned());
        let _ = writeln!(std::io::stdout(), "{text}");
    } else {
        let mut err = std::io::stderr();
        let _ = writeln!(err, "error: {} ({})", e.message, e.code);
        for i in &e.errors {
            let _ = writeln!(err, "  {}: {}", i.field, i.code);
        }
        for i in &e.warnings {
            let _ = writeln!(err, "  warning {}: {}", i.field, i.code);
        }
    }
}

/// Prints a result: JSON, or the human text.
pub fn emit<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    let text = if json {
        serde_json::to_string_pretty(value)
            .unwrap_or_else(|_| r#"{"ok":false,"error":{"code":"internal"}}"#.to_owned())
    } else {
        human()
    };
    let _ = writeln!(std::io::stdout(), "{text}");
}
