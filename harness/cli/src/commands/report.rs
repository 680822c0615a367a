//! `lockstep report`: one self-contained HTML page (no scripts, no network) of what the
//! campaigns did and what they never reached, per target: coverage, exec/s and findings over
//! time (drawn with plotters, as inline SVG), the op coverage table, the source coverage with
//! the unsafe blocks no input reached, every finding of the last campaign and the regression
//! corpus. `--json` gives the same data.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lockstep::op_coverage::OpCoverage;
use lockstep_store::corpus::{self, Accepted};
use plotters::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::Ctx;
use super::audit::{self, Audit, AuditCase};
use super::coverage::SourceCoverage;
use crate::project::Project;

/// Write the report page.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The targets to report on (default: every target).
    targets: Vec<String>,
    /// Where to write the page.
    #[arg(long, value_name = "FILE", default_value = "fuzz/report/index.html")]
    out: PathBuf,
}

/// Everything the page shows.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Seconds since the Unix epoch when it was made.
    pub generated_secs: u64,
    /// One entry per target.
    pub targets: Vec<TargetReport>,
}

/// What the page shows of one target.
#[derive(Debug, Serialize)]
pub struct TargetReport {
    /// The target.
    pub target: String,
    /// Campaigns recorded for it (every history file, seeded or not).
    pub campaigns: usize,
    /// The last campaign without a seeded bug (or, if there is none, the last one).
    pub last: Option<CampaignData>,
    /// Op coverage of the last campaign's inputs.
    pub op_coverage: Option<OpCoverage>,
    /// The variants `accepted.toml` expects to do no real work, with the reason.
    pub accepted_ops: BTreeMap<String, String>,
    /// `accepted.toml` itself, which the idle variants are checked against.
    #[serde(skip)]
    pub accepted: Accepted,
    /// Source coverage, as `lockstep coverage` last measured it.
    pub source: Option<SourceCoverage>,
    /// The regression corpus.
    pub regressions: Vec<Regression>,
    /// The last `lockstep audit` of the correct build (`fuzz/audit/<target>.json`).
    pub audit: Option<Audit>,
    /// The stored audit cases (`corpora/<target>/audit/`), by name.
    pub audit_cases: Vec<(String, AuditCase)>,
}

/// One campaign, as its files under `fuzz/history/` recorded it.
#[derive(Debug, Serialize)]
pub struct CampaignData {
    /// The history file.
    pub history: String,
    /// Its first line: what ran.
    pub header: Value,
    /// One sample a second.
    pub samples: Vec<Sample>,
    /// Whether it ended normally (its last sample is marked).
    pub ended: bool,
    /// The summary `lockstep fuzz --json` printed for it, with its findings.
    pub summary: Option<Value>,
}

/// One sample of a history.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize)]
pub struct Sample {
    /// Seconds since fuzzing started.
    pub t: f64,
    /// Executions.
    pub execs: u64,
    /// Executions per second.
    pub exec_per_sec: u64,
    /// Coverage (libFuzzer's `cov`, or AFL++'s edges).
    pub coverage: u64,
    /// Corpus entries.
    pub corpus: u64,
    /// Distinct failures so far.
    pub failures: u64,
}

/// A stored regression case.
#[derive(Debug, Serialize)]
pub struct Regression {
    /// Its name.
    pub name: String,
    /// Whether it must fail (a known bug kept seeded) or pass (a fixed one).
    pub expect: String,
    /// Its signature.
    pub signature: String,
    /// How bad it is.
    pub severity: String,
    /// The seeded bug it shows, if any.
    pub seeded_bug: Option<String>,
    /// Engine -> class: the triage table.
    pub seen: BTreeMap<String, String>,
    /// Its ops.
    pub ops: usize,
    /// What found it.
    pub found_by: String,
    /// The trace.
    pub trace: String,
}

