//! `lockstep audit`: the soundness bugs that live in a structure's types, where no op sequence
//! reaches. It reads the subject crate's public API from rustdoc's JSON (unbounded lifetimes,
//! unbounded `unsafe impl Send`/`Sync`, safe functions taking raw pointers) and compares each
//! declared subject type with its model at the type level (variance, auto traits, drop check) by
//! compiling small programs against both. Its findings are kept in `corpora/<target>/audit/` and
//! checked like the regression corpus (`--check`).

mod api;
mod probes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::Ctx;
use crate::project::Project;

/// Audit the types of the structures under test.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The targets (their declarations in `fuzz/audit.toml`).
    #[arg(required_unless_present = "all")]
    targets: Vec<String>,
    /// Every target declared in `fuzz/audit.toml`.
    #[arg(long, conflicts_with = "targets")]
    all: bool,
    /// Build the subject with this type-level seeded bug in (`--cfg lockstep_type_bug="ID"`).
    #[arg(long, value_name = "ID", conflicts_with = "check")]
    seeded_bug: Option<String>,
    /// Check the stored audit cases: each is still reported with its seeded bug built in (or,
    /// without one, until it is marked fixed) and not without, and the audit of the correct
    /// build reports nothing else.
    #[arg(long)]
    check: bool,
    /// Do not store new findings in `corpora/<target>/audit/`.
    #[arg(long)]
    no_store: bool,
    /// Mark the stored cases without a seeded bug that this audit no longer reports as fixed
    /// (`expect = "fixed"`): from then on, reporting one again fails.
    #[arg(long, conflicts_with_all = ["check", "seeded_bug"])]
    mark_fixed: bool,
}

/// One finding.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// `unbounded-lifetime`, `send-sync`, `raw-pointer-argument`, `variance`, `auto-trait`,
    /// `drop-check`.
    pub class: String,
    /// What intended entries and stored cases name it by: the class, then the item.
    pub key: String,
    /// `file:line` of the item.
    pub location: String,
    /// Whether safe code can misuse it, or it only refuses what the model allows.
    pub severity: Severity,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Safe code can reach undefined behaviour through it.
    Unsound,
    /// The type allows or refuses what its model does not, with no way from it to undefined
    /// behaviour in safe code (an `Unpin` or `UnwindSafe` that differs, a stricter variance or
    /// drop check): an API difference to fix or declare intended.
    Differs,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Unsound => "unsound",
            Severity::Differs => "differs",
        })
    }
}

/// A subject type and the safe type it must match at the type level: `RawBuf<T>` and `Vec<T>`.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "[String; 2]")]
pub struct Pair {
    /// The subject type, by a path that resolves from outside its crate.
    pub subject: String,
    /// The model type, with the same parameters.
    pub model: String,
}

impl From<[String; 2]> for Pair {
    fn from([subject, model]: [String; 2]) -> Pair {
        Pair { subject, model }
    }
}

impl Pair {
    /// The subject as findings name it: `RawBuf<T>`.
    pub fn subject_name(&self) -> String {
        let (path, args) = self
            .subject
            .split_at(self.subject.find('<').unwrap_or(self.subject.len()));
        format!("{}{args}", path.rsplit("::").next().unwrap_or(path).trim())
    }

    /// The subject's path without its arguments: `structures::raw_buf::RawBuf`.
    pub fn subject_path(&self) -> &str {
        self.subject.split('<').next().unwrap_or_default().trim()
    }
}

/// One target's declarations in `fuzz/audit.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declarations {
    /// The module whose public API is the target's: `structures::raw_buf`. Its first segment is
    /// the crate the audit reads.
    pub module: String,
    /// The subject types, each with its model.
    #[serde(default)]
    pub pairs: Vec<Pair>,
    /// Items the pairs use (an element type, an adapter), in Rust, written at the top of the
    /// generated probes.
    #[serde(default)]
    pub prelude: String,
    /// The type-level seeded bugs of the target's structure, by the id its crate's
    /// `lockstep_type_bug` cfg takes: `--seeded-bug` and stored cases may name only these.
    #[serde(default)]
    pub seeded_bugs: Vec<String>,
    /// Findings that are intended, by key, each with its reason.
    #[serde(default)]
    pub intended: BTreeMap<String, String>,
}

