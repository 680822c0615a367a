//! What happens to an input a fuzzer (or a sweep) found: quick triage, shrink, full triage,
//! de-duplication against what this run and the corpus already have, storage.

use std::path::{Path, PathBuf};

use anyhow::Result;
use lockstep::corpus::{self, Expect};
use serde::Serialize;

use crate::builds::Builds;
use crate::commands::corpus::{Stored, store};
use crate::commands::shrink::{self, write_new};
use crate::engines::{Engine, Limits};
use crate::project::Project;
use crate::triage;

/// How to process the findings of one run.
#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// The target.
    pub target: &'a str,
    /// The seeded bug switched on, if any.
    pub seeded_bug: Option<&'a str>,
    /// The engines a raw finding is first classified with (cheap ones, to skip repeats).
    pub quick_engines: &'a [Engine],
    /// The engines the shrunk case is triaged with.
    pub engines: &'a [Engine],
    /// Time limits.
    pub limits: Limits,
    /// Store new findings in the corpus.
    pub store: bool,
    /// Who found them, for the record.
    pub found_by: &'a str,
}

/// What became of one finding.
#[derive(Debug, Clone, Serialize)]
pub struct Processed {
    /// The raw finding.
    pub case: PathBuf,
    /// Its signature after shrinking (or the quick one, for a repeat).
    pub signature: String,
    /// Every class seen, with the engines that saw it.
    pub classes: Vec<String>,
    /// Ops before and after shrinking (`None` for a repeat, which is not shrunk).
    pub ops: Option<(usize, usize)>,
    /// The shrunk trace.
    pub shrunk: Option<PathBuf>,
    /// What storing it did; `None` when storing is off or it repeats an earlier finding of
    /// this run.
    pub stored: Option<Stored>,
    /// Whether the corpus already had it.
    pub known: bool,
    /// Whether it repeats an earlier finding of this run.
    pub repeat: bool,
    /// Whether it reproduced at all (a finding of an earlier build may not).
    pub reproduced: bool,
}

impl Processed {
    /// The class named by the signature.
    pub fn class(&self) -> &str {
        self.signature
            .split(" at ")
            .next()
            .unwrap_or(&self.signature)
    }
}

/// Processes `finding`; `earlier` holds the quick signatures this run has already processed.
pub fn process(
    project: &Project,
    builds: &Builds<'_>,
    settings: &Settings<'_>,
    finding: &Path,
    earlier: &mut Vec<(String, Processed)>,
) -> Result<Processed> {
    let target = settings.target;
    let quick = triage::triage(
        project,
        builds,
        target,
        finding,
        settings.quick_engines,
        settings.seeded_bug,
        settings.limits,
    )?;
    let quick_signature = quick.signature();
    if quick_signature.is_none() {
        return Ok(Processed {
            case: finding.to_path_buf(),
            signature: format!(
                "does not reproduce under {}",
                engine_list(settings.quick_engines)
            ),
            classes: Vec::new(),
            ops: None,
            shrunk: None,
            stored: None,
            known: true,
            repeat: false,
            reproduced: false,
        });
    }
    if let Some(sig) = &quick_signature {
        if let Some((_, first)) = earlier.iter().find(|(s, _)| s == sig) {
            return Ok(Processed {
                case: finding.to_path_buf(),
                signature: first.signature.clone(),
                classes: quick.classes_seen(),
                ops: None,
                shrunk: None,
                stored: None,
                known: first.known,
                repeat: true,
                reproduced: true,
            });
        }
    }
    let shrunk = shrink::shrink(
        project,
        builds,
        target,
        finding,
        None,
        settings.seeded_bug,
        settings.limits,
        None,
    )?;
    let mut shrunk_path = finding.as_os_str().to_owned();
    shrunk_path.push(".shrunk.trace");
    let shrunk_path = PathBuf::from(shrunk_path);
    if !shrunk_path.exists() {
        write_new(&shrunk_path, &shrunk.report.trace)?;
    }
    let full = triage::triage(
        project,
        builds,
        target,
        &shrunk_path,
        settings.engines,
        settings.seeded_bug,
        settings.limits,
    )?;
    let signature = full
        .signature()
        .unwrap_or_else(|| shrunk.report.signature.clone());
    let known_as = corpus::read_dir(&project.corpus_dir(target, "regressions"))?
        .into_iter()
        .find(|c| {
            c.meta.signature == signature && c.meta.seeded_bug.as_deref() == settings.seeded_bug
        })
        .map(|c| c.name);
    let stored = if settings.store {
        let bytes = match lockstep::case::read(finding)? {
            lockstep::case::Case::Bytes(b) => Some(b),
            lockstep::case::Case::Trace(_) => None,
        };
        let expect = if settings.seeded_bug.is_some() {
            Expect::Fail
        } else {
            Expect::Pass
        };
        Some(store(
            project,
            target,
            &shrunk.report.trace,
            bytes.as_deref(),
            &full,
            settings.seeded_bug,
            expect,
            Some(shrunk.report.ops_before),
            settings.found_by,
        )?)
    } else {
        known_as.clone().map(|name| Stored::Duplicate { name })
    };
    let processed = Processed {
        case: finding.to_path_buf(),
        signature,
        classes: full.classes_seen(),
        ops: Some((shrunk.report.ops_before, shrunk.report.ops_after)),
        shrunk: Some(shrunk_path),
        stored,
        known: known_as.is_some(),
        repeat: false,
        reproduced: true,
    };
    if let Some(sig) = quick_signature {
        earlier.push((sig, processed.clone()));
    }
    Ok(processed)
}

fn engine_list(engines: &[Engine]) -> String {
    engines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
