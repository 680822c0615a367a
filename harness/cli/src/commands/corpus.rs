//! `lockstep corpus`: the regression corpus under `corpora/<target>/regressions/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lockstep_store::corpus::{self, CaseMeta, Expect, StoredCase};
use serde::Serialize;

use super::triage::{EngineArgs, short_name};
use super::{Ctx, status};
use crate::builds::Builds;
use crate::engines::{self, Engine, Limits, Verdict};
use crate::project::Project;
use crate::triage::{self, Triaged};
use crate::ui;

/// The corpus subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Replay every case and check it gives its stored verdict.
    Check(CheckArgs),
    /// Triage a failing case and store it (refused if its signature is already stored).
    Add(AddArgs),
    /// List the stored cases.
    List {
        /// Only these targets.
        targets: Vec<String>,
    },
    /// Recompute the checksums of cases whose trace was edited on purpose.
    Rehash {
        /// The target.
        target: String,
        /// The cases' names.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

/// `lockstep corpus check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Only these targets (all by default).
    targets: Vec<String>,
    /// Also replay under Miri, in both aliasing models.
    #[arg(long)]
    miri: bool,
    /// Also replay with AddressSanitizer.
    #[arg(long)]
    asan: bool,
    /// Time limit for one native or ASan replay, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    timeout: u64,
    /// Time limit for one Miri replay, in seconds.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    miri_timeout: u64,
    /// Cases checked at once (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<std::num::NonZeroUsize>,
}

/// `lockstep corpus add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The target.
    target: String,
    /// The case: fuzzer bytes or a trace (shrink it first with `lockstep shrink`).
    #[arg(value_parser = crate::ui::absolute)]
    file: PathBuf,
    /// The verdict it must give: `pass` once the bug is fixed (the default without a seeded
    /// bug), `fail` while it must still be detected (the default with one).
    #[arg(long, value_parser = parse_expect)]
    expect: Option<Expect>,
    /// Who found it, for the record.
    #[arg(long, default_value = "lockstep corpus add")]
    found_by: String,
    #[command(flatten)]
    engines: EngineArgs,
}

fn parse_expect(s: &str) -> Result<Expect, String> {
    match s {
        "pass" => Ok(Expect::Pass),
        "fail" => Ok(Expect::Fail),
        _ => Err("the verdicts are `pass` and `fail`".to_owned()),
    }
}

/// Runs a `lockstep corpus` subcommand.
pub fn run(ctx: &Ctx, cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Check(args) => check(ctx, &args),
        Command::Add(args) => add(ctx, &args),
        Command::List { targets } => list(ctx, &targets),
        Command::Rehash { target, names } => rehash(ctx, &target, &names),
    }
}

/// The cases of `targets` (every target when empty).
pub fn cases(project: &Project, targets: &[String]) -> Result<Vec<StoredCase>> {
    let targets: Vec<&String> = if targets.is_empty() {
        project.targets.iter().collect()
    } else {
        targets.iter().collect()
    };
    let mut all = Vec::new();
    for target in targets {
        project.check_target(target)?;
        let stored = corpus::read_dir(&project.corpus_dir(target, "regressions"))?;
        for case in &stored {
            if case.meta.target != *target {
                bail!(
                    "{}: stored under `{target}` but its metadata says `{}`",
                    case.trace_path.display(),
                    case.meta.target
                );
            }
        }
        all.extend(stored);
    }
    Ok(all)
}

/// What checking one case found.
#[derive(Debug, Serialize)]
struct Checked {
    case: String,
    target: String,
    expect: Expect,
    /// Per engine: what it said with the case's seeded bug on, and without it.
    cells: Vec<(Engine, String)>,
    ok: bool,
    /// Why it does not give its verdict.
    problems: Vec<String>,
    /// Engines that would be needed to check its detection fully.
    unchecked: Vec<String>,
}