/// The audit of one target: what `lockstep report` shows (`fuzz/audit/<target>.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Audit {
    /// The target.
    pub target: String,
    /// The type-level seeded bug built in, if any.
    pub seeded_bug: Option<String>,
    /// Every finding, the intended ones too.
    pub findings: Vec<Reported>,
    /// Subject-model pairs compared.
    pub pairs: usize,
    /// Wall time, in seconds.
    pub seconds: f64,
    /// Stored cases (without a seeded bug, expected to be reported) that this audit did not
    /// report: fixed, or hidden by a change in the declarations.
    #[serde(default)]
    pub no_longer_reported: Vec<String>,
    /// Whether those were marked fixed (`--mark-fixed`).
    #[serde(default)]
    pub marked_fixed: bool,
}

/// A finding and what became of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reported {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Why it is intended, when it is.
    pub intended: Option<String>,
    /// The stored case that holds it, when there is one.
    pub case: Option<String>,
}

/// A stored audit finding: `corpora/<target>/audit/<name>.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditCase {
    /// The target.
    pub target: String,
    /// `finding`: the audit must report it (with `seeded_bug` built in); `fixed`: it must not.
    pub expect: String,
    /// The type-level seeded bug it needs, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeded_bug: Option<String>,
    /// The finding's class.
    pub class: String,
    /// The finding's key: what the verdict compares.
    pub key: String,
    /// `unsound` or `stricter`.
    pub severity: Severity,
    /// Where it was, when stored.
    pub location: String,
    /// What the audit said.
    pub message: String,
    /// `lockstep audit`.
    pub found_by: String,
}

/// Runs `lockstep audit`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    let decls = read_declarations(project)?;
    let targets: Vec<String> = if args.all {
        decls.keys().cloned().collect()
    } else {
        args.targets.clone()
    };
    for target in &targets {
        project.check_target(target)?;
        if !decls.contains_key(target) {
            bail!(
                "target `{target}` has no audit declarations: add a `[{target}]` table with its \
                 `module` (and `pairs`) to {} (README: \"Audit\")",
                declarations_path(project).display()
            );
        }
    }
    if args.check {
        return check(ctx, &decls, &targets);
    }
    let mut failed = false;
    let mut all = Vec::new();
    for target in &targets {
        let audit = audit(project, target, &decls[target], args.seeded_bug.as_deref())?;
        let cases = read_cases(project, target)?;
        let mut reported = account(&decls[target], audit.1, &cases, args.seeded_bug.as_deref());
        for r in reported.iter_mut().filter(|r| r.intended.is_none()) {
            failed = true;
            if r.case.is_none() && !args.no_store {
                let name = store(project, target, &r.finding, args.seeded_bug.as_deref())?;
                r.case = Some(format!("new: stored as {name}"));
            }
        }
        let mut gone = Vec::new();
        if args.seeded_bug.is_none() {
            let keys: Vec<&str> = reported.iter().map(|r| r.finding.key.as_str()).collect();
            for (name, case) in no_longer_reported(&cases, &keys) {
                if args.mark_fixed {
                    let fixed = AuditCase {
                        expect: "fixed".into(),
                        ..case.clone()
                    };
                    write_case(project, name, &fixed)?;
                }
                gone.push(name.clone());
            }
        }
        let audit = Audit {
            target: target.clone(),
            seeded_bug: args.seeded_bug.clone(),
            findings: reported,
            pairs: decls[target].pairs.len(),
            seconds: audit.0,
            no_longer_reported: gone,
            marked_fixed: args.mark_fixed,
        };
        if args.seeded_bug.is_none() {
            keep(project, &audit)?;
        }
        if !ctx.json {
            print!("{}", render(&audit));
        }
        all.push(audit);
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Each finding of an audit with `seeded` built in with what it is to the target: intended (with
/// the reason), or held by a stored case: one of that seeded bug's, or else one of the correct
/// build's.
fn account(
    decls: &Declarations,
    findings: Vec<Finding>,
    cases: &[(String, AuditCase)],
    seeded: Option<&str>,
) -> Vec<Reported> {
    let held = |key: &str, bug: Option<&str>| {
        cases
            .iter()
            .find(|(_, c)| c.key == key && c.seeded_bug.as_deref() == bug)
    };
    findings
        .into_iter()
        .map(|finding| Reported {
            intended: decls.intended.get(&finding.key).cloned(),
            case: seeded
                .and_then(|bug| held(&finding.key, Some(bug)))
                .or_else(|| held(&finding.key, None))
                .map(|(name, c)| match c.expect.as_str() {
                    "fixed" => format!("regression: {name} was marked fixed"),
                    _ => format!("known: {name}"),
                }),
            finding,
        })
        .collect()
}

/// The stored cases of the correct build still expected to be reported whose key is not among
/// the `keys` its audit reported.
fn no_longer_reported<'c>(
    cases: &'c [(String, AuditCase)],
    keys: &[&str],
) -> impl Iterator<Item = &'c (String, AuditCase)> {
    cases.iter().filter(|(_, c)| {
        c.seeded_bug.is_none() && c.expect == "finding" && !keys.contains(&c.key.as_str())
    })
}