/// Runs `lockstep report`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    let targets = if args.targets.is_empty() {
        project.targets.clone()
    } else {
        for t in &args.targets {
            project.check_target(t)?;
        }
        args.targets.clone()
    };
    let report = Report {
        generated_secs: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        targets: targets
            .iter()
            .map(|t| gather(project, t))
            .collect::<Result<_>>()?,
    };
    if report.targets.iter().all(|t| t.last.is_none()) {
        bail!(
            "no campaign has been recorded for {}: run `lockstep fuzz` first (campaigns record \
             their history in fuzz/history/)",
            targets.join(", ")
        );
    }
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        project.root.join(&args.out)
    };
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&out, html(&report)?).with_context(|| format!("writing {}", out.display()))?;
    if ctx.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        for t in &report.targets {
            println!("{}", one_line(t));
        }
        println!("report: {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn one_line(t: &TargetReport) -> String {
    let Some(last) = &t.last else {
        return format!("{}: no campaign recorded", t.target);
    };
    let end = last.samples.last();
    let mut line = format!(
        "{}: last campaign {:.0} s, {} execs, coverage {}, {} distinct failures",
        t.target,
        end.map_or(0.0, |s| s.t),
        end.map_or(0, |s| s.execs),
        end.map_or(0, |s| s.coverage),
        end.map_or(0, |s| s.failures)
    );
    if let Some(ops) = &t.op_coverage {
        let idle = idle_variants(ops, &t.accepted).len();
        let _ = write!(line, "; {idle} op variant(s) did no real work");
    }
    match &t.source {
        Some(s) => {
            let _ = write!(
                line,
                "; unsafe blocks never reached: {} of {}",
                s.unreached().count(),
                s.compiled_blocks()
            );
        }
        None => line.push_str("; source coverage not measured (`lockstep coverage`)"),
    }
    match &t.audit {
        Some(a) => {
            let live = a.findings.iter().filter(|r| r.intended.is_none()).count();
            let _ = write!(line, "; audit: {live} finding(s) not intended");
        }
        None => line.push_str("; not audited (`lockstep audit`)"),
    }
    line
}

/// The variants that did no real work and are not accepted, with why: what `lockstep fuzz`
/// warns about.
fn idle_variants(ops: &OpCoverage, accepted: &Accepted) -> Vec<String> {
    crate::op_coverage::check(ops, accepted).warnings
}

fn gather(project: &Project, target: &str) -> Result<TargetReport> {
    let histories = histories(&project.campaign_dir("history", target, None));
    let plain = histories
        .iter()
        .filter(|(_, seeded)| !seeded)
        .map(|(p, _)| p)
        .next_back();
    let chosen = plain.or_else(|| histories.iter().map(|(p, _)| p).next_back());
    let last = chosen.map(|p| read_campaign(project, p)).transpose()?;
    let op_coverage = match chosen {
        Some(history) => read_kept(&history.with_extension("ops.json"))?,
        None => None,
    };
    let accepted: Accepted =
        corpus::read_accepted(&project.corpora.join(target).join("accepted.toml"))?;
    let source_file = project
        .fuzz_dir
        .join("coverage")
        .join(target)
        .join("lockstep.json");
    let source = read_kept(&source_file)?;
    let regressions = corpus::read_dir(&project.corpus_dir(target, "regressions"))?
        .into_iter()
        .map(|case| {
            // The worst any engine saw (memory safety first).
            let severity = case.meta.seen.values().map(|c| c.severity()).min();
            Regression {
                severity: severity.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                trace: std::fs::read_to_string(&case.trace_path).unwrap_or_default(),
                name: case.name,
                expect: format!("{:?}", case.meta.expect).to_lowercase(),
                signature: case.meta.signature,
                seeded_bug: case.meta.seeded_bug,
                seen: case
                    .meta
                    .seen
                    .iter()
                    .map(|(e, c)| (e.to_string(), c.to_string()))
                    .collect(),
                ops: case.meta.ops,
                found_by: case.meta.found_by,
            }
        })
        .collect();
    let audit_file = project
        .fuzz_dir
        .join("audit")
        .join(format!("{target}.json"));
    let audit = read_kept(&audit_file)?;
    Ok(TargetReport {
        audit,
        audit_cases: audit::read_cases(project, target)?,
        target: target.to_owned(),
        campaigns: histories.len(),
        last,
        op_coverage,
        accepted_ops: accepted
            .accept
            .iter()
            .filter_map(|a| Some((a.op.clone()?, a.reason.clone())))
            .collect(),
        accepted,
        source,
        regressions,
    })
}

