//! Shrinking at the level of ops: delete chunks of ops, then simplify single ops, keeping the
//! failure.
//!
//! The shrinker works on a trace's op lines as text, so it does not care which engine decides
//! whether a candidate still fails: an in-process run, an AddressSanitizer binary or Miri in a
//! child process. A case found by libFuzzer, by AFL or written by hand shrinks the same way.
//! Candidates that no longer parse (a number simplified out of its type's range) are simply
//! rejected by the predicate.
//!
//! 1. Delete chunks: chunk sizes halve from half the ops down to one op; at each size the
//!    chunks are tried from the last to the first (later ops tend to depend on earlier ones).
//!    Then runs of two and three adjacent ops at every offset, not only at multiples of their
//!    size: ops that cancel out (`Swap`, `Swap`) fail only when deleted together.
//! 2. Simplify each remaining op: every number towards zero (0, then halving, then minus one),
//!    every list shorter, `true` to `false`, `Some(..)` to `None`.
//! 3. Repeat both until a round changes nothing, or the budget of predicate calls runs out.

/// How much work a shrink may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The most candidates to try (each costs one run of the predicate).
    pub max_attempts: usize,
    /// When to stop trying candidates, whatever is left of `max_attempts` (a candidate that
    /// runs in a Miri process costs seconds).
    pub deadline: Option<std::time::Instant>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_attempts: 5_000,
            deadline: None,
        }
    }
}

/// The result of a shrink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shrunk {
    /// The smallest failing op lines found.
    pub lines: Vec<String>,
    /// Candidates tried.
    pub attempts: usize,
    /// Whether the budget ran out before the shrink converged.
    pub exhausted: bool,
}

/// Shrinks `lines` (one op per line) while `still_fails` holds. `still_fails` is never called
/// on `lines` itself: the caller knows it fails.
pub fn shrink(
    lines: Vec<String>,
    mut still_fails: impl FnMut(&[String]) -> bool,
    budget: Budget,
) -> Shrunk {
    let mut s = Shrinker {
        best: lines,
        attempts: 0,
        budget,
    };
    loop {
        let before = s.best.clone();
        s.delete_chunks(&mut still_fails);
        s.simplify_ops(&mut still_fails);
        if s.best == before || s.exhausted() {
            break;
        }
    }
    Shrunk {
        exhausted: s.exhausted(),
        attempts: s.attempts,
        lines: s.best,
    }
}

struct Shrinker {
    best: Vec<String>,
    attempts: usize,
    budget: Budget,
}

impl Shrinker {
    fn exhausted(&self) -> bool {
        self.attempts >= self.budget.max_attempts
            || self
                .budget
                .deadline
                .is_some_and(|d| std::time::Instant::now() >= d)
    }

    /// Tries `candidate`; keeps it if it still fails.
    fn try_candidate(
        &mut self,
        candidate: Vec<String>,
        still_fails: &mut impl FnMut(&[String]) -> bool,
    ) -> bool {
        if self.exhausted() {
            return false;
        }
        self.attempts += 1;
        let fails = still_fails(&candidate);
        if fails {
            self.best = candidate;
        }
        fails
    }

    fn delete_chunks(&mut self, still_fails: &mut impl FnMut(&[String]) -> bool) {
        let mut size = self.best.len().div_ceil(2).max(1);
        loop {
            let mut end = self.best.len();
            while end > 0 && !self.exhausted() {
                let start = end.saturating_sub(size);
                let mut candidate = self.best.clone();
                candidate.drain(start..end);
                // Whether or not it was kept, the chunk before this one is next.
                self.try_candidate(candidate, still_fails);
                end = start.min(self.best.len());
            }
            if size == 1 || self.exhausted() {
                break;
            }
            size = size.div_ceil(2);
        }
        for size in [2, 3] {
            let mut end = self.best.len();
            while end >= size && !self.exhausted() {
                let mut candidate = self.best.clone();
                candidate.drain(end - size..end);
                // A kept deletion brings new ops under the same window; a rejected one moves it.
                if self.try_candidate(candidate, still_fails) {
                    end = end.min(self.best.len());
                } else {
                    end -= 1;
                }
            }
        }
    }