/// Keeps the audit of the correct build for `lockstep report`: `fuzz/audit/<target>.json`.
fn keep(project: &Project, audit: &Audit) -> Result<()> {
    let dir = project.fuzz_dir.join("audit");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.json", audit.target));
    std::fs::write(&path, serde_json::to_string_pretty(audit)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// The human-readable account of an audit.
fn render(audit: &Audit) -> String {
    let mut out = format!(
        "audit {}{}: {} pair(s), {:.1} s\n",
        audit.target,
        audit
            .seeded_bug
            .as_ref()
            .map(|b| format!(" with seeded bug {b}"))
            .unwrap_or_default(),
        audit.pairs,
        audit.seconds
    );
    let live = audit
        .findings
        .iter()
        .filter(|r| r.intended.is_none())
        .count();
    for r in &audit.findings {
        let f = &r.finding;
        let status = match &r.intended {
            Some(_) => "intended".to_owned(),
            None => f.severity.to_string(),
        };
        out += &format!(
            "{status:<9} {:<20} {}  {}\n",
            f.class, f.location, f.message
        );
        if let Some(reason) = &r.intended {
            out += &format!("          intended: {reason}\n");
            continue;
        }
        if let Some(case) = &r.case {
            out += &format!("          {case}\n");
        }
        out += &format!(
            "          to declare it intended, add to [{}.intended]: {:?} = \"why\"\n",
            audit.target, f.key
        );
    }
    if !audit.no_longer_reported.is_empty() {
        let names = audit.no_longer_reported.join(", ");
        out += &match audit.marked_fixed {
            true => format!("marked fixed (no longer reported): {names}\n"),
            false => format!(
                "no longer reported: {names} (if fixed, `lockstep audit {} --mark-fixed` marks \
                 them so)\n",
                audit.target
            ),
        };
    }
    out += &match live {
        0 => "no finding\n\n".to_owned(),
        n => format!("{n} finding(s)\n\n"),
    };
    out
}

/// Audits one target: (seconds, findings).
fn audit(
    project: &Project,
    target: &str,
    decls: &Declarations,
    seeded: Option<&str>,
) -> Result<(f64, Vec<Finding>)> {
    let start = Instant::now();
    let crate_name = decls
        .module
        .split("::")
        .next()
        .unwrap_or_default()
        .to_owned();
    let crate_dir = crate_dir(project, &crate_name)?;
    let work = project
        .target_dir
        .join("lockstep-audit")
        .join(format!("{target}-{}", seeded.unwrap_or("correct")));
    let _lock = lock(&work)?;
    let mut cfg = String::new();
    if let Some(bug) = seeded {
        // The flag is made from the declarations' own id, never from the text asked for.
        let Some(bug) = decls.seeded_bugs.iter().find(|b| *b == bug) else {
            bail!(
                "`{bug}` is not a type-level seeded bug of target `{target}`; its \
                 `seeded_bugs` in {} are: {}",
                declarations_path(project).display(),
                if decls.seeded_bugs.is_empty() {
                    "none".to_owned()
                } else {
                    decls.seeded_bugs.join(", ")
                }
            );
        };
        cfg = format!("--cfg lockstep_type_bug --cfg lockstep_type_bug=\"{bug}\"");
    }
    crate::builds::check_nightly(&project.root)?;
    let krate = rustdoc_json(&crate_name, &crate_dir, &work, &cfg)?;
    let mut findings = api::check(&krate, &decls.module);
    let mut typed = probes::check(
        &decls.pairs,
        &decls.prelude,
        &work.join("probes"),
        &crate_name,
        &crate_dir,
        &cfg,
    )?;
    for f in &mut typed {
        // The probes name the subject's path; rustdoc knows where it is defined.
        f.location = locate(&krate, &f.location);
    }
    findings.extend(typed);
    for f in &mut findings {
        f.location = relative(project, &crate_dir, &f.location);
    }
    Ok((start.elapsed().as_secs_f64(), findings))
}

/// Holds `dir` (its `.lock` file) against another audit writing the same probes at once.
fn lock(dir: &Path) -> Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = std::fs::File::create(dir.join(".lock"))?;
    // SAFETY: `flock` on a file descriptor this function owns for the call; the lock lasts as
    // long as the returned file stays open.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        bail!(
            "locking {}: {}",
            dir.display(),
            std::io::Error::last_os_error()
        );
    }
    Ok(file)
}