/// What a command kept for the report (`lockstep coverage`'s, `lockstep audit`'s, a campaign's
/// op coverage): `None` when it never ran, an error when the file is not what it wrote.
fn read_kept<T: serde::de::DeserializeOwned>(file: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(file) {
        Ok(text) => Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("reading {}", file.display()))?,
        )),
        Err(_) => Ok(None),
    }
}

/// Every history file of a target, oldest first, each with whether a seeded bug was on.
fn histories(dir: &Path) -> Vec<(PathBuf, bool)> {
    let mut found = Vec::new();
    let mut dirs = vec![(dir.to_path_buf(), false)];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() && e.file_name().to_string_lossy().starts_with("seeded-") {
                dirs.push((e.path(), true));
            }
        }
    }
    for (dir, seeded) in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for p in entries.flatten().map(|e| e.path()) {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            if let Some(ms) = name
                .strip_prefix("campaign-")
                .and_then(|n| n.strip_suffix(".jsonl"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                found.push((ms, p, seeded));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, p, s)| (p, s)).collect()
}

fn read_campaign(project: &Project, history: &Path) -> Result<CampaignData> {
    let text = std::fs::read_to_string(history)
        .with_context(|| format!("reading {}", history.display()))?;
    let mut lines = text.lines();
    let header: Value = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .with_context(|| format!("{}: no header line", history.display()))?;
    let mut samples = Vec::new();
    let mut ended = false;
    // A killed campaign may have left half a line last: whole lines are what it recorded.
    for line in lines {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        ended |= value["last"] == true;
        if let Ok(sample) = serde_json::from_value::<Sample>(value) {
            samples.push(sample);
        }
    }
    let summary = std::fs::read_to_string(history.with_extension("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    Ok(CampaignData {
        history: project.relative(&history.to_string_lossy()).to_owned(),
        header,
        samples,
        ended,
        summary,
    })
}

// ---- The page.

fn html(report: &Report) -> Result<String> {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>lockstep report</title>\n<style>\n",
    );
    page.push_str(CSS);
    page.push_str("</style>\n</head>\n<body>\n<h1>lockstep report</h1>\n<nav>");
    for t in &report.targets {
        let _ = write!(page, "<a href=\"#{0}\">{0}</a> ", esc(&t.target));
    }
    page.push_str("</nav>\n");
    for t in &report.targets {
        target_section(&mut page, t)?;
    }
    let _ = write!(
        page,
        "<footer>Made by <code>lockstep report</code> at {} UTC.</footer>\n</body>\n</html>\n",
        utc(report.generated_secs)
    );
    Ok(page)
}

const CSS: &str = "body{font-family:sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}\
h1{font-size:1.6em}h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em}\
h3{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}th{text-align:left}td:first-child{text-align:left}\
td.l{text-align:left}tr.warn td{background:#fff3cd}tr.accepted td{color:#777}\
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0}figcaption{font-size:.85em;color:#555}\
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:.85em}.bad{color:#a00;font-weight:bold}\
.ok{color:#070}nav a{margin-right:1em}footer{margin-top:3em;color:#777;font-size:.8em}\
summary{cursor:pointer}.muted{color:#777}\n";

fn target_section(page: &mut String, t: &TargetReport) -> Result<()> {
    let _ = writeln!(page, "<section id=\"{0}\">\n<h2>{0}</h2>", esc(&t.target));
    let Some(last) = &t.last else {
        page.push_str("<p>No campaign recorded: run <code>lockstep fuzz</code>.</p>\n");
        audit_section(page, t);
        page.push_str("</section>\n");
        return Ok(());
    };
    let end = last.samples.last().copied();
    let header = &last.header;
    let _ = writeln!(
        page,
        "<p>Last campaign{}: {} with {} job(s), budget {} s, started {} UTC{}; {} campaign(s) \
         recorded. History: <code>{}</code>.</p>",
        header["seeded_bug"]
            .as_str()
            .map_or(String::new(), |b| format!(
                " (seeded bug <code>{}</code>)",
                esc(b)
            )),
        esc(&header["fuzzers"]
            .as_array()
            .map(|f| f
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" + "))
            .unwrap_or_default()),
        header["jobs"],
        header["budget_secs"],
        utc(header["started_ms"].as_u64().unwrap_or(0) / 1000),
        if last.ended {
            ""
        } else {
            " (it did not end normally: killed?)"
        },
        t.campaigns,
        esc(&last.history)
    );
    if let Some(s) = end {
        let _ = writeln!(
            page,
            "<table><tr><th>time</th><th>execs</th><th>exec/s</th><th>coverage</th>\
             <th>corpus</th><th>distinct failures</th></tr><tr><td>{:.0} s</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
            s.t, s.execs, s.exec_per_sec, s.coverage, s.corpus, s.failures
        );
    }
    page.push_str("<div class=\"plots\">\n");
    type Pick = fn(&Sample) -> u64;
    let plots: [(&str, &str, Pick); 3] = [
        ("coverage", "coverage", |s| s.coverage),
        ("exec/s", "executions per second", |s| s.exec_per_sec),
        ("findings", "distinct failures", |s| s.failures),
    ];
    for (name, caption, pick) in plots {
        let svg = plot(&last.samples, name, pick)?;
        let _ = writeln!(
            page,
            "<figure class=\"plot\" data-plot=\"{name}\">{svg}<figcaption>{caption} over time \
             (seconds)</figcaption></figure>"
        );
    }
    page.push_str("</div>\n");
    op_section(page, t);
    source_section(page, t);
    findings_section(page, last);
    regressions_section(page, t);
    audit_section(page, t);
    page.push_str("</section>\n");
    Ok(())
}

