//! Replaying fuzzer inputs under Miri, many per process, the inputs that bring op pairs not yet
//! replayed first: what `lockstep sweep` does over a minimised corpus and what a campaign does
//! beside libFuzzer over the new corpus entries.
//!
//! Under Miri every instruction is interpreted, so each replay runs the subject alone
//! (`replay --subject-only`): the model and the comparisons already ran natively, and only the
//! subject's undefined behaviour is what Miri is there to see.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::builds::Builds;
use crate::engines::{self, Engine, Finding, Verdict};
use crate::process;
use crate::project::Project;

/// What replaying a list of inputs under one Miri engine did.
#[derive(Debug, Default)]
pub struct Batch {
    /// Inputs that ran to the end and passed.
    pub passed: usize,
    /// Inputs Miri (or the harness) failed, with the failure.
    pub failed: Vec<(PathBuf, Finding)>,
    /// Whether the deadline stopped it.
    pub timed_out: bool,
    /// When the first failure was seen.
    pub first_failure: Option<Instant>,
    /// Inputs the replay refused (not a case of this target: a mutated trace, say), with why.
    pub skipped: Vec<(PathBuf, String)>,
}

impl Batch {
    fn fail(&mut self, input: &Path, finding: Finding) {
        self.failed.push((input.to_path_buf(), finding));
        self.first_failure.get_or_insert_with(Instant::now);
    }

    /// Inputs replayed to the end (passed or failed).
    pub fn replayed(&self) -> usize {
        self.passed + self.failed.len()
    }
}

/// Replays `inputs` of `target` under the Miri `engine`, subject only, until `deadline`: one
/// process runs input after input until Miri stops on undefined behaviour, which names the
/// input it was on; the next process starts after it.
pub fn replay(
    project: &Project,
    builds: &Builds<'_>,
    engine: Engine,
    target: &str,
    inputs: &[PathBuf],
    seeded: Option<&str>,
    deadline: Instant,
) -> Result<Batch> {
    let mut replay = builds.miri()?.clone();
    if let Some(id) = seeded {
        replay.env.push(("LOCKSTEP_SEEDED_BUG".into(), id.into()));
    }
    let model = engine.model().context("a Miri engine")?;
    let limits = engines::Limits::default();
    let mut batch = Batch::default();
    let mut next = 0;
    while next < inputs.len() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            batch.timed_out = true;
            return Ok(batch);
        }
        let mut args: Vec<OsString> =
            vec!["--records".into(), "--subject-only".into(), target.into()];
        args.extend(inputs[next..].iter().map(|p| p.clone().into_os_string()));
        let mut cmd = replay.command(model, &args).map_err(anyhow::Error::msg)?;
        let done = process::run(&mut cmd, remaining)?;
        // One report per input that ran to the end, in order.
        let reports: Vec<lockstep::Report> = done
            .stdout
            .lines()
            .filter_map(lockstep::driver::from_record)
            .collect();
        for (i, report) in reports.iter().enumerate() {
            if report.passed() {
                batch.passed += 1;
            } else {
                batch.fail(&inputs[next + i], engines::harness_finding(project, report));
            }
        }
        next += reports.len();
        if done.timed_out() {
            batch.timed_out = true;
            return Ok(batch);
        }
        match engines::judge(project, engine, &done, limits) {
            Verdict::Fail(f)
                if next < inputs.len()
                    && !reports
                        .iter()
                        .any(|r| r.signature().as_deref() == Some(&f.signature())) =>
            {
                // Miri stopped on the input after the last report.
                batch.fail(&inputs[next], f);
                next += 1;
            }
            Verdict::Error { message } if next < inputs.len() => {
                // One input the replay refuses must not stop the rest.
                batch.skipped.push((inputs[next].clone(), message));
                next += 1;
            }
            _ => {}
        }
    }
    Ok(batch)
}

/// An input with the shapes of the ops it decodes to.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The input file.
    pub path: PathBuf,
    /// Its ops' shapes, in order (see [`shape`]).
    pub variants: Vec<String>,
    /// Whether it goes before the others: a committed seed, which the user chose.
    pub first: bool,
}