/// Where the type at `path` is defined, from rustdoc's JSON.
fn locate(krate: &rustdoc_types::Crate, path: &str) -> String {
    let want: Vec<&str> = path.split("::").map(str::trim).collect();
    let name = want.last().copied().unwrap_or_default();
    // The item of that name whose path shares the longest start with the one asked for (a type
    // may be documented at a re-export's path).
    krate
        .paths
        .iter()
        .filter(|(_, s)| s.crate_id == 0 && s.path.last().map(String::as_str) == Some(name))
        .filter_map(|(id, s)| {
            let shared = s
                .path
                .iter()
                .zip(&want)
                .take_while(|(a, b)| a.as_str() == **b)
                .count();
            krate
                .index
                .get(id)
                .map(|item| (shared, api::location(item)))
        })
        .max()
        .map(|(_, location)| location)
        .unwrap_or_default()
}

/// A location relative to the workspace root (rustdoc gives it relative to the crate).
fn relative(project: &Project, crate_dir: &Path, location: &str) -> String {
    let file = location.split(':').next().unwrap_or_default();
    if location.is_empty() || project.root.join(file).is_file() {
        return location.to_owned(); // rustdoc ran from the workspace root
    }
    let full = crate_dir.join(location);
    full.strip_prefix(&project.root)
        .map_or_else(|_| location.to_owned(), |p| p.display().to_string())
}

