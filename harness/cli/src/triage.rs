//! Triage: replay a case with every engine, classify it, and group cases by signature.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::Serialize;

use crate::builds::Builds;
use crate::engines::{self, Class, Engine, Finding, Limits, Verdict};
use crate::project::Project;

/// One case, triaged.
#[derive(Clone, Debug, Serialize)]
pub struct Triaged {
    /// The case file.
    pub case: PathBuf,
    /// What each engine said.
    pub verdicts: BTreeMap<Engine, Verdict>,
    /// The most telling finding, and the engine that made it; `None` when every engine passed.
    pub primary: Option<(Engine, Finding)>,
}

impl Triaged {
    /// The signature: the primary finding's class and frame.
    pub fn signature(&self) -> Option<String> {
        self.primary.as_ref().map(|(_, f)| f.signature())
    }

    /// What each engine that failed it saw.
    pub fn seen(&self) -> BTreeMap<Engine, Class> {
        self.verdicts
            .iter()
            .filter_map(|(e, v)| Some((*e, v.finding()?.class.clone())))
            .collect()
    }

    /// Every class seen, with the engines that saw it: `out-of-bounds (asan, miri-sb)`.
    pub fn classes_seen(&self) -> Vec<String> {
        lockstep::finding::grouped(&self.seen())
    }
}

/// Replays `case` with each of `engines`. The native replay runs first: a case the replay binary
/// rejects (a trace from an older op enum, another target's trace) is an error, not a verdict.
pub fn triage(
    project: &Project,
    builds: &Builds<'_>,
    target: &str,
    case: &Path,
    engines: &[Engine],
    seeded_bug: Option<&str>,
    limits: Limits,
) -> Result<Triaged> {
    lockstep::case::read(case)?;
    let mut verdicts = BTreeMap::new();
    for &engine in engines {
        let verdict = engines::replay(project, builds, engine, target, case, seeded_bug, limits)?;
        if let (Engine::Native, Verdict::Error { message }) = (engine, &verdict) {
            bail!("{message}");
        }
        verdicts.insert(engine, verdict);
    }
    Ok(Triaged {
        case: case.to_path_buf(),
        primary: primary(&verdicts),
        verdicts,
    })
}

/// The most telling of the engines' findings, and the engine that made it: memory errors
/// before the rest, then in engine order.
pub fn primary(verdicts: &BTreeMap<Engine, Verdict>) -> Option<(Engine, Finding)> {
    verdicts
        .iter()
        .filter_map(|(e, v)| v.finding().map(|f| (*e, f.clone())))
        .min_by_key(|(e, f)| (f.class.rank(), *e))
}

/// Cases grouped by signature, in order of first appearance.
pub fn group(triaged: &[Triaged]) -> Vec<(String, Vec<&Triaged>)> {
    let mut groups: Vec<(String, Vec<&Triaged>)> = Vec::new();
    for t in triaged {
        let Some(signature) = t.signature() else {
            continue;
        };
        match groups.iter_mut().find(|(s, _)| *s == signature) {
            Some((_, cases)) => cases.push(t),
            None => groups.push((signature, vec![t])),
        }
    }
    groups
}

/// Parses `--engines native,asan,miri-sb,miri-tb`.
pub fn parse_engines(list: &str) -> Result<Vec<Engine>> {
    let mut engines = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        engines.push(name.parse::<Engine>().map_err(anyhow::Error::msg)?);
    }
    if engines.is_empty() {
        bail!("no engines given");
    }
    engines.sort();
    engines.dedup();
    Ok(engines)
}