/// A line chart of one figure of the samples, as SVG.
fn plot(samples: &[Sample], name: &str, pick: fn(&Sample) -> u64) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (330, 210)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let t_max = samples.iter().map(|s| s.t).fold(1.0, f64::max);
        let y_max = samples.iter().map(pick).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(name, ("sans-serif", 15))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(24)
            .y_label_area_size(48)
            .build_cartesian_2d(0.0..t_max, 0..y_max + y_max / 10 + 1)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(6)
            .x_label_formatter(&|t| format!("{t:.0}"))
            .y_labels(6)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .draw_series(LineSeries::new(
                samples.iter().map(|s| (s.t, pick(s))),
                RGBColor(31, 119, 180).stroke_width(2),
            ))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(svg)
}

fn op_section(page: &mut String, t: &TargetReport) {
    page.push_str("<h3>Op coverage</h3>\n");
    let Some(ops) = &t.op_coverage else {
        page.push_str(
            "<p class=\"muted\">Not counted for this campaign (campaigns count it when they \
             end).</p>\n",
        );
        return;
    };
    let idle = idle_variants(ops, &t.accepted);
    let _ = writeln!(
        page,
        "<p>Over the {} inputs the campaign kept ({} ops), run on the model. {}</p>",
        ops.cases,
        ops.ops,
        if idle.is_empty() {
            "<span class=\"ok\">Every variant did real work</span> (or is accepted not to)."
                .to_owned()
        } else {
            format!(
                "<span class=\"bad\">{} variant(s) did no real work</span>: the campaign tested \
                 nothing there.",
                idle.len()
            )
        }
    );
    page.push_str("<table class=\"ops\"><tr><th>variant</th>");
    for column in lockstep::op_coverage::VariantCoverage::COLUMNS {
        let _ = write!(page, "<th>{column}</th>");
    }
    page.push_str("<th>note</th></tr>\n");
    for v in &ops.variants {
        let (class, note) = match (t.accepted_ops.get(&v.name), v.warning()) {
            (Some(reason), Some(_)) => ("accepted", format!("accepted: {reason}")),
            (None, Some(w)) => ("warn", w),
            _ => ("", String::new()),
        };
        let indent = if v.nested { "&nbsp;&nbsp;" } else { "" };
        let _ = write!(
            page,
            "<tr class=\"{class}\"><td>{indent}<code>{}</code></td>",
            esc(&v.name)
        );
        for cell in v.cells() {
            let _ = write!(page, "<td>{cell}</td>");
        }
        let _ = writeln!(page, "<td class=\"l\">{}</td></tr>", esc(&note));
    }
    page.push_str("</table>\n");
}