/// An op's shape: its trace line without the numbers, so `Edit(kind: Shared, list: 197, start:
/// At(1), steps: [Remove(keep: false)])` and `Edit(kind: Shared, list: 3, start: At(0), steps:
/// [Remove(keep: false)])` are one shape, while an `Edit` that splits, or one on a boxed list, is
/// another. Op variants alone are too coarse: a spec with a few variants whose fields choose
/// what they do (the list's `Edit` runs a cursor program) saturates them in seconds, and Miri
/// would then replay whatever is shortest.
pub fn shape(line: &str) -> String {
    line.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// What ends the shape of an op that an injected panic fired in.
const PANICKED: &str = " (injected panic)";

/// The shapes of a trace's ops, an op that an injected panic fired in marked as such: an input
/// that arms a panic which never fires does nothing the same input without the arm does not,
/// while one whose panic fires in an op is the input a panic-safety bug needs.
pub fn shapes(trace: &str) -> Vec<String> {
    let mut shapes: Vec<String> = Vec::new();
    for line in trace.lines().map(str::trim) {
        if line == lockstep::trace::FIRED {
            if let Some(last) = shapes.last_mut() {
                last.push_str(PANICKED);
            }
        } else if !line.is_empty() && !line.starts_with('#') {
            shapes.push(shape(line));
        }
    }
    shapes
}

/// Decodes `inputs` into op shapes with the native replay binary, in one process when every
/// input is a case of `target` and runs to its end; an input that is not a case (a fuzzer's
/// mutation of a trace that is no longer one, say) is left out, and one that crashes the
/// replay natively is decoded without running it.
pub fn decode(builds: &Builds<'_>, target: &str, inputs: &[PathBuf]) -> Result<Vec<Decoded>> {
    match decode_all(builds, target, inputs, true) {
        Ok(decoded) => Ok(decoded),
        Err(_) => Ok(inputs
            .iter()
            .filter_map(|i| {
                let one = std::slice::from_ref(i);
                decode_all(builds, target, one, true)
                    .or_else(|_| decode_all(builds, target, one, false))
                    .ok()
            })
            .flatten()
            .collect()),
    }
}

fn decode_all(
    builds: &Builds<'_>,
    target: &str,
    inputs: &[PathBuf],
    fired: bool,
) -> Result<Vec<Decoded>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let mut cmd = Command::new(builds.native_replay()?);
    cmd.arg("trace")
        .args(fired.then_some("--fired"))
        .arg(target)
        .args(inputs)
        .env_remove("LOCKSTEP_SEEDED_BUG");
    // With `--fired` each input runs (natively, on the subject alone): a subject that hangs on
    // one must not hold up the campaign's Miri.
    let limit = Duration::from_secs(5) + Duration::from_millis(50) * inputs.len() as u32;
    let out = process::run(&mut cmd, limit).context("decoding inputs with the replay binary")?;
    if out.timed_out() {
        bail!("decoding inputs: the replay ran out of time");
    }
    if out.code() != Some(0) {
        bail!("decoding inputs: {}", process::last_words(&out.stderr));
    }
    let text = out.stdout;
    let traces: Vec<&str> = text.split(lockstep::trace::HEADER).skip(1).collect();
    if traces.len() != inputs.len() {
        bail!(
            "decoding {} inputs gave {} traces",
            inputs.len(),
            traces.len()
        );
    }
    Ok(inputs
        .iter()
        .zip(traces)
        .map(|(path, trace)| Decoded {
            path: path.clone(),
            variants: shapes(trace),
            first: false,
        })
        .collect())
}

/// The op pairs (a variant and the one after it, and each variant alone) replayed so far.
#[derive(Debug, Default)]
pub struct Novelty {
    seen: HashSet<(String, String)>,
}

impl Novelty {
    fn pairs(variants: &[String]) -> HashSet<(String, String)> {
        let mut pairs: HashSet<(String, String)> = variants
            .windows(2)
            .map(|w| (w[0].clone(), w[1].clone()))
            .collect();
        pairs.extend(variants.iter().map(|v| (v.clone(), String::new())));
        pairs
    }

    /// Orders `inputs` so that each next one brings the most pairs not seen yet per op, the
    /// shorter first among equals (greedy set cover), and counts their pairs as seen.
    pub fn order(&mut self, mut inputs: Vec<Decoded>) -> Vec<PathBuf> {
        let n = inputs.len();
        self.pick(&mut inputs, n)
    }