fn check(ctx: &Ctx, args: &CheckArgs) -> Result<ExitCode> {
    let cases = cases(&ctx.project, &args.targets)?;
    let builds = Builds::new(&ctx.project);
    let mut engines = vec![Engine::Native];
    if args.asan {
        engines.push(Engine::Asan);
    }
    if args.miri {
        engines.extend([Engine::MiriSb, Engine::MiriTb]);
    }
    let limits = Limits {
        native: std::time::Duration::from_secs(args.timeout),
        miri: std::time::Duration::from_secs(args.miri_timeout),
        ..Limits::default()
    };
    // A case's `seeded_bug` comes from a file anyone can edit: it names bugs of the catalogue,
    // or the case is refused before anything runs with it.
    let known_bugs = if cases.iter().any(|c| c.meta.seeded_bug.is_some()) {
        ctx.seeded_bugs(&builds)?
    } else {
        Vec::new()
    };
    for case in &cases {
        check_case_bugs(case, &known_bugs)?;
    }
    // Everything is built before the cases are checked side by side, so no two build at once.
    builds.native_replay()?;
    if args.asan {
        builds.asan_replay()?;
    }
    if args.miri {
        builds.miri()?;
    }
    let jobs = args
        .jobs
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, std::num::NonZeroUsize::get);
    let spinner = ui::spinner(format!("checking {} cases", cases.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Result<Checked>>>> =
        std::sync::Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(cases.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let result = check_case(&ctx.project, &builds, case, &engines, limits);
                    let mut results = results.lock().unwrap_or_else(|e| e.into_inner());
                    results[i] = Some(result);
                    let done = results.iter().filter(|r| r.is_some()).count();
                    spinner.set_message(format!("checked {done} of {} cases", cases.len()));
                }
            });
        }
    });
    spinner.finish_and_clear();
    let checked = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every case was checked"))
        .collect::<Result<Vec<Checked>>>()?;
    let failed = checked.iter().filter(|c| !c.ok).count();
    let partial = checked
        .iter()
        .filter(|c| c.ok && !c.unchecked.is_empty())
        .count();
    if ctx.json {
        println!("{}", serde_json::to_string(&checked)?);
        return Ok(status(failed > 0));
    }
    let mut header = vec!["case", "target", "expect"];
    let names: Vec<String> = engines.iter().map(ToString::to_string).collect();
    header.extend(names.iter().map(String::as_str));
    header.push("result");
    let rows: Vec<Vec<String>> = checked
        .iter()
        .map(|c| {
            let mut row = vec![c.case.clone(), c.target.clone(), c.expect.to_string()];
            row.extend(c.cells.iter().map(|(_, cell)| cell.clone()));
            row.push(if !c.ok {
                console::style("WRONG VERDICT").red().bold().to_string()
            } else if c.unchecked.is_empty() {
                console::style("ok").green().to_string()
            } else {
                format!(
                    "ok (detection not checked: needs {})",
                    c.unchecked.join(", ")
                )
            });
            row
        })
        .collect();
    print!("{}", ui::table(&header, &rows));
    for c in checked.iter().filter(|c| !c.ok) {
        for problem in &c.problems {
            println!("{}/{}: {problem}", c.target, c.case);
        }
    }
    println!(
        "\n{} {}: {} {} {} verdict, {failed} {}{}",
        checked.len(),
        ui::plural(checked.len(), "case", "cases"),
        checked.len() - failed,
        ui::plural(checked.len() - failed, "gives", "give"),
        ui::plural(checked.len() - failed, "its", "their"),
        ui::plural(failed, "does not", "do not"),
        if partial > 0 {
            format!(
                "; {partial} {} checked without the engines that detect {} (add --asan / --miri)",
                ui::plural(partial, "was", "were"),
                ui::plural(partial, "it", "them"),
            )
        } else {
            String::new()
        }
    );
    Ok(status(failed > 0))
}

/// Refuses a case whose `seeded_bug` names anything but bugs of `bugs`.
pub fn check_case_bugs(case: &StoredCase, bugs: &[lockstep::SeededBugInfo]) -> Result<()> {
    let Some(list) = &case.meta.seeded_bug else {
        return Ok(());
    };
    for id in super::bug_ids(list) {
        super::find_bug(bugs, id).with_context(|| {
            format!(
                "{}: its `seeded_bug` is not a list of seeded bugs",
                case.trace_path.with_extension("toml").display()
            )
        })?;
    }
    Ok(())
}

/// The replay of one case by one engine, its seeded bug on or off.
fn replay(
    project: &Project,
    builds: &Builds<'_>,
    engine: Engine,
    case: &StoredCase,
    bug: Option<&str>,
    limits: Limits,
) -> Result<Verdict> {
    engines::replay(
        project,
        builds,
        engine,
        &case.meta.target,
        &case.trace_path,
        bug,
        limits,
    )
}

