//! The regression corpus: one case per finding, kept under `corpora/<target>/regressions/`.
//!
//! A case is three files with one name:
//!
//! * `<name>.trace`: the (shrunk) ops, the canonical form, reviewed like code;
//! * `<name>.toml`: what it is and the verdict it must give ([`CaseMeta`]);
//! * `<name>.bin`: the fuzzer bytes it was found as, when it was found by a fuzzer.
//!
//! The verdict is [`Expect::Pass`], "passes on the fixed code", or [`Expect::Fail`], "still
//! fails": with its seeded bug switched on, the case is still detected (and it passes with the
//! bug off). Checksums in the metadata catch a trace or bytes file that was truncated or edited
//! without updating it.

use std::fmt;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use lockstep::finding::{Class, Engine};

/// The verdict a case must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Every engine passes: the bug it found is fixed.
    Pass,
    /// It fails with its signature (with its seeded bug switched on, if it has one).
    Fail,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expect::Pass => "pass",
            Expect::Fail => "fail",
        })
    }
}

/// A case's metadata, `<name>.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseMeta {
    /// The target it runs on.
    pub target: String,
    /// The verdict it must give.
    pub expect: Expect,
    /// The seeded bug switched on while it runs, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeded_bug: Option<String>,
    /// The failure's signature when it was stored: class and first frame in the crate under
    /// test.
    pub signature: String,
    /// What each engine saw when it was stored (engines that passed it are absent).
    #[serde(default, alias = "classes", deserialize_with = "seen_or_legacy")]
    pub seen: BTreeMap<Engine, Class>,
    /// Ops in the trace.
    pub ops: usize,
    /// Ops before shrinking, when it was shrunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_before_shrink: Option<usize>,
    /// Who found it: `lockstep fuzz`, `lockstep sweep`, `hand-written`, ...
    pub found_by: String,
    /// [`checksum`] of the trace file.
    pub trace_checksum: String,
    /// [`checksum`] of the bytes file, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_checksum: Option<String>,
}

/// Reads `seen` as the table it is written as, or as the list of `class (engine, engine)`
/// strings that cases stored by earlier versions carry under `classes`.
fn seen_or_legacy<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<Engine, Class>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seen {
        Table(BTreeMap<Engine, Class>),
        Legacy(Vec<String>),
    }
    match Seen::deserialize(deserializer)? {
        Seen::Table(table) => Ok(table),
        Seen::Legacy(list) => {
            let mut table = BTreeMap::new();
            for item in list {
                let (class, engines) = item
                    .rsplit_once(" (")
                    .and_then(|(c, e)| Some((c, e.strip_suffix(')')?)))
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!("`{item}` is not `class (engines)`"))
                    })?;
                let class: Class = class.parse().map_err(serde::de::Error::custom)?;
                for engine in engines.split(", ") {
                    table.insert(
                        engine.parse().map_err(serde::de::Error::custom)?,
                        class.clone(),
                    );
                }
            }
            Ok(table)
        }
    }
}

impl CaseMeta {
    /// The engines that saw the stored failure.
    pub fn engines_that_saw(&self) -> Vec<Engine> {
        self.seen.keys().copied().collect()
    }

    /// The class the given engine saw, if it saw one.
    pub fn class_seen_by(&self, engine: Engine) -> Option<&Class> {
        self.seen.get(&engine)
    }

    /// The seeded bugs switched on while it runs, as ids.
    pub fn seeded_bugs(&self) -> impl Iterator<Item = &str> {
        self.seeded_bug
            .as_deref()
            .into_iter()
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|id| !id.is_empty())
    }

    /// Whether every engine that saw it is the harness natively, or reports what the harness
    /// reports: a case that can be checked in-process without provoking undefined behaviour.
    pub fn harness_only(&self) -> bool {
        self.seen.values().all(Class::is_harness)
    }
}