/// The subject crate's public API, from `cargo +nightly rustdoc --output-format json`.
fn rustdoc_json(
    crate_name: &str,
    crate_dir: &Path,
    work: &Path,
    cfg: &str,
) -> Result<rustdoc_types::Crate> {
    let target_dir = work.join("doc");
    let mut cmd = Command::new("cargo");
    cmd.current_dir(crate_dir)
        .args(["+nightly", "rustdoc", "-q", "--lib", "--target-dir"])
        .arg(&target_dir)
        .args(["--", "-Zunstable-options", "--output-format", "json"])
        .env("RUSTFLAGS", cfg)
        .env_remove("CARGO_TARGET_DIR");
    for flag in cfg.split_whitespace().filter(|f| *f != "--cfg") {
        cmd.args(["--cfg", flag]);
    }
    let out = cmd.output().context("running cargo +nightly rustdoc")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .map_or_else(|| crate::process::last_words(&stderr), str::to_owned);
        bail!(
            "building {crate_name}'s API (cargo +nightly rustdoc, {}): {first}",
            cfg_note(cfg)
        );
    }
    let json = target_dir
        .join("doc")
        .join(format!("{}.json", crate_name.replace('-', "_")));
    let text =
        std::fs::read_to_string(&json).with_context(|| format!("reading {}", json.display()))?;
    let version: serde_json::Value = serde_json::from_str(&text).context("rustdoc's JSON")?;
    let format = version["format_version"].as_u64().unwrap_or(0);
    if format != u64::from(rustdoc_types::FORMAT_VERSION) {
        bail!(
            "nightly's rustdoc writes JSON format {format}, and this lockstep reads format {}: \
             use the nightly of 2026-05-19 (`rustup toolchain install nightly-2026-05-19`) or a \
             lockstep built with the matching rustdoc-types",
            rustdoc_types::FORMAT_VERSION
        );
    }
    serde_json::from_str(&text).with_context(|| format!("reading {}", json.display()))
}

fn cfg_note(cfg: &str) -> String {
    if cfg.is_empty() {
        "no seeded bug".into()
    } else {
        cfg.to_owned()
    }
}

/// The directory of the workspace crate called `name`.
fn crate_dir(project: &Project, name: &str) -> Result<PathBuf> {
    for dir in &project.subject_dirs {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let Ok(manifest) = text.parse::<toml::Table>() else {
            continue;
        };
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str());
        if package.is_some_and(|p| p.replace('-', "_") == name.replace('-', "_")) {
            return Ok(dir.clone());
        }
    }
    bail!(
        "the audit's module names crate `{name}`, which is not a crate under test in this \
         workspace: its first segment must be the subject crate's name"
    )
}

/// `fuzz/audit.toml`.
fn declarations_path(project: &Project) -> PathBuf {
    project.fuzz_dir.join("audit.toml")
}

/// The audit declarations of every target.
pub fn read_declarations(project: &Project) -> Result<BTreeMap<String, Declarations>> {
    let path = declarations_path(project);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: the audit needs it, with a `[target]` table per target (README: \"Audit\")",
            path.display()
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: {}",
            path.display(),
            e.to_string().lines().next().unwrap_or_default()
        )
    })
}

/// The stored audit cases of a target, by file name.
pub fn read_cases(project: &Project, target: &str) -> Result<Vec<(String, AuditCase)>> {
    let dir = project.corpus_dir(target, "audit");
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(cases);
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
    {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let case: AuditCase = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not an audit case ({}): fix or remove it",
                path.display(),
                e.to_string().lines().next().unwrap_or_default()
            )
        })?;
        if !matches!(case.expect.as_str(), "finding" | "fixed") {
            bail!(
                "{}: expect = {:?}, but it is \"finding\" or \"fixed\"",
                path.display(),
                case.expect
            );
        }
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        cases.push((name, case));
    }
    Ok(cases)
}