fn source_section(page: &mut String, t: &TargetReport) {
    page.push_str("<h3>Source coverage</h3>\n");
    let Some(s) = &t.source else {
        let _ = writeln!(
            page,
            "<p class=\"muted\">Not measured: run <code>lockstep coverage {}</code>.</p>",
            esc(&t.target)
        );
        return;
    };
    let unreached: Vec<_> = s.unreached().collect();
    let _ = writeln!(
        page,
        "<p>Over {} inputs: <span class=\"{}\">unsafe blocks never reached: {} of {}</span>.</p>",
        s.inputs,
        if unreached.is_empty() { "ok" } else { "bad" },
        unreached.len(),
        s.compiled_blocks()
    );
    if !unreached.is_empty() {
        page.push_str("<table class=\"unreached\"><tr><th>unsafe block</th><th>in</th></tr>\n");
        for (file, b) in unreached {
            let _ = writeln!(
                page,
                "<tr><td><code>{}:{}:{}</code></td><td class=\"l\">{}</td></tr>",
                esc(file),
                b.line,
                b.column,
                esc(b.function.as_deref().unwrap_or("-"))
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str(
        "<table><tr><th>file</th><th>lines run</th><th>%</th><th>unsafe blocks run</th></tr>\n",
    );
    for f in &s.files {
        let _ = write!(page, "<tr><td><code>{}</code></td>", esc(&f.file));
        for cell in f.cells() {
            let _ = write!(page, "<td>{}</td>", esc(&cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

fn findings_section(page: &mut String, last: &CampaignData) {
    page.push_str("<h3>Findings of the last campaign</h3>\n");
    let Some(summary) = &last.summary else {
        page.push_str(
            "<p class=\"muted\">No summary was kept for this campaign (it was killed, or ran \
             before campaigns kept one).</p>\n",
        );
        return;
    };
    let failures = summary["failures"].as_array().cloned().unwrap_or_default();
    if failures.is_empty() {
        page.push_str("<p class=\"ok\">None.</p>\n");
        return;
    }
    page.push_str(
        "<table class=\"findings\"><tr><th>failure</th><th>class</th><th>severity</th>\
         <th>first seen by</th><th>time to find</th><th>hits</th><th>ops</th><th>corpus</th></tr>\n",
    );
    let mut details = String::new();
    for f in &failures {
        let p = &f["processed"];
        let signature = p["signature"]
            .as_str()
            .or_else(|| f["first"][1].as_str())
            .unwrap_or("-");
        let class = signature.split(" at ").next().unwrap_or("-");
        let ops = match (p["ops"][0].as_u64(), p["ops"][1].as_u64()) {
            (Some(a), Some(b)) => format!("{a} &rarr; {b}"),
            _ => "-".to_owned(),
        };
        let corpus = if let Some(reason) = f["accepted"].as_str() {
            format!("accepted: {reason}")
        } else if let Some(e) = f["error"].as_str() {
            format!("error: {e}")
        } else if let Some(name) = p["stored"]["new"]["name"].as_str() {
            format!("new: {name}")
        } else if let Some(name) = p["stored"]["duplicate"]["name"].as_str() {
            format!("already stored as {name}")
        } else {
            "-".to_owned()
        };
        let _ = writeln!(
            page,
            "<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{ops}</td><td class=\"l\">{}</td></tr>",
            esc(signature),
            esc(class),
            esc(p["severity"].as_str().unwrap_or("-")),
            esc(f["first"][0].as_str().unwrap_or("-")),
            f["first_found_secs"]
                .as_f64()
                .map_or("earlier".to_owned(), |s| format!("{s:.1} s")),
            f["hits"],
            esc(&corpus)
        );
        let triage: Vec<String> = p["classes"]
            .as_array()
            .map(|c| c.iter().filter_map(Value::as_str).map(esc).collect())
            .unwrap_or_default();
        let _ = writeln!(
            details,
            "<details><summary><code>{}</code></summary><p>Triage: {}</p><pre>{}</pre></details>",
            esc(signature),
            if triage.is_empty() {
                "-".to_owned()
            } else {
                triage.join("; ")
            },
            esc(f["shrunk_trace"].as_str().unwrap_or("(no shrunk trace)"))
        );
    }
    page.push_str("</table>\n");
    page.push_str(&details);
}

fn regressions_section(page: &mut String, t: &TargetReport) {
    let _ = writeln!(
        page,
        "<h3>Regression corpus ({} cases)</h3>",
        t.regressions.len()
    );
    if t.regressions.is_empty() {
        return;
    }
    let engines: Vec<&String> = {
        let mut all: Vec<&String> = t.regressions.iter().flat_map(|r| r.seen.keys()).collect();
        all.sort();
        all.dedup();
        all
    };
    page.push_str(
        "<table class=\"regressions\"><tr><th>case</th><th>signature</th><th>severity</th>\
         <th>expect</th><th>ops</th>",
    );
    for e in &engines {
        let _ = write!(page, "<th>{}</th>", esc(e));
    }
    page.push_str("</tr>\n");
    for r in &t.regressions {
        let _ = write!(
            page,
            "<tr><td class=\"l\"><details><summary><code>{}</code></summary><pre>{}</pre>\
             </details></td><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&r.name),
            esc(&r.trace),
            esc(&r.signature),
            esc(&r.severity),
            esc(&r.expect),
            r.ops
        );
        for e in &engines {
            let _ = write!(
                page,
                "<td>{}</td>",
                esc(r.seen.get(*e).map_or("-", String::as_str))
            );
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

/// The type-level audit: its last run on the correct build, and the stored audit cases.
fn audit_section(page: &mut String, t: &TargetReport) {
    page.push_str("<h3>Type-level audit</h3>\n");
    match &t.audit {
        None => page.push_str("<p>Not audited: run <code>lockstep audit</code>.</p>\n"),
        Some(a) => {
            let live = a.findings.iter().filter(|r| r.intended.is_none()).count();
            let _ = writeln!(
                page,
                "<p>Last <code>lockstep audit</code>: {} subject type(s) compared with their \
                 models and the public API read, in {:.1} s; {live} finding(s) not declared \
                 intended, {} intended.</p>",
                a.pairs,
                a.seconds,
                a.findings.len() - live
            );
            if !a.findings.is_empty() {
                page.push_str(
                    "<table class=\"audit\"><tr><th>status</th><th>class</th><th>where</th>\
                     <th>finding</th></tr>\n",
                );
                for r in &a.findings {
                    let f = &r.finding;
                    let status = r
                        .intended
                        .as_ref()
                        .map_or_else(|| f.severity.to_string(), |why| format!("intended: {why}"));
                    let _ = writeln!(
                        page,
                        "<tr><td class=\"l\">{}</td><td>{}</td><td><code>{}</code></td>\
                         <td class=\"l\">{}</td></tr>",
                        esc(&status),
                        esc(&f.class),
                        esc(&f.location),
                        esc(&f.message)
                    );
                }
                page.push_str("</table>\n");
            }
        }
    }
    let _ = writeln!(page, "<p>Stored audit cases: {}.</p>", t.audit_cases.len());
    if t.audit_cases.is_empty() {
        return;
    }
    page.push_str(
        "<table class=\"audit-cases\"><tr><th>case</th><th>class</th><th>severity</th>\
         <th>seeded bug</th><th>expect</th><th>where</th><th>finding</th></tr>\n",
    );
    for (name, c) in &t.audit_cases {
        let _ = writeln!(
            page,
            "<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td><code>{}</code></td><td class=\"l\">{}</td></tr>",
            esc(name),
            esc(&c.class),
            c.severity,
            esc(c.seeded_bug.as_deref().unwrap_or("-")),
            esc(&c.expect),
            esc(&c.location),
            esc(&c.message)
        );
    }
    page.push_str("</table>\n");
}

/// Text made safe for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS` of seconds since the Unix epoch, in UTC.
fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{d:02} {h:02}:{m:02}:{s:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_escapes() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_796_611_114), "2026-12-07 02:38:34");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn a_plot_is_an_svg_with_its_line() {
        let samples: Vec<Sample> = (0..30)
            .map(|i| Sample {
                t: f64::from(i),
                execs: 100 * u64::from(i as u32),
                exec_per_sec: 100,
                coverage: 50 + u64::from(i as u32),
                corpus: 3,
                failures: u64::from(i > 10),
            })
            .collect();
        let svg = plot(&samples, "coverage", |s| s.coverage).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        // The data line, in its colour (the mesh is drawn in polylines too).
        assert!(svg.contains("stroke=\"#1F77B4\""), "{svg}");
        assert!(svg.contains(">\ncoverage\n</text>"), "{svg}");
        // An empty history still draws axes.
        assert!(
            plot(&[], "exec/s", |s| s.exec_per_sec)
                .unwrap()
                .starts_with("<svg")
        );
    }
}
