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
    /// The path is a directory, a device, a pipe or a socket, not a regular file.
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
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
            CaseError::NotAFile { path, kind } => write!(
                f,
                "{}: is a {kind}, not a case file (cases are regular files: fuzzer bytes or \
                 traces)",
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

impl CaseError {
    /// Whether the file itself is no case (too large, not a regular file, a corrupt
    /// trace), so reading it again cannot go otherwise; a missing or unreadable file may be
    /// there, or readable, next time.
    pub fn is_in_the_file(&self) -> bool {
        matches!(
            self,
            CaseError::TooLarge { .. } | CaseError::NotAFile { .. } | CaseError::NotUtf8 { .. }
        )
    }
}

/// The message already says what the OS said: no `source`, so a chain of causes does not
/// print it twice.
impl std::error::Error for CaseError {}

/// What a file that is not a regular file is, in words.
#[cfg(unix)]
fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "named pipe"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else {
        "special file"
    }
}

/// What a file that is not a regular file is, in words.
#[cfg(not(unix))]
fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// The inputs in a fuzzer's directory, in name order: its files, without the hidden ones, which
/// are the fuzzer's own (libFuzzer's `.state`).
pub fn input_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads a case file, refusing missing, oversized and corrupt files, and anything that is not a
/// regular file. An empty file is the empty input, which a fuzzer runs first: a structure that
/// fails before any op (a fresh one whose state or invariants are wrong) fails on it.
pub fn read(path: &Path) -> Result<Case, CaseError> {
    let path_buf = || path.to_path_buf();
    let meta = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => CaseError::Missing { path: path_buf() },
        _ => CaseError::Unreadable {
            path: path_buf(),
            error,
        },
    })?;
    if !meta.is_file() {
        // A pipe would block the read forever and a device (`/dev/zero`) never end it.
        let kind = kind_of(&meta.file_type());
        return Err(CaseError::NotAFile {
            path: path_buf(),
            kind,
        });
    }
    if meta.len() > MAX_CASE_BYTES {
        return Err(CaseError::TooLarge {
            path: path_buf(),
            len: meta.len(),
        });
    }
    let unreadable = |error| CaseError::Unreadable {
        path: path_buf(),
        error,
    };
    // Read at most one byte past the limit, whatever the size said: the file may grow.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(unreadable)?,
            MAX_CASE_BYTES + 1,
        ),
        &mut bytes,
    )
    .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CASE_BYTES {
        return Err(CaseError::TooLarge {
            path: path_buf(),
            len: bytes.len() as u64,
        });
    }
    Case::from_bytes(bytes).map_err(|e| match e {
        CaseError::NotUtf8 { offset, .. } => CaseError::NotUtf8 {
            path: path_buf(),
            offset,
        },
        other => other,
    })
}

/// FNV-1a (64 bits) of `bytes`, as `fnv1a64:<hex>`: an integrity check, not a security one.
pub fn checksum(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}
