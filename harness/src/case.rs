//! Case files: fuzzer bytes or traces, read with every failure turned into a clear error.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::trace;

/// The largest case file accepted. libFuzzer's inputs are far smaller (its default `-max_len`
/// is 4 KiB); anything bigger is not a case.
pub const MAX_CASE_BYTES: u64 = 1 << 20;

/// One case: what a fuzzer wrote, or a trace a person or the shrinker wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Case {
    /// Fuzzer bytes, decoded by `arbitrary`.
    Bytes(Vec<u8>),
    /// A trace (text starting with [`trace::HEADER`]).
    Trace(String),
}

impl Case {
    /// Tells bytes from a trace by the trace header.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Case, CaseError> {
        if !trace::is_trace(&bytes) {
            return Ok(Case::Bytes(bytes));
        }
        String::from_utf8(bytes)
            .map(Case::Trace)
            .map_err(|e| CaseError::NotUtf8 {
                path: PathBuf::new(),
                offset: e.utf8_error().valid_up_to(),
            })
    }
}

/// Why a case file could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum CaseError {
    /// There is no such file.
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The file could not be read.
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is empty.
    Empty {
        /// The path given.
        path: PathBuf,
    },
    /// The file is larger than [`MAX_CASE_BYTES`].
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// Its size.
        len: u64,
    },
    /// The file has a trace header but is not UTF-8.
    NotUtf8 {
        /// The path given.
        path: PathBuf,
        /// Where the first invalid byte is.
        offset: usize,
    },
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseError::Missing { path } => write!(f, "{}: no such case file", path.display()),
            CaseError::Unreadable { path, error } => {
                write!(f, "{}: cannot read: {error}", path.display())?;
                if cfg!(miri) {
                    write!(
                        f,
                        " (under Miri, reading files needs -Zmiri-disable-isolation)"
                    )?;
                }
                Ok(())
            }
            CaseError::Empty { path } => write!(
                f,
                "{}: the case file is empty (truncated? take it again from the fuzzer's artifacts \
                 or the corpus)",
                path.display()
            ),
            CaseError::TooLarge { path, len } => write!(
                f,
                "{}: {len} bytes is not a case (at most {MAX_CASE_BYTES} bytes): wrong file?",
                path.display()
            ),
            CaseError::NotUtf8 { path, offset } => write!(
                f,
                "{}: has a trace header but byte {offset} is not UTF-8: the trace is corrupt",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaseError::Unreadable { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Reads a case file, refusing missing, empty, oversized and corrupt files.
pub fn read(path: &Path) -> Result<Case, CaseError> {
    let path_buf = || path.to_path_buf();
    let meta = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => CaseError::Missing { path: path_buf() },
        _ => CaseError::Unreadable {
            path: path_buf(),
            error,
        },
    })?;
    if meta.len() > MAX_CASE_BYTES {
        return Err(CaseError::TooLarge {
            path: path_buf(),
            len: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(|error| CaseError::Unreadable {
        path: path_buf(),
        error,
    })?;
    if bytes.is_empty() {
        return Err(CaseError::Empty { path: path_buf() });
    }
    Case::from_bytes(bytes).map_err(|e| match e {
        CaseError::NotUtf8 { offset, .. } => CaseError::NotUtf8 {
            path: path_buf(),
            offset,
        },
        other => other,
    })
}