/// Why a stored case does not give its verdict, from what one engine saw with its seeded bugs
/// on (`with`) and off (`without`): `Some(None)` is a pass, `None` a replay that was not run.
/// The one checker of verdicts: `lockstep corpus check` and the generated tests both call it.
pub fn verdict_problems(
    meta: &CaseMeta,
    engine: Engine,
    with: Option<Option<&Class>>,
    without: Option<Option<&Class>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let bugs = meta
        .seeded_bug
        .as_ref()
        .map(|b| format!(" with seeded bug {b}"))
        .unwrap_or_default();
    match meta.expect {
        Expect::Pass => {
            if let Some(Some(class)) = with {
                problems.push(format!(
                    "{engine}: expected to pass{bugs}, but shows {class}"
                ));
            }
        }
        Expect::Fail => {
            if let (Some(wanted), Some(with)) = (meta.class_seen_by(engine), with) {
                if with != Some(wanted) {
                    problems.push(format!(
                        "{engine}: expected {wanted}{bugs}, but it {}",
                        with.map_or("passes".to_owned(), |c| format!("shows {c}"))
                    ));
                }
            }
            if let (Some(bug), Some(Some(class))) = (&meta.seeded_bug, without) {
                problems.push(format!(
                    "{engine}: must pass without seeded bug {bug}, but shows {class}"
                ));
            }
        }
    }
    problems
}

/// A stored case, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCase {
    /// Its name (the files' common stem).
    pub name: String,
    /// `<name>.trace`.
    pub trace_path: PathBuf,
    /// Its metadata.
    pub meta: CaseMeta,
}

pub use lockstep::case::checksum;

/// Why the corpus could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum CorpusError {
    /// A file could not be read.
    Io {
        /// Which.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A metadata file is not valid.
    BadMeta {
        /// Which.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A file does not match its checksum.
    Checksum {
        /// Which.
        path: PathBuf,
    },
    /// A metadata file has no trace beside it, or a trace no metadata.
    Orphan {
        /// The file alone.
        path: PathBuf,
    },
}

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorpusError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            CorpusError::BadMeta { path, message } => write!(
                f,
                "{}: not valid case metadata: {message} (restore it from git, or remove the case)",
                path.display()
            ),
            CorpusError::Checksum { path } => write!(
                f,
                "{}: does not match the checksum in its .toml: truncated or edited by hand? \
                 (restore it from git; after a deliberate edit, update the checksum with \
                 `lockstep corpus rehash`)",
                path.display()
            ),
            CorpusError::Orphan { path } => write!(
                f,
                "{}: has no partner (every case is a .trace and a .toml of the same name)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CorpusError {}

fn read(path: &Path) -> Result<Vec<u8>, CorpusError> {
    std::fs::read(path).map_err(|error| CorpusError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// The cases in one `regressions/` directory, sorted by name. A missing directory has none.
pub fn read_dir(dir: &Path) -> Result<Vec<StoredCase>, CorpusError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(CorpusError::Io {
                path: dir.to_path_buf(),
                error,
            });
        }
    };
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| CorpusError::Io {
                path: dir.to_path_buf(),
                error,
            })?
            .path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        match ext {
            "toml" => names.push((stem, path)),
            "trace" if !path.with_extension("toml").exists() => {
                return Err(CorpusError::Orphan { path });
            }
            _ => {}
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|(name, meta_path)| read_case(dir, &name, &meta_path))
        .collect()
}

/// Parses a case's metadata.
pub fn parse_meta(text: &str) -> Result<CaseMeta, String> {
    toml::from_str(text).map_err(|e| e.message().to_owned())
}

fn read_case(dir: &Path, name: &str, meta_path: &Path) -> Result<StoredCase, CorpusError> {
    let text = String::from_utf8_lossy(&read(meta_path)?).into_owned();
    let meta = parse_meta(&text).map_err(|message| CorpusError::BadMeta {
        path: meta_path.to_path_buf(),
        message,
    })?;
    let trace_path = dir.join(format!("{name}.trace"));
    if !trace_path.exists() {
        return Err(CorpusError::Orphan {
            path: meta_path.to_path_buf(),
        });
    }
    if checksum(&read(&trace_path)?) != meta.trace_checksum {
        return Err(CorpusError::Checksum { path: trace_path });
    }
    if let Some(expected) = &meta.bytes_checksum {
        let bytes_path = dir.join(format!("{name}.bin"));
        if &checksum(&read(&bytes_path)?) != expected {
            return Err(CorpusError::Checksum { path: bytes_path });
        }
    }
    Ok(StoredCase {
        name: name.to_owned(),
        trace_path,
        meta,
    })
}