fn check_case(
    project: &Project,
    builds: &Builds<'_>,
    case: &StoredCase,
    engines: &[Engine],
    limits: Limits,
) -> Result<Checked> {
    let meta = &case.meta;
    let bug = meta.seeded_bug.as_deref();
    let mut cells = Vec::new();
    let mut problems = Vec::new();
    let saw = meta.engines_that_saw();
    // What each engine said with the bug on, for the signature triage would give.
    let mut verdicts = std::collections::BTreeMap::new();
    for &engine in engines {
        let with = replay(project, builds, engine, case, bug, limits)?;
        verdicts.insert(engine, with.clone());
        let mut cell = with.cell();
        let mut errors = Vec::new();
        if let Verdict::Error { message } = &with {
            errors.push(format!("{engine}: {message}"));
        }
        let without = match (meta.expect, bug) {
            (Expect::Fail, Some(_)) => {
                let without = replay(project, builds, engine, case, None, limits)?;
                cell = format!("{cell} / {}", without.cell());
                if let Verdict::Error { message } = &without {
                    errors.push(format!("{engine} (seeded bugs off): {message}"));
                }
                Some(without)
            }
            _ => None,
        };
        if errors.is_empty() {
            problems.extend(corpus::verdict_problems(
                meta,
                engine,
                Some(with.finding().map(|f| &f.class)),
                without.as_ref().map(|w| w.finding().map(|f| &f.class)),
            ));
        }
        problems.extend(errors);
        cells.push((engine, ui::verdict_cell(&cell)));
    }
    // With every engine run, a failing case gives the signature it was stored under, or a
    // campaign would not know its finding: the code it names moved.
    let now = crate::triage::primary(&verdicts).map(|(_, f)| f.signature());
    if let (Expect::Fail, true, Some(now)) = (meta.expect, engines.len() == 4, now) {
        if now != meta.signature && problems.is_empty() {
            problems.push(format!(
                "stored as `{}`, the engines now say `{now}` (the code it names moved): set \
                 `signature = \"{now}\"` in its .toml",
                meta.signature
            ));
        }
    }
    // A failing case none of whose detecting engines ran was only checked to pass without its
    // bug: say which engines its detection needs.
    let detected_by_a_run_engine = engines.iter().any(|e| saw.contains(e));
    let unchecked: Vec<String> = match meta.expect {
        Expect::Fail if !detected_by_a_run_engine => saw.iter().map(ToString::to_string).collect(),
        _ => Vec::new(),
    };
    Ok(Checked {
        case: case.name.clone(),
        target: meta.target.clone(),
        expect: meta.expect,
        cells,
        ok: problems.is_empty(),
        problems,
        unchecked,
    })
}

/// What storing a triaged case did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "stored")]
pub enum Stored {
    /// A new case, with its name.
    New {
        /// Its name.
        name: String,
    },
    /// A case with this signature (and seeded bug) was already stored, under this name.
    Duplicate {
        /// The existing case's name.
        name: String,
    },
}

/// Stores a triaged, failing case: its trace, its bytes (when it was found as bytes) and its
/// metadata. Nothing existing is replaced: a case with the same signature (and seeded bug) is a
/// duplicate, and files are created, never overwritten.
#[expect(
    clippy::too_many_arguments,
    reason = "everything a stored case records"
)]
pub fn store(
    project: &Project,
    target: &str,
    trace: &str,
    bytes: Option<&[u8]>,
    triaged: &Triaged,
    seeded_bug: Option<&str>,
    expect: Expect,
    ops_before_shrink: Option<usize>,
    found_by: &str,
) -> Result<Stored> {
    let signature = triaged
        .signature()
        .context("the case passes under every engine: a regression case records a failure")?;
    let dir = project.corpus_dir(target, "regressions");
    for existing in corpus::read_dir(&dir)? {
        if existing.meta.signature == signature && existing.meta.seeded_bug.as_deref() == seeded_bug
        {
            return Ok(Stored::Duplicate {
                name: existing.name,
            });
        }
    }
    let meta = CaseMeta {
        target: target.to_owned(),
        expect,
        seeded_bug: seeded_bug.map(str::to_owned),
        signature,
        seen: triaged.seen(),
        ops: lockstep::trace::op_lines(trace).len(),
        ops_before_shrink,
        found_by: found_by.to_owned(),
        trace_checksum: corpus::checksum(trace.as_bytes()),
        bytes_checksum: bytes.map(corpus::checksum),
    };
    let name = corpus::case_name(&meta);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = |ext: &str| dir.join(format!("{name}.{ext}"));
    super::shrink::write_new(&path("trace"), trace)?;
    if let Some(bytes) = bytes {
        write_new_bytes(&path("bin"), bytes)?;
    }
    // The metadata last: a case without it is visibly incomplete (an orphan trace).
    super::shrink::write_new(
        &path("toml"),
        &corpus::meta_text(&meta).map_err(anyhow::Error::msg)?,
    )?;
    Ok(Stored::New { name })
}

