//! What happens to a failure a campaign (or a sweep) found: its signature under the engine that
//! first saw it, de-duplication against this run and the stored corpus (both cheap, before any
//! shrinking), then a shrink that keeps that engine's signature, full triage, attribution to
//! the seeded bugs that cause it, and storage.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use lockstep_store::corpus::{Accepted, Expect, StoredCase};
use serde::Serialize;

use crate::builds::Builds;
use crate::commands::bug_ids;
use crate::commands::corpus::{self, Stored, store};
use crate::commands::shrink::{self, write_new};
use crate::engines::{self, Engine, Limits, Verdict};
use crate::project::Project;
use crate::triage;
use lockstep::finding::Severity;

/// How to process the findings of one run.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// The target.
    pub target: &'a str,
    /// The seeded bugs switched on, as a comma-separated list, if any.
    pub seeded_bug: Option<&'a str>,
    /// The engines the shrunk case is triaged with.
    pub engines: &'a [Engine],
    /// Time limits.
    pub limits: Limits,
    /// Store new findings in the corpus.
    pub store: bool,
    /// Who found them, for the record.
    pub found_by: &'a str,
    /// The behaviours the target accepts: never stored, never a failure of the run.
    pub accepted: &'a Accepted,
}

/// A failure to process, with what is already known of it.
#[derive(Debug, Clone)]
pub enum Input {
    /// A failure whose signature is known already: one a fuzz target recorded in-process
    /// (natively), or a crash whose report the fuzzer printed (AddressSanitizer).
    Recorded {
        /// The input (fuzzer bytes).
        case: PathBuf,
        /// The engine that saw it.
        engine: Engine,
        /// Its signature there.
        signature: String,
        /// Its severity there.
        severity: Severity,
    },
    /// A file a fuzzer or a sweep wrote: replayed first with `quick` to learn its signature.
    File {
        /// The file.
        case: PathBuf,
        /// The engines that may have seen it, the one that did most likely first: the first
        /// that fails names it.
        quick: Vec<Engine>,
    },
}

impl Input {
    /// A failure `engine` saw in `case`, as `finding`.
    pub fn seen(case: PathBuf, engine: Engine, finding: &engines::Finding) -> Self {
        Input::Recorded {
            case,
            engine,
            signature: finding.signature(),
            severity: finding.severity(),
        }
    }

    /// The case file.
    pub fn case(&self) -> &Path {
        match self {
            Input::Recorded { case, .. } | Input::File { case, .. } => case,
        }
    }
}

/// What became of one finding.
#[derive(Debug, Clone, Serialize)]
pub struct Processed {
    /// The raw finding.
    pub case: PathBuf,
    /// The engine that first saw it, and its signature there: what it is grouped by.
    pub first: Option<(Engine, String)>,
    /// Its signature after shrinking and full triage (the most telling engine's), or the first
    /// signature when it was not shrunk.
    pub signature: String,
    /// How bad it is: memory safety when any engine saw undefined behaviour, else what the
    /// engine that first saw it says.
    pub severity: Severity,
    /// Every class seen, with the engines that saw it.
    pub classes: Vec<String>,
    /// Ops before and after shrinking (`None` when it was not shrunk).
    pub ops: Option<(usize, usize)>,
    /// The shrunk trace.
    pub shrunk: Option<PathBuf>,
    /// What storing it did; `None` when storing is off, or it was not stored.
    pub stored: Option<Stored>,
    /// The seeded bugs it was attributed to (the fewest of the run's that still cause it).
    pub seeded_bug: Option<String>,
    /// Whether the corpus already had it.
    pub known: bool,
    /// Whether an accepted behaviour covers it.
    pub accepted: bool,
    /// The stored case that must pass and now fails again: a regression.
    pub regression: Option<String>,
    /// Whether it repeats an earlier finding of this run.
    pub repeat: bool,
    /// Whether it reproduced at all (a finding of an earlier build may not).
    pub reproduced: bool,
}

impl Processed {
    fn unprocessed(
        case: &Path,
        first: Option<(Engine, String)>,
        signature: String,
        severity: Severity,
    ) -> Self {
        Processed {
            case: case.to_path_buf(),
            first,
            signature,
            severity,
            classes: Vec::new(),
            ops: None,
            shrunk: None,
            stored: None,
            seeded_bug: None,
            known: false,
            accepted: false,
            regression: None,
            repeat: false,
            reproduced: true,
        }
    }

    /// Whether it is a distinct failure this run found that the corpus does not hold.
    pub fn is_new(&self) -> bool {
        self.reproduced && !self.repeat && !self.known && !self.accepted
    }
}