/// The metadata as stored: a comment saying what the verdict means, then the fields.
pub fn meta_text(meta: &CaseMeta) -> Result<String, String> {
    let verdict = match (meta.expect, &meta.seeded_bug) {
        (Expect::Pass, None) => "passes on the fixed code".to_owned(),
        (Expect::Pass, Some(bug)) => format!("passes even with seeded bug {bug} switched on"),
        (Expect::Fail, None) => "still fails (a known bug, not fixed yet)".to_owned(),
        (Expect::Fail, Some(bug)) => {
            format!("still detects seeded bug {bug} (and passes without it)")
        }
    };
    let body = toml::to_string(meta).map_err(|e| e.to_string())?;
    Ok(format!("# lockstep regression case: {verdict}\n{body}"))
}

/// A file name for a case: the seeded bug's id or the class, and a hash of the signature.
pub fn case_name(meta: &CaseMeta) -> String {
    let prefix = meta.seeded_bug.clone().unwrap_or_else(|| {
        meta.signature
            .split(" at ")
            .next()
            .unwrap_or("case")
            .replace([' ', '(', ')'], "-")
    });
    let hash = checksum(meta.signature.as_bytes());
    format!("{prefix}-{}", &hash["fnv1a64:".len().."fnv1a64:".len() + 8])
}

/// One accepted behaviour: a signature, or a whole class, with the reason it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// A signature (`leak at op IntoIter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// A class (`leak`): every failure of that class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// An op variant (`Op::ShrinkToFit`) that is expected never to do real work (see
    /// `lockstep::op_coverage`): campaigns do not warn about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// Why it is accepted: required, so a suppression always says what it hides.
    pub reason: String,
}

/// `corpora/<target>/accepted.toml`: the behaviours a target's campaigns accept, like a
/// sanitizer's suppressions file. Accepted failures never stop or fail a campaign and are never
/// stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// The accepted behaviours.
    #[serde(default)]
    pub accept: Vec<Acceptance>,
}

impl Accepted {
    /// The accepted signatures and classes, as a fuzz target reads them.
    pub fn known(&self) -> lockstep::campaign::Known {
        lockstep::campaign::Known::new(
            self.accept
                .iter()
                .filter_map(|a| a.signature.clone())
                .collect(),
            self.accept.iter().filter_map(|a| a.class.clone()).collect(),
        )
    }

    /// The acceptance that covers a failure with `signature`, if one does.
    pub fn covering(&self, signature: &str) -> Option<&Acceptance> {
        let class = signature.split(" at ").next().unwrap_or(signature);
        self.accept.iter().find(|a| {
            a.signature.as_deref() == Some(signature) || a.class.as_deref() == Some(class)
        })
    }

    /// The acceptance of op variant `variant` (`Op::ShrinkToFit`) never doing real work, if
    /// there is one.
    pub fn idle_op(&self, variant: &str) -> Option<&Acceptance> {
        self.accept
            .iter()
            .find(|a| a.op.as_deref() == Some(variant))
    }

    /// The file as stored: a comment saying what it is, then the entries.
    pub fn text(&self) -> Result<String, String> {
        let body = toml::to_string(self).map_err(|e| e.to_string())?;
        Ok(format!(
            "# lockstep: behaviours this target's campaigns accept (never stop, fail or get \
             stored),\n# each a signature, a class or an op variant that never does real \
             work, with the reason.\n{body}"
        ))
    }
}