    fn simplify_ops(&mut self, still_fails: &mut impl FnMut(&[String]) -> bool) {
        for i in 0..self.best.len() {
            // Each kept simplification opens new ones on the same line.
            while let Some(simpler) = simplifications(&self.best[i]).into_iter().find(|line| {
                let mut candidate = self.best.clone();
                candidate[i] = line.clone();
                self.try_candidate(candidate, still_fails)
            }) {
                debug_assert_eq!(self.best[i], simpler);
            }
            if self.exhausted() {
                return;
            }
        }
    }
}

/// A token of an op line that can be made simpler.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// An unsigned integer literal at `start..end`.
    Number {
        start: usize,
        end: usize,
        value: u128,
    },
    /// An array literal's brackets, `[` at `open` and `]` at `close`.
    List { open: usize, close: usize },
    /// `true` at `start`.
    True { start: usize },
    /// `Some(` at `start`, with its `)` at `close`.
    Some { start: usize, close: usize },
}

/// Simpler versions of one op line, most aggressive first.
pub fn simplifications(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in tokens(line) {
        match token {
            Token::Number { start, end, value } => {
                let mut values = vec![0, value / 2, value.saturating_sub(1)];
                values.dedup();
                for v in values.into_iter().filter(|&v| v < value) {
                    out.push(format!("{}{v}{}", &line[..start], &line[end..]));
                }
            }
            Token::List { open, close } => {
                let items = split_top_level(&line[open + 1..close]);
                if items.is_empty() {
                    continue;
                }
                out.push(format!("{}[]{}", &line[..open], &line[close + 1..]));
                for skip in (0..items.len()).rev() {
                    let rest: Vec<&str> = items
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| i != skip)
                        .map(|(_, s)| s.trim())
                        .collect();
                    if !rest.is_empty() {
                        out.push(format!(
                            "{}[{}]{}",
                            &line[..open],
                            rest.join(", "),
                            &line[close + 1..]
                        ));
                    }
                }
            }
            Token::True { start } => {
                out.push(format!("{}false{}", &line[..start], &line[start + 4..]));
            }
            Token::Some { start, close } => {
                out.push(format!("{}None{}", &line[..start], &line[close + 1..]));
            }
        }
    }
    out.retain(|l| l != line);
    out.dedup();
    out
}