/// Stores a new finding as a case; its name.
fn store(
    project: &Project,
    target: &str,
    finding: &Finding,
    seeded: Option<&str>,
) -> Result<String> {
    let case = AuditCase {
        target: target.to_owned(),
        expect: "finding".into(),
        seeded_bug: seeded.map(str::to_owned),
        class: finding.class.clone(),
        key: finding.key.clone(),
        severity: finding.severity,
        location: finding.location.clone(),
        message: finding.message.clone(),
        found_by: "lockstep audit".into(),
    };
    // Named as the regression corpus names its cases: by the seeded bug, or else by the class,
    // and the start of the hash of what identifies it.
    let stem = seeded.map_or_else(|| format!("{target}-{}", finding.class), str::to_owned);
    let hash = lockstep::case::checksum(finding.key.as_bytes());
    let name = format!("{stem}-{}", &hash["fnv1a64:".len().."fnv1a64:".len() + 8]);
    write_case(project, &name, &case)?;
    Ok(name)
}

/// Writes `corpora/<target>/audit/<name>.toml`, with a first line that says what its verdict is.
fn write_case(project: &Project, name: &str, case: &AuditCase) -> Result<()> {
    let dir = project.corpus_dir(&case.target, "audit");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let header = match (&case.seeded_bug, case.expect.as_str()) {
        (Some(bug), _) => format!(
            "# lockstep audit case: reported with type-level seeded bug {bug} built in, and not without\n"
        ),
        (None, "fixed") => {
            "# lockstep audit case: fixed; the audit must not report it again\n".into()
        }
        (None, _) => format!(
            "# lockstep audit case: reported until it is fixed (then `lockstep audit {} \
             --mark-fixed`)\n",
            case.target
        ),
    };
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, header + &toml::to_string(case)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// `lockstep audit --check`: the stored cases' verdicts, and nothing else reported.
fn check(
    ctx: &Ctx,
    decls: &BTreeMap<String, Declarations>,
    targets: &[String],
) -> Result<ExitCode> {
    let project = &ctx.project;
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for target in targets {
        let d = &decls[target];
        let cases = read_cases(project, target)?;
        let (seconds, correct) = audit(project, target, d, None)?;
        let mut line = format!("{target}: correct build audited in {seconds:.1} s");
        for f in &correct {
            let stored = cases
                .iter()
                .find(|(_, c)| c.key == f.key && c.seeded_bug.is_none());
            match stored {
                _ if d.intended.contains_key(&f.key) => {}
                Some((_, c)) if c.expect == "finding" => {}
                Some((name, _)) => problems.push(format!(
                    "{name}: marked fixed, but the audit reports it again: {}",
                    f.message
                )),
                None => problems.push(format!(
                    "{target}: a finding no case holds: {} ({}): store it with `lockstep audit \
                     {target}`, fix it, or declare it intended",
                    f.message, f.location
                )),
            }
        }
        for key in d.intended.keys() {
            if !correct.iter().any(|f| &f.key == key) {
                line += &format!("; note: intended {key:?} matches no finding (remove it)");
            }
        }
        let keys: Vec<&str> = correct.iter().map(|f| f.key.as_str()).collect();
        let mut gone = Vec::new();
        for (name, _) in no_longer_reported(&cases, &keys) {
            gone.push(name.clone());
            problems.push(format!(
                "{name}: the audit no longer reports it: if it is fixed, `lockstep audit {target} \
                 --mark-fixed` marks it so"
            ));
        }
        rows.push(line);
        let findings = account(d, correct.clone(), &cases, None);
        keep(
            project,
            &Audit {
                target: target.clone(),
                seeded_bug: None,
                findings,
                pairs: d.pairs.len(),
                seconds,
                no_longer_reported: gone,
                marked_fixed: false,
            },
        )?;
        let mut bugs: Vec<&str> = cases
            .iter()
            .filter_map(|(_, c)| c.seeded_bug.as_deref())
            .collect();
        bugs.sort_unstable();
        bugs.dedup();
        for bug in bugs {
            let (seconds, seeded) = audit(project, target, d, Some(bug))?;
            for (name, case) in cases
                .iter()
                .filter(|(_, c)| c.seeded_bug.as_deref() == Some(bug))
            {
                let found = seeded
                    .iter()
                    .any(|f| f.key == case.key && f.class == case.class);
                let without = correct.iter().any(|f| f.key == case.key);
                match (found, without) {
                    (true, false) => rows.push(format!(
                        "{name}: reported with {bug} built in ({seconds:.1} s), not without"
                    )),
                    (false, _) => problems.push(format!(
                        "{name}: the audit with {bug} built in no longer reports `{}`",
                        case.key
                    )),
                    (true, true) => problems.push(format!(
                        "{name}: the audit reports `{}` without {bug} too",
                        case.key
                    )),
                }
            }
        }
    }
    if ctx.json {
        println!(
            "{}",
            serde_json::json!({ "checked": rows, "problems": problems })
        );
    } else {
        for row in &rows {
            println!("{row}");
        }
        for p in &problems {
            println!("FAILED {p}");
        }
        println!(
            "audit cases: {}",
            if problems.is_empty() {
                "all verdicts hold".to_owned()
            } else {
                format!("{} problem(s)", problems.len())
            }
        );
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate with one instance of each kind of finding, and the correct twin of each.
    const FIXTURE: &str = r#"
use std::marker::PhantomData;

pub mod api {
    /// Unbounded: the caller picks `'a`.
    pub fn leak<'a>(x: &u8) -> &'a u8 { let _ = x; Box::leak(Box::new(0)) }
    /// Bound: by the input.
    pub fn tied<'a>(x: &'a u8) -> &'a u8 { x }
    /// Bound: outlived by the input's lifetime.
    pub fn outlived<'a, 'b: 'a>(x: &'b u8) -> &'a u8 { x }
    /// Safe, with a raw pointer.
    pub fn peek(p: *const u8) -> usize { p as usize }
    /// # Safety
    /// None needed; unsafe, so not a finding.
    pub unsafe fn peek_unsafe(p: *const u8) -> usize { p as usize }

    pub struct Holder<T>(pub *mut T);
    // SAFETY: none: the fixture's unbounded impl.
    unsafe impl<T> Send for Holder<T> {}
    // SAFETY: bounded.
    unsafe impl<T: Sync> Sync for Holder<T> {}

    impl<T> Holder<T> {
        /// Unbounded, in a method.
        pub fn get<'a>(&self) -> Option<&'a T> { None }
        /// Bound by `&self`.
        pub fn fine(&self) -> Option<&T> { None }
    }
}

pub mod types {
    use super::PhantomData;
    /// Like `Vec<T>` in every way.
    pub struct Co<T>(Vec<T>);
    /// Invariant in `T`.
    pub struct Inv<T>(Vec<T>, PhantomData<fn(T) -> T>);
    /// A borrow that is contravariant in `'a`.
    pub struct Contra<'a, T>(PhantomData<fn(&'a ())>, Vec<T>);
    /// Not `Sync`, unlike `Vec<T>`.
    pub struct NotSync<T>(Vec<T>, PhantomData<std::cell::Cell<()>>);
    /// Its `Drop` may read its `T`s.
    pub struct Dropping<T>(Vec<T>);
    impl<T> Drop for Dropping<T> {
        fn drop(&mut self) {}
    }
}
"#;

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"fixture\"\nversion = \"0.0.0\"\nedition = \"2024\"\n[workspace]\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), FIXTURE).unwrap();
        dir
    }

    fn keys(findings: &[Finding]) -> Vec<(String, Severity)> {
        let mut keys: Vec<_> = findings
            .iter()
            .map(|f| (f.key.clone(), f.severity))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        keys
    }

    #[test]
    fn the_api_checks_find_each_kind_and_pass_its_correct_twin() {
        let dir = fixture();
        let krate = rustdoc_json("fixture", dir.path(), &dir.path().join("work"), "").unwrap();
        let findings = api::check(&krate, "fixture::api");
        assert_eq!(
            keys(&findings),
            [
                (
                    "raw-pointer-argument api::peek".to_owned(),
                    Severity::Unsound
                ),
                (
                    "send-sync unsafe impl Send for Holder<T>".to_owned(),
                    Severity::Unsound
                ),
                (
                    "unbounded-lifetime Holder<T>::get".to_owned(),
                    Severity::Unsound
                ),
                ("unbounded-lifetime api::leak".to_owned(), Severity::Unsound),
            ]
        );
        let leak = findings
            .iter()
            .find(|f| f.key.ends_with("api::leak"))
            .unwrap();
        assert!(
            leak.location.starts_with("src/lib.rs:"),
            "{}",
            leak.location
        );
        assert!(api::check(&krate, "fixture::types").is_empty());
    }

    #[test]
    fn the_type_checks_compare_variance_auto_traits_and_drop_check_with_the_model() {
        let dir = fixture();
        let pair = |s: &str, m: &str| Pair {
            subject: s.into(),
            model: m.into(),
        };
        let pairs = [
            pair("fixture::types::Co<T>", "Vec<T>"),
            pair("fixture::types::Inv<T>", "Vec<T>"),
            pair("fixture::types::Contra<'a, T>", "(&'a (), Vec<T>)"),
            pair("fixture::types::NotSync<T>", "Vec<T>"),
            pair("fixture::types::Dropping<T>", "Vec<T>"),
            pair("fixture::types::Co<T>", "std::cell::Cell<T>"),
        ];
        let findings = probes::check(
            &pairs,
            "",
            &dir.path().join("probes"),
            "fixture",
            dir.path(),
            "",
        )
        .unwrap();
        let keys = keys(&findings);
        // Each kind, and nothing else: `Co<T>` is `Vec<T>`; against `Cell<T>` it is covariant and
        // `Sync` where the model is neither.
        let expect = [
            ("auto-trait Co<T>: Sync in T: is with ", Severity::Unsound),
            (
                "auto-trait NotSync<T>: Sync in T: is not with ",
                Severity::Differs,
            ),
            (
                "drop-check Dropping<T>: in T: rejects &'x u8",
                Severity::Differs,
            ),
            (
                "variance Co<T>: in T: covariant, the model invariant",
                Severity::Unsound,
            ),
            (
                "variance Contra<'a, T>: in 'a: contravariant, the model covariant",
                Severity::Unsound,
            ),
            (
                "variance Inv<T>: in T: invariant, the model covariant",
                Severity::Differs,
            ),
        ];
        assert_eq!(keys.len(), expect.len(), "{keys:#?}");
        for ((key, severity), (want, want_severity)) in keys.iter().zip(expect) {
            assert!(
                key.starts_with(want) && *severity == want_severity,
                "{key} is not {want}"
            );
        }
        let sync = findings
            .iter()
            .find(|f| f.key.starts_with("auto-trait NotSync"))
            .unwrap();
        assert!(
            sync.message
                .contains("`NotSync<u8>` is not Sync but `Vec<u8>` is"),
            "{}",
            sync.message
        );
    }

    #[test]
    fn a_pair_that_does_not_build_is_an_error_naming_it() {
        let dir = fixture();
        let pairs = [Pair {
            subject: "fixture::types::Missing<T>".into(),
            model: "Vec<T>".into(),
        }];
        let err = probes::check(
            &pairs,
            "",
            &dir.path().join("probes"),
            "fixture",
            dir.path(),
            "",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`fixture::types::Missing<T>` does not build"),
            "{err}"
        );
        let pairs = [Pair {
            subject: "fixture::types::Contra<'a, T>".into(),
            model: "Vec<T>".into(),
        }];
        let err = probes::check(
            &pairs,
            "",
            &dir.path().join("probes"),
            "fixture",
            dir.path(),
            "",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("the model does not use the parameter `'a`"),
            "{err}"
        );
    }
}