fn write_new_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

fn add(ctx: &Ctx, args: &AddArgs) -> Result<ExitCode> {
    ctx.project.check_target(&args.target)?;
    let case = lockstep::case::read(&args.file)?;
    let builds = Builds::new(&ctx.project);
    let seeded = ctx.seeded_list(&builds, &args.engines.seeded_bug, Some(&args.target))?;
    let seeded = seeded.as_deref();
    let engines = triage::parse_engines(&args.engines.engines)?;
    let spinner = ui::spinner(format!("triaging {}", args.file.display()));
    let triaged = triage::triage(
        &ctx.project,
        &builds,
        &args.target,
        &args.file,
        &engines,
        seeded,
        args.engines.limits(),
    );
    spinner.finish_and_clear();
    let triaged = triaged?;
    // A trace is kept as written (its comments say why the case matters); bytes are decoded.
    let (trace, bytes) = match &case {
        lockstep::case::Case::Bytes(b) => (
            super::shrink::to_trace(&builds, &args.target, &args.file)?,
            Some(b.as_slice()),
        ),
        lockstep::case::Case::Trace(text) => (text.clone(), None),
    };
    let expect = args.expect.unwrap_or(if seeded.is_some() {
        Expect::Fail
    } else {
        Expect::Pass
    });
    let stored = store(
        &ctx.project,
        &args.target,
        &trace,
        bytes,
        &triaged,
        seeded,
        expect,
        None,
        &args.found_by,
    )?;
    if ctx.json {
        println!("{}", serde_json::to_string(&stored)?);
    }
    match stored {
        Stored::New { name } => {
            if !ctx.json {
                println!(
                    "stored {} as {}/{name} ({}; expect {expect})",
                    short_name(&args.file),
                    ctx.project.relative(
                        &ctx.project
                            .corpus_dir(&args.target, "regressions")
                            .to_string_lossy()
                    ),
                    triaged.signature().unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Stored::Duplicate { name } => {
            if !ctx.json {
                println!(
                    "refused: {} has the signature of the stored case {name} ({})",
                    short_name(&args.file),
                    triaged.signature().unwrap_or_default()
                );
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn list(ctx: &Ctx, targets: &[String]) -> Result<ExitCode> {
    let cases = cases(&ctx.project, targets)?;
    if ctx.json {
        let metas: Vec<(&str, &CaseMeta)> =
            cases.iter().map(|c| (c.name.as_str(), &c.meta)).collect();
        println!("{}", serde_json::to_string(&metas)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|c| {
            let m = &c.meta;
            vec![
                c.name.clone(),
                m.target.clone(),
                m.expect.to_string(),
                m.seeded_bug.clone().unwrap_or_else(|| "-".into()),
                m.ops.to_string(),
                m.signature.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        ui::table(
            &["case", "target", "expect", "seeded bug", "ops", "signature"],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn rehash(ctx: &Ctx, target: &str, names: &[String]) -> Result<ExitCode> {
    ctx.project.check_target(target)?;
    let dir = ctx.project.corpus_dir(target, "regressions");
    for name in names {
        let meta_path = dir.join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&meta_path)
            .with_context(|| format!("reading {}", meta_path.display()))?;
        let mut meta: CaseMeta =
            toml::from_str(&text).with_context(|| format!("reading {}", meta_path.display()))?;
        let trace = std::fs::read(dir.join(format!("{name}.trace")))
            .with_context(|| format!("reading {name}.trace"))?;
        meta.trace_checksum = corpus::checksum(&trace);
        meta.ops = lockstep::trace::op_lines(&String::from_utf8_lossy(&trace)).len();
        if meta.bytes_checksum.is_some() {
            let bytes = std::fs::read(dir.join(format!("{name}.bin")))
                .with_context(|| format!("reading {name}.bin"))?;
            meta.bytes_checksum = Some(corpus::checksum(&bytes));
        }
        std::fs::write(
            &meta_path,
            corpus::meta_text(&meta).map_err(anyhow::Error::msg)?,
        )
        .with_context(|| format!("writing {}", meta_path.display()))?;
        println!("rehashed {target}/{name}");
    }
    Ok(ExitCode::SUCCESS)
}