/// The simplifiable tokens of `line`, outside string literals.
fn tokens(line: &str) -> Vec<Token> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let word_before = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        match c {
            b'"' => i = skip_string(bytes, i),
            // Digits after a `.` are a float's fraction: left alone like the float.
            b'0'..=b'9' if !word_before && (i == 0 || bytes[i - 1] != b'.') => {
                let end = (i..bytes.len())
                    .find(|&j| !bytes[j].is_ascii_digit())
                    .unwrap_or(bytes.len());
                let value_text = &line[i..end];
                // A literal with a fraction or exponent is a float: leave it alone.
                let float = matches!(bytes.get(end), Some(b'.' | b'e' | b'E'));
                if let (false, Ok(value)) = (float, value_text.parse::<u128>()) {
                    out.push(Token::Number {
                        start: i,
                        end,
                        value,
                    });
                }
                i = end;
                continue;
            }
            b'[' => {
                if let Some(close) = matching(bytes, i, b'[', b']') {
                    out.push(Token::List { open: i, close });
                }
            }
            b't' if !word_before && line[i..].starts_with("true") && !is_word(bytes.get(i + 4)) => {
                out.push(Token::True { start: i });
            }
            b'S' if !word_before && line[i..].starts_with("Some(") => {
                if let Some(close) = matching(bytes, i + 4, b'(', b')') {
                    out.push(Token::Some { start: i, close });
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn is_word(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The index just past the string literal starting at `start` (a `"`).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index of the bracket closing the one at `open`, skipping strings and nested brackets.
fn matching(bytes: &[u8], open: usize, left: u8, right: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b if b == left => depth += 1,
            b if b == right => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Splits a list's inside at its top-level commas.
fn split_top_level(inner: &str) -> Vec<&str> {
    let bytes = inner.as_bytes();
    let mut items = Vec::new();
    let (mut depth, mut start, mut i) = (0i32, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !inner[start..].trim().is_empty() {
        items.push(&inner[start..]);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn numbers_shrink_towards_zero_outside_strings_and_names() {
        assert_eq!(
            simplifications("Insert(index: 12, value: 3)"),
            [
                "Insert(index: 0, value: 3)",
                "Insert(index: 6, value: 3)",
                "Insert(index: 11, value: 3)",
                "Insert(index: 12, value: 0)",
                "Insert(index: 12, value: 1)",
                "Insert(index: 12, value: 2)",
            ]
        );
        assert_eq!(simplifications("U8(0)"), Vec::<String>::new());
        assert_eq!(simplifications(r#"Name("a1", 1)"#), [r#"Name("a1", 0)"#]);
        assert_eq!(simplifications("F(1.5)"), Vec::<String>::new());
    }

    #[test]
    fn lists_bools_and_options_get_simpler() {
        assert_eq!(
            simplifications("Extend([4, 0])"),
            [
                "Extend([])",
                "Extend([4])",
                "Extend([0])",
                "Extend([0, 0])",
                "Extend([2, 0])",
                "Extend([3, 0])"
            ]
        );
        assert_eq!(simplifications("Flag(true)"), ["Flag(false)"]);
        assert_eq!(simplifications("Get(Some(0))"), ["Get(None)"]);
        assert_eq!(simplifications("T(trueish)"), Vec::<String>::new());
    }

    /// The failure needs a `Push` of a value of at least 10 followed, later, by a `Pop`.
    fn needs_big_push_then_pop(ops: &[String]) -> bool {
        let push = ops.iter().position(|l| {
            l.strip_prefix("Push(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 10)
        });
        push.is_some_and(|p| ops[p..].iter().any(|l| l == "Pop"))
    }

    #[test]
    fn shrinks_to_the_ops_the_failure_needs_with_the_smallest_values() {
        let case = lines("Push(1)\nPop\nPush(77)\nClear\nPush(3)\nPop\nPush(5)\nPop\nClear");
        assert!(needs_big_push_then_pop(&case));
        let shrunk = shrink(case, needs_big_push_then_pop, Budget::default());
        assert_eq!(shrunk.lines, lines("Push(10)\nPop"));
        assert!(!shrunk.exhausted);
    }

    #[test]
    fn deletes_ops_that_cancel_out_wherever_they_stand() {
        // Two `Swap`s in a row change nothing; one alone hides the `Push`.
        let balanced = |ops: &[String]| {
            ops.iter().filter(|l| *l == "Swap").count() % 2 == 0 && needs_big_push_then_pop(ops)
        };
        for case in [
            "Push(10)\nSwap\nSwap\nPop",
            "Clear\nPush(10)\nSwap\nSwap\nSwap\nSwap\nPop",
        ] {
            let shrunk = shrink(lines(case), balanced, Budget::default());
            assert_eq!(shrunk.lines, lines("Push(10)\nPop"), "from {case:?}");
        }
    }

    #[test]
    fn stops_at_the_budget_with_a_failing_case() {
        let case: Vec<String> = (0..200)
            .map(|i| format!("Push({})", i + 10))
            .chain(["Pop".to_owned()])
            .collect();
        let budget = Budget {
            max_attempts: 5,
            deadline: None,
        };
        let shrunk = shrink(case, needs_big_push_then_pop, budget);
        assert!(shrunk.exhausted);
        assert_eq!(shrunk.attempts, 5);
        assert!(needs_big_push_then_pop(&shrunk.lines));
    }

    #[test]
    fn stops_at_the_deadline_with_a_failing_case() {
        let case: Vec<String> = (0..50)
            .map(|i| format!("Push({})", i + 10))
            .chain(["Pop".to_owned()])
            .collect();
        let budget = Budget {
            max_attempts: usize::MAX,
            deadline: Some(std::time::Instant::now()),
        };
        let shrunk = shrink(case.clone(), needs_big_push_then_pop, budget);
        assert!(shrunk.exhausted);
        assert_eq!((shrunk.attempts, shrunk.lines), (0, case));
    }
}