    /// Takes the `n` inputs of `pending` that come first by [`Novelty::order`], counting their
    /// pairs as seen; the rest stay pending.
    pub fn pick(&mut self, pending: &mut Vec<Decoded>, n: usize) -> Vec<PathBuf> {
        let mut picked = Vec::with_capacity(n.min(pending.len()));
        while picked.len() < n && !pending.is_empty() {
            // Seeds first; then those with an op shape an injected panic fired in that no
            // replay had yet (a few inputs in a thousand: the ones a panic-safety bug that
            // never crashes natively needs); then most new pairs per op (under Miri an input
            // costs time in proportion to its ops), then fewest ops, then the path: the same
            // order every time.
            let best = (0..pending.len())
                .min_by_key(|&i| {
                    let pairs = Self::pairs(&pending[i].variants);
                    let new = pairs.iter().filter(|p| !self.seen.contains(*p)).count();
                    let new_panic = pairs.iter().any(|p| {
                        p.1.is_empty() && p.0.ends_with(PANICKED) && !self.seen.contains(p)
                    });
                    let ops = pending[i].variants.len();
                    (
                        !pending[i].first,
                        !new_panic,
                        std::cmp::Reverse(new * 1024 / (ops + 1)),
                        ops,
                        &pending[i].path,
                    )
                })
                .expect("not empty");
            let decoded = pending.swap_remove(best);
            self.seen.extend(Self::pairs(&decoded.variants));
            picked.push(decoded.path);
        }
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(name: &str, variants: &[&str]) -> Decoded {
        Decoded {
            path: PathBuf::from(name),
            variants: variants.iter().map(|v| (*v).to_owned()).collect(),
            first: false,
        }
    }

    #[test]
    fn shapes_keep_what_an_op_does_and_drop_its_numbers() {
        let a = shape("Edit(kind: Shared, list: 197, start: At(1), steps: [Remove(keep: false)])");
        let b = shape("Edit(kind: Shared, list: 3, start: At(0), steps: [Remove(keep: false)])");
        let c = shape("Edit(kind: Shared, list: 3, start: At(0), steps: [SplitBefore])");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// An arm whose panic never fires did nothing: it must not make the op pair after it look
    /// replayed already when a later input's panic does fire there.
    #[test]
    fn an_op_an_injected_panic_fired_in_is_a_shape_of_its_own() {
        let trace = |fired: bool| {
            format!(
                "{}\n# target: t\nPush(1)\nArm(Clone(after: 1))\nCloneAll\n{}",
                lockstep::trace::HEADER,
                if fired { lockstep::trace::FIRED } else { "" }
            )
        };
        let quiet = shapes(&trace(false));
        let fired = shapes(&trace(true));
        assert_eq!(quiet, ["Push()", "Arm(Clone(after: ))", "CloneAll"]);
        assert_eq!(fired[..2], quiet[..2]);
        assert_ne!(fired[2], quiet[2]);
        let mut novelty = Novelty::default();
        novelty.order(vec![decoded(
            "quiet",
            &quiet.iter().map(String::as_str).collect::<Vec<_>>(),
        )]);
        let next = novelty.order(vec![
            decoded(
                "again",
                &quiet.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
            decoded(
                "fired",
                &fired.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
        ]);
        assert_eq!(next[0], PathBuf::from("fired"));
        // An input whose injected panic fires in an op where none fired yet goes before one
        // that brings more new pairs per op.
        let mut novelty = Novelty::default();
        let order = novelty.order(vec![
            decoded("varied", &["Push()", "Pop", "Reserve()", "Clear"]),
            decoded(
                "fired",
                &[
                    "Push()",
                    "Push()",
                    "Arm(Clone(after: ))",
                    "CloneAll (injected panic)",
                    "Push()",
                    "Push()",
                ],
            ),
        ]);
        assert_eq!(order[0], PathBuf::from("fired"));
    }

    #[test]
    fn inputs_with_new_op_pairs_come_first() {
        let mut novelty = Novelty::default();
        let order = novelty.order(vec![
            decoded("long-and-old", &["Push", "Push", "Push", "Push"]),
            decoded("new-pair", &["Push", "CursorFromPtr", "Remove"]),
            decoded("same-again", &["Push", "CursorFromPtr", "Remove"]),
            decoded("short", &["Push"]),
        ]);
        let names: Vec<&str> = order.iter().map(|p| p.to_str().unwrap()).collect();
        // `long-and-old` still brings Push-Push; the other two bring nothing, shorter first.
        assert_eq!(names, ["new-pair", "long-and-old", "short", "same-again"]);
        // What is seen stays seen: the same input later brings nothing new.
        let again = novelty.order(vec![
            decoded("old", &["Push", "CursorFromPtr"]),
            decoded("fresh", &["Pop", "Pop"]),
        ]);
        assert_eq!(again[0], PathBuf::from("fresh"));
        // A seed goes first, however little it brings.
        let mut seed = decoded("seed", &["Push"]);
        seed.first = true;
        let order = novelty.order(vec![decoded("newer", &["Drain", "Drain"]), seed]);
        assert_eq!(order[0], PathBuf::from("seed"));
    }
}