/// The stored cases a run's findings are compared with: first by the signature each was stored
/// with (no build, no replay), then, for a failure none of those names, by the signature each
/// shows natively in this run's configuration (every stored case whose seeded bugs are all
/// switched on in the run, or that has none, replayed once per run, when first needed).
#[derive(Debug, Default)]
pub struct CorpusIndex {
    cases: Vec<StoredCase>,
    /// Each case's native signature, once replayed.
    native: Option<Vec<Option<String>>>,
}

impl CorpusIndex {
    /// Reads the stored cases of `settings.target` that this run's seeded bugs apply to.
    pub fn load(project: &Project, builds: &Builds<'_>, settings: &Settings<'_>) -> Result<Self> {
        let on: Vec<&str> = settings
            .seeded_bug
            .map(|l| bug_ids(l).collect())
            .unwrap_or_default();
        let stored = corpus::cases(project, &[settings.target.to_owned()])?;
        if stored.iter().any(|c| c.meta.seeded_bug.is_some()) {
            let bugs = crate::commands::seeded_bugs(builds)?;
            for case in &stored {
                corpus::check_case_bugs(case, &bugs)?;
            }
        }
        let cases = stored
            .into_iter()
            .filter(|case| {
                case.meta
                    .seeded_bug
                    .as_deref()
                    .is_none_or(|l| bug_ids(l).all(|id| on.contains(&id)))
            })
            .collect();
        Ok(CorpusIndex {
            cases,
            native: None,
        })
    }

    /// The stored case showing `signature`: as its stored signature, else natively.
    fn find(
        &mut self,
        project: &Project,
        builds: &Builds<'_>,
        settings: &Settings<'_>,
        signature: &str,
    ) -> Result<Option<&StoredCase>> {
        if let Some(i) = self
            .cases
            .iter()
            .position(|c| c.meta.signature == signature)
        {
            return Ok(Some(&self.cases[i]));
        }
        if self.native.is_none() {
            let mut native = Vec::with_capacity(self.cases.len());
            for case in &self.cases {
                let verdict = engines::replay(
                    project,
                    builds,
                    Engine::Native,
                    settings.target,
                    &case.trace_path,
                    case.meta.seeded_bug.as_deref(),
                    settings.limits,
                )?;
                native.push(verdict.finding().map(engines::Finding::signature));
            }
            self.native = Some(native);
        }
        let native = self.native.as_deref().unwrap_or_default();
        Ok(native
            .iter()
            .position(|n| n.as_deref() == Some(signature))
            .map(|i| &self.cases[i]))
    }
}

