//! Traces: the readable, diff-friendly text form of a run's steps.
//!
//! ```text
//! # lockstep trace
//! # target: raw_buf
//! Push(7)
//! Insert(index: 0, value: 3)
//! Arm(Clone(after: 1))
//! ExtendFromSlice([1, 2])
//! ```
//!
//! One step per line in RON (serde), an op as itself and a panic the runner arms as an `Arm`
//! line, so a trace reads like Rust, diffs line by line, and survives new op variants being
//! added. Lines starting with `#` are comments; the first line must be the
//! `# lockstep trace` header so a trace is never mistaken for fuzzer bytes.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::step::{ArmLine, Step};

/// The first line of every trace.
pub const HEADER: &str = "# lockstep trace";

const TARGET_PREFIX: &str = "# target: ";

/// Why a trace could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceError {
    /// The text does not start with [`HEADER`].
    MissingHeader,
    /// The trace names another target.
    WrongTarget {
        /// The target it was given to.
        expected: String,
        /// The target the trace names.
        found: String,
    },
    /// A line is not an op of this target.
    BadOp {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
        /// What the parser said.
        message: String,
    },
    /// An op could not be written (a serializer error).
    Write(String),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::MissingHeader => write!(f, "not a lockstep trace (no `{HEADER}` header)"),
            TraceError::WrongTarget { expected, found } => write!(
                f,
                "this trace is for target `{found}`, not `{expected}`: replay it with `{found}`"
            ),
            TraceError::BadOp {
                line,
                text,
                message,
            } => write!(
                f,
                "line {line}: `{}` is not an op of this target: {message} (a trace written \
                 before the op enum changed? edit the line to the current variant, or delete it)",
                excerpt(text)
            ),
            TraceError::Write(message) => {
                write!(f, "cannot write an op as a trace line: {message}")
            }
        }
    }
}

impl std::error::Error for TraceError {}

/// At most this many characters of a line are quoted back in an error.
const EXCERPT: usize = 80;

/// `text`, or its start and its length when it is long: an error quotes a line, it does not
/// echo a 35 KB one back.
pub fn excerpt(text: &str) -> String {
    excerpt_to(text, EXCERPT)
}

/// `text`, or its first `chars` characters and its length.
pub fn excerpt_to(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
    }
}

/// Whether `bytes` look like a trace (they start with the header).
pub fn is_trace(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER.as_bytes())
}

/// One op as a single trace line.
pub fn op_line<Op: Serialize>(op: &Op) -> Result<String, TraceError> {
    let config = ron::ser::PrettyConfig::new()
        .new_line(String::new())
        .indentor(String::new())
        .separate_tuple_members(true)
        .compact_arrays(true);
    let line =
        ron::ser::to_string_pretty(op, config).map_err(|e| TraceError::Write(e.to_string()))?;
    Ok(tidy(&line))
}

/// RON's single-line pretty form still puts a `,` before each closing bracket and no space
/// after separators; make it read like Rust.
fn tidy(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ',' if matches!(chars.peek(), Some(')' | ']' | '}')) => {}
            ',' => {
                out.push_str(", ");
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Writes `ops` as a trace for `target`.
pub fn write<Op: Serialize>(target: &str, ops: &[Op]) -> Result<String, TraceError> {
    write_marked(target, ops, &[])
}

/// The comment line [`write_marked`] puts after an op that an injected panic fired in.
pub const FIRED: &str = "# an injected panic fired in the op above";

/// Writes `ops` as a trace for `target`, with the line [`FIRED`] after each op whose index is in
/// `fired` (in increasing order).
pub fn write_marked<Op: Serialize>(
    target: &str,
    ops: &[Op],
    fired: &[usize],
) -> Result<String, TraceError> {
    let mut text = format!("{HEADER}\n{TARGET_PREFIX}{target}\n");
    let mut fired = fired.iter().peekable();
    for (i, op) in ops.iter().enumerate() {
        text.push_str(&op_line(op)?);
        text.push('\n');
        if fired.next_if_eq(&&i).is_some() {
            text.push_str(FIRED);
            text.push('\n');
        }
    }
    Ok(text)
}

/// Reads a trace for `target`: its steps, each line an op or an `Arm(...)` line (see [`Step`]).
/// A `# target:` line naming another target is an error; a trace without one is accepted.
pub fn parse<Op: DeserializeOwned>(target: &str, text: &str) -> Result<Vec<Step<Op>>, TraceError> {
    if !text.starts_with(HEADER) {
        return Err(TraceError::MissingHeader);
    }
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(found) = line.strip_prefix(TARGET_PREFIX) {
            let found = found.trim();
            if found != target {
                return Err(TraceError::WrongTarget {
                    expected: target.to_owned(),
                    found: found.to_owned(),
                });
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let step = match op_variant(line) {
            "Arm" => ron::from_str(line).map(|ArmLine::Arm(plan)| Step::Arm(plan)),
            _ => ron::from_str(line).map(Step::Op),
        };
        ops.push(step.map_err(|e| TraceError::BadOp {
            line: i + 1,
            text: line.to_owned(),
            message: e.code.to_string(),
        })?);
    }
    Ok(ops)
}

/// The op lines of a trace: every line that is not blank or a comment.
pub fn op_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A trace for `target` made of `lines` (op lines, as [`op_lines`] returns them).
pub fn from_lines(target: &str, lines: &[String]) -> String {
    let mut text = format!("{HEADER}\n{TARGET_PREFIX}{target}\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The variant name of an op as a trace line or `Debug` writes it: `Insert(index: 1, ..)` and
/// `Insert { index: 1, .. }` are both `Insert`.
pub fn op_variant(line: &str) -> &str {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or(line)
}

/// The target a trace names in its `# target:` line, if it has one.
pub fn target_of(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(TARGET_PREFIX))
        .map(str::trim)
}