/// Reads `accepted.toml` at `path`; a missing file accepts nothing.
pub fn read_accepted(path: &Path) -> Result<Accepted, CorpusError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Accepted::default()),
        Err(error) => {
            return Err(CorpusError::Io {
                path: path.to_path_buf(),
                error,
            });
        }
    };
    let bad = |message: String| CorpusError::BadMeta {
        path: path.to_path_buf(),
        message,
    };
    let accepted: Accepted = toml::from_str(&text).map_err(|e| bad(e.message().to_owned()))?;
    for (i, a) in accepted.accept.iter().enumerate() {
        let named = [&a.signature, &a.class, &a.op]
            .iter()
            .filter(|n| n.is_some())
            .count();
        if named != 1 {
            return Err(bad(format!(
                "entry {} names {}: each entry names one signature, class or op",
                i + 1,
                if named == 0 {
                    "neither a signature, a class nor an op"
                } else {
                    "more than one of a signature, a class and an op"
                }
            )));
        }
        if a.reason.trim().is_empty() {
            return Err(bad(format!("entry {} gives no reason", i + 1)));
        }
    }
    Ok(accepted)
}

/// Rust source for the regression tests of every case under `corpora` (`<target>/regressions/`):
/// `(table, tests)`. `table` defines `REGRESSIONS: &[RegressionCase]` with each case's text
/// embedded as a literal, so a build never depends on a case file being present: a metadata
/// file whose trace was deleted becomes a case with `trace: None`, which its test reports, and
/// every other case still builds and runs. `tests` has a module per target and a `#[test]` per
/// case calling `check(&REGRESSIONS[i])`. A build script writes both to `OUT_DIR`.
pub fn regression_tests(corpora: &Path) -> (String, String) {
    use std::fmt::Write as _;
    let mut table = String::from("/// Every stored regression case.\n");
    table.push_str("pub const REGRESSIONS: &[RegressionCase] = &[\n");
    let mut tests = String::new();
    let mut module: Option<String> = None;
    for (target, name, meta_path) in case_files(corpora) {
        let trace_path = meta_path.with_extension("trace");
        let meta = std::fs::read_to_string(&meta_path).unwrap_or_default();
        let trace = std::fs::read_to_string(&trace_path).ok();
        let i = table.matches("RegressionCase {").count();
        let _ = writeln!(
            table,
            "    RegressionCase {{ target: {target:?}, name: {name:?}, path: {:?}, trace: {trace:?}, \
             meta: {meta:?} }},",
            trace_path.display().to_string()
        );
        if module.as_deref() != Some(&target) {
            if module.is_some() {
                tests.push_str("}\n\n");
            }
            let _ = writeln!(tests, "mod {} {{\n    use super::*;\n", identifier(&target));
            module = Some(target);
        }
        let _ = writeln!(
            tests,
            "    #[test]\n    fn {}() {{\n        check(&REGRESSIONS[{i}]);\n    }}\n",
            identifier(&name)
        );
    }
    if module.is_some() {
        tests.push_str("}\n");
    }
    table.push_str("];\n");
    (table, tests)
}

/// `name` as a Rust identifier.
fn identifier(name: &str) -> String {
    let id = name.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{id}")
    } else {
        id
    }
}