/// Processes one finding; `earlier` holds this run's findings processed so far, by their first
/// signature.
pub fn process(
    project: &Project,
    builds: &Builds<'_>,
    settings: &Settings<'_>,
    index: &mut CorpusIndex,
    input: &Input,
    earlier: &mut Vec<Processed>,
) -> Result<Processed> {
    let target = settings.target;
    let case = input.case();
    let first = match input {
        Input::Recorded {
            engine,
            signature,
            severity,
            ..
        } => Some((*engine, signature.clone(), *severity)),
        Input::File { quick, .. } => {
            let triaged = triage::triage(
                project,
                builds,
                target,
                case,
                quick,
                settings.seeded_bug,
                settings.limits,
            )?;
            // The first of `quick` that fails names it: the engine that saw it first.
            quick.iter().find_map(|e| {
                let f = triaged.verdicts.get(e)?.finding()?;
                Some((*e, f.signature(), f.severity()))
            })
        }
    };
    let Some((engine, first_signature, first_severity)) = first else {
        let mut p = Processed::unprocessed(
            case,
            None,
            "does not reproduce".to_owned(),
            Severity::Correctness,
        );
        p.reproduced = false;
        return Ok(p);
    };
    let first = Some((engine, first_signature.clone()));
    if settings.accepted.covering(&first_signature).is_some() {
        let mut p = Processed::unprocessed(case, first, first_signature, first_severity);
        p.accepted = true;
        return Ok(p);
    }
    if let Some(e) = earlier
        .iter()
        .find(|e| e.first.as_ref().is_some_and(|(_, s)| *s == first_signature))
    {
        let mut p = e.clone();
        p.case = case.to_path_buf();
        p.repeat = true;
        return Ok(p);
    }
    if let Some(stored) = index.find(project, builds, settings, &first_signature)? {
        // Memory safety when any engine saw undefined behaviour when it was stored.
        let ub = stored
            .meta
            .seen
            .values()
            .any(|c| c.severity() == Severity::MemorySafety);
        let severity = if ub {
            Severity::MemorySafety
        } else {
            first_severity
        };
        let mut p = Processed::unprocessed(case, first, stored.meta.signature.clone(), severity);
        p.known = true;
        p.classes = lockstep::finding::grouped(&stored.meta.seen);
        p.seeded_bug.clone_from(&stored.meta.seeded_bug);
        match stored.meta.expect {
            Expect::Pass => p.regression = Some(stored.name.clone()),
            Expect::Fail => {
                p.stored = Some(Stored::Duplicate {
                    name: stored.name.clone(),
                })
            }
        }
        earlier.push(p.clone());
        return Ok(p);
    }

    let shrunk = shrink::shrink(
        project,
        builds,
        target,
        case,
        Some(engine),
        settings.seeded_bug,
        settings.limits,
        None,
    )?;
    let shrunk_path = sibling(case, ".shrunk.trace");
    if !shrunk_path.exists() {
        write_new(&shrunk_path, &shrunk.report.trace)?;
    }
    let seeded_bug = attribute(
        project,
        builds,
        settings,
        engine,
        &shrunk_path,
        &shrunk.signature,
    )?;
    let full = triage::triage(
        project,
        builds,
        target,
        &shrunk_path,
        settings.engines,
        seeded_bug.as_deref(),
        settings.limits,
    )?;
    let signature = full.signature().unwrap_or_else(|| shrunk.signature.clone());
    let ub = full
        .verdicts
        .values()
        .filter_map(Verdict::finding)
        .any(|f| f.severity() == Severity::MemorySafety);
    let severity = if ub {
        Severity::MemorySafety
    } else {
        first_severity
    };
    let mut p = Processed::unprocessed(case, first, signature, severity);
    p.classes = full.classes_seen();
    p.ops = Some((shrunk.report.ops_before, shrunk.report.ops_after));
    p.shrunk = Some(shrunk_path);
    p.seeded_bug.clone_from(&seeded_bug);
    if let Some(stored) = index.find(project, builds, settings, &p.signature)? {
        // Shrunk, it is a failure the corpus holds after all.
        p.known = true;
        match stored.meta.expect {
            Expect::Pass => p.regression = Some(stored.name.clone()),
            Expect::Fail => {
                p.stored = Some(Stored::Duplicate {
                    name: stored.name.clone(),
                })
            }
        }
    } else if settings.store {
        let bytes = match lockstep::case::read(case)? {
            lockstep::case::Case::Bytes(b) => Some(b),
            lockstep::case::Case::Trace(_) => None,
        };
        let expect = if seeded_bug.is_some() {
            Expect::Fail
        } else {
            Expect::Pass
        };
        let stored = store(
            project,
            target,
            &shrunk.report.trace,
            bytes.as_deref(),
            &full,
            seeded_bug.as_deref(),
            expect,
            Some(shrunk.report.ops_before),
            settings.found_by,
        )?;
        p.known = matches!(stored, Stored::Duplicate { .. });
        p.stored = Some(stored);
    }
    earlier.push(p.clone());
    Ok(p)
}

/// The fewest of the run's seeded bugs that still cause the failure `engine` sees in `case`:
/// one alone if one does, else all of them.
fn attribute(
    project: &Project,
    builds: &Builds<'_>,
    settings: &Settings<'_>,
    engine: Engine,
    case: &Path,
    signature: &str,
) -> Result<Option<String>> {
    let Some(list) = settings.seeded_bug else {
        return Ok(None);
    };
    let ids: Vec<&str> = bug_ids(list).collect();
    if ids.len() < 2 {
        return Ok(Some(list.to_owned()));
    }
    for id in ids {
        let verdict = engines::replay(
            project,
            builds,
            engine,
            settings.target,
            case,
            Some(id),
            settings.limits,
        )?;
        if verdict
            .finding()
            .is_some_and(|f| f.signature() == signature)
        {
            return Ok(Some(id.to_owned()));
        }
    }
    Ok(Some(list.to_owned()))
}

/// `case` with `suffix` appended to its file name.
pub fn sibling(case: &Path, suffix: &str) -> PathBuf {
    let mut name = case.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Records that `input` was processed, beside it, so a campaign killed before it got there
/// processes it next time (and one that got there does not again).
pub fn mark_processed(case: &Path, processed: &Processed) -> Result<()> {
    let marker = sibling(case, ".processed.json");
    let json = serde_json::to_vec(processed).context("writing a processed marker")?;
    std::fs::write(&marker, json).with_context(|| format!("writing {}", marker.display()))
}

/// Records that `case` cannot be processed because it is no case (see
/// [`lockstep::case::CaseError::is_in_the_file`]), so no later run tries again.
pub fn mark_refused(case: &Path, why: &str) -> Result<()> {
    let marker = sibling(case, ".processed.json");
    let json = serde_json::json!({ "refused": why }).to_string();
    std::fs::write(&marker, json).with_context(|| format!("writing {}", marker.display()))
}

/// Whether `case` was processed by an earlier run.
pub fn is_processed(case: &Path) -> bool {
    sibling(case, ".processed.json").exists()
}