/// `(target, name, metadata file)` of every case under `corpora`, sorted.
fn case_files(corpora: &Path) -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    let Ok(targets) = std::fs::read_dir(corpora) else {
        return found;
    };
    for target in targets.flatten() {
        let Ok(files) = std::fs::read_dir(target.path().join("regressions")) else {
            continue;
        };
        let target_name = target.file_name().to_string_lossy().into_owned();
        for meta in files.flatten().map(|f| f.path()) {
            if meta.extension().is_some_and(|e| e == "toml") {
                let name = meta
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                found.push((target_name.clone(), name, meta));
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> CaseMeta {
        CaseMeta {
            target: "raw_buf".into(),
            expect: Expect::Fail,
            seeded_bug: Some("raw_buf-drain-overread".into()),
            signature: "out-of-bounds at structures/src/raw_buf/drain.rs:150".into(),
            seen: [
                (Engine::Native, Class::Divergence),
                (Engine::Asan, Class::OutOfBounds),
                (Engine::MiriSb, Class::OutOfBounds),
                (Engine::MiriTb, Class::OutOfBounds),
            ]
            .into(),
            ops: 5,
            ops_before_shrink: Some(41),
            found_by: "lockstep fuzz".into(),
            trace_checksum: checksum(b"# lockstep trace\nPop\n"),
            bytes_checksum: None,
        }
    }

    #[test]
    fn metadata_round_trips_with_its_verdict_spelled_out() {
        let text = meta_text(&meta()).unwrap();
        assert!(text.starts_with(
            "# lockstep regression case: still detects seeded bug raw_buf-drain-overread"
        ));
        assert!(text.contains("expect = \"fail\""), "{text}");
        assert_eq!(toml::from_str::<CaseMeta>(&text).unwrap(), meta());
    }

    #[test]
    fn engines_and_classes_are_read_from_what_each_engine_saw() {
        let m = meta();
        assert_eq!(
            m.engines_that_saw(),
            [Engine::Native, Engine::Asan, Engine::MiriSb, Engine::MiriTb]
        );
        assert_eq!(m.class_seen_by(Engine::MiriTb), Some(&Class::OutOfBounds));
        assert_eq!(m.class_seen_by(Engine::Native), Some(&Class::Divergence));
        assert!(!m.harness_only());
    }

    /// Cases stored before classes were typed list `class (engines)` strings: they still read.
    #[test]
    fn the_legacy_list_of_classes_reads_as_the_table() {
        let text = meta_text(&meta()).unwrap();
        assert!(
            text.contains("[seen]\nnative = \"divergence\"\nasan = \"out-of-bounds\""),
            "{text}"
        );
        let start = text.find("[seen]").unwrap();
        let legacy = format!(
            "{}classes = [\"out-of-bounds (asan, miri-sb, miri-tb)\", \"divergence (native)\"]\n{}",
            &text[..start].replace("ops = 5\n", ""),
            "ops = 5\n"
        );
        let read: CaseMeta = toml::from_str(&legacy).unwrap();
        assert_eq!(read.seen, meta().seen);
        assert!(toml::from_str::<CaseMeta>(&legacy.replace("(native)", "(nope)")).is_err());
    }

    #[test]
    fn one_checker_says_why_a_verdict_does_not_hold() {
        let m = meta();
        assert!(
            verdict_problems(
                &m,
                Engine::Asan,
                Some(Some(&Class::OutOfBounds)),
                Some(None)
            )
            .is_empty()
        );
        assert!(
            verdict_problems(&m, Engine::Asan, None, Some(None)).is_empty(),
            "not run"
        );
        let p = verdict_problems(&m, Engine::Asan, Some(None), Some(None));
        assert_eq!(
            p,
            ["asan: expected out-of-bounds with seeded bug raw_buf-drain-overread, but it passes"]
        );
        let p = verdict_problems(
            &m,
            Engine::Native,
            Some(Some(&Class::Divergence)),
            Some(Some(&Class::Leak)),
        );
        assert_eq!(
            p,
            ["native: must pass without seeded bug raw_buf-drain-overread, but shows leak"]
        );
        let mut pass = meta();
        pass.expect = Expect::Pass;
        assert_eq!(
            verdict_problems(&pass, Engine::Native, Some(Some(&Class::Leak)), None).len(),
            1
        );
    }

    #[test]
    fn names_are_stable_and_distinct_per_signature() {
        let a = meta();
        let mut b = meta();
        b.signature = "out-of-bounds at structures/src/raw_buf/mod.rs:9".into();
        assert_eq!(case_name(&a), case_name(&a.clone()));
        assert_ne!(case_name(&a), case_name(&b));
        assert!(case_name(&a).starts_with("raw_buf-drain-overread-"));
        let mut c = meta();
        c.seeded_bug = None;
        c.signature = "aliasing at x.rs:1".into();
        assert!(case_name(&c).starts_with("aliasing-"), "{}", case_name(&c));
    }

    #[cfg_attr(miri, ignore = "reads and writes files")]
    #[test]
    fn damaged_cases_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let trace = b"# lockstep trace\nPop\n";
        std::fs::write(dir.path().join("a.trace"), trace).unwrap();
        std::fs::write(dir.path().join("a.toml"), meta_text(&meta()).unwrap()).unwrap();
        let cases = read_dir(dir.path()).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, "a");

        std::fs::write(dir.path().join("a.trace"), &trace[..10]).unwrap();
        let err = read_dir(dir.path()).unwrap_err();
        assert!(matches!(err, CorpusError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("truncated"));

        std::fs::write(dir.path().join("a.trace"), trace).unwrap();
        std::fs::write(dir.path().join("a.toml"), "target = 3").unwrap();
        assert!(matches!(
            read_dir(dir.path()).unwrap_err(),
            CorpusError::BadMeta { .. }
        ));

        std::fs::remove_file(dir.path().join("a.toml")).unwrap();
        assert!(matches!(
            read_dir(dir.path()).unwrap_err(),
            CorpusError::Orphan { .. }
        ));
        assert_eq!(read_dir(&dir.path().join("none")).unwrap(), Vec::new());
    }

    #[cfg_attr(miri, ignore = "reads and writes files")]
    #[test]
    fn accepted_behaviours_need_one_name_and_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accepted.toml");
        assert_eq!(read_accepted(&path).unwrap(), Accepted::default());
        let accepted = Accepted {
            accept: vec![
                Acceptance {
                    signature: Some("leak at op IntoIter".into()),
                    class: None,
                    op: None,
                    reason: "differs from std after a panic; documented".into(),
                },
                Acceptance {
                    signature: None,
                    class: Some("early-drop".into()),
                    op: None,
                    reason: "r".into(),
                },
                Acceptance {
                    signature: None,
                    class: None,
                    op: Some("Op::ShrinkToFit".into()),
                    reason: "its effect is the capacity, which the model does not hold".into(),
                },
            ],
        };
        std::fs::write(&path, accepted.text().unwrap()).unwrap();
        let read = read_accepted(&path).unwrap();
        assert_eq!(read, accepted);
        assert!(read.covering("leak at op IntoIter").is_some());
        assert!(read.covering("leak at op Clear").is_none());
        assert!(read.covering("early-drop at op Pop").is_some());
        assert_eq!(read.known().classes, ["early-drop"]);
        assert!(read.idle_op("Op::ShrinkToFit").is_some());
        assert!(read.idle_op("Op::Reserve").is_none());
        assert!(read.covering("Op::ShrinkToFit").is_none());

        std::fs::write(
            &path,
            "[[accept]]\nsignature = \"x at y\"\nreason = \" \"\n",
        )
        .unwrap();
        assert!(
            read_accepted(&path)
                .unwrap_err()
                .to_string()
                .contains("no reason")
        );
        std::fs::write(&path, "[[accept]]\nreason = \"r\"\n").unwrap();
        assert!(
            read_accepted(&path)
                .unwrap_err()
                .to_string()
                .contains("neither")
        );
        std::fs::write(
            &path,
            "[[accept]]\nclass = \"leak\"\nop = \"Op::Pop\"\nreason = \"r\"\n",
        )
        .unwrap();
        assert!(
            read_accepted(&path)
                .unwrap_err()
                .to_string()
                .contains("more than one")
        );
    }

    /// Deleting one stored trace used to break every build: the generated tests embedded each
    /// trace with `include_str!`. Now the case's own test says what is missing.
    #[cfg_attr(miri, ignore = "reads and writes files")]
    #[test]
    fn a_case_without_its_trace_fails_its_own_test_not_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let regressions = dir.path().join("raw_buf/regressions");
        std::fs::create_dir_all(&regressions).unwrap();
        std::fs::write(regressions.join("a.trace"), "# lockstep trace\nPop\n").unwrap();
        std::fs::write(regressions.join("a.toml"), "target = \"raw_buf\"").unwrap();
        std::fs::write(regressions.join("b-1.toml"), "target = \"raw_buf\"").unwrap();
        let (table, tests) = regression_tests(dir.path());
        assert!(!table.contains("include_str!"), "{table}");
        assert!(
            table.contains(r##"trace: Some("# lockstep trace\nPop\n")"##),
            "{table}"
        );
        assert!(
            table.contains("name: \"b-1\"") && table.contains("trace: None"),
            "{table}"
        );
        assert!(tests.contains("mod raw_buf {"), "{tests}");
        assert!(
            tests.contains("fn b_1() {\n        check(&REGRESSIONS[1]);"),
            "{tests}"
        );
    }
}
