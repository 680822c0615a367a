//! `lockstep coverage TARGET`: which lines and unsafe blocks of the crates under test the
//! target's inputs never execute. `cargo fuzz coverage` runs every input in a build with
//! `-Cinstrument-coverage`; `llvm-cov export` gives the regions each line starts or continues;
//! the unsafe blocks are found by parsing the subject's sources with `syn`. "Unsafe blocks never
//! reached" is the headline: code no input ran is code no campaign checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::Ctx;
use crate::builds::Builds;
use crate::project::Project;

/// Source coverage of the crates under test.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The targets.
    #[arg(required_unless_present = "all")]
    targets: Vec<String>,
    /// Every target.
    #[arg(long, conflicts_with = "targets")]
    all: bool,
    /// Files or directories of inputs to run, for one target (default: its corpus
    /// `fuzz/corpus/TARGET`, its seeds and its regression traces).
    #[arg(long = "inputs", value_name = "PATH", value_parser = crate::ui::absolute)]
    inputs: Vec<PathBuf>,
    /// List every line never executed, file by file, not only the unsafe blocks.
    #[arg(long)]
    lines: bool,
}

/// The source coverage of one target: what `lockstep report` shows, kept in
/// `fuzz/coverage/TARGET/lockstep.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SourceCoverage {
    /// The target.
    pub target: String,
    /// Inputs run.
    pub inputs: usize,
    /// Files of the crates under test that the target enters (at least one line executed).
    pub files: Vec<FileCoverage>,
    /// Files of the crates under test with code in the build that the target never enters.
    pub not_entered: Vec<String>,
}

/// One file of the crates under test.
#[derive(Debug, Serialize, Deserialize)]
pub struct FileCoverage {
    /// Relative to the workspace root.
    pub file: String,
    /// Lines with code.
    pub lines: usize,
    /// Lines with code that ran.
    pub covered: usize,
    /// Lines with code that never ran, as ranges `(first, last)`.
    pub missed: Vec<(u32, u32)>,
    /// Every unsafe block of the file.
    pub unsafe_blocks: Vec<UnsafeBlock>,
}

/// An `unsafe { ... }` block.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UnsafeBlock {
    /// Where it starts (1-based line and column) and the line it ends on.
    pub line: u32,
    /// The column of `unsafe`.
    pub column: u32,
    /// The line of its closing brace.
    pub end_line: u32,
    /// The function it is in (`RawBuf::grow`), if any.
    pub function: Option<String>,
    /// Whether any input ran it; `None` when the build has no code for it (compiled out).
    pub reached: Option<bool>,
}

impl FileCoverage {
    /// Lines run (`run/all`), the percentage, and unsafe blocks run (`run/all` compiled).
    pub fn cells(&self) -> [String; 3] {
        let compiled = self.unsafe_blocks.iter().filter(|b| b.reached.is_some());
        let run = compiled.clone().filter(|b| b.reached == Some(true)).count();
        [
            format!("{}/{}", self.covered, self.lines),
            format!(
                "{:.1}%",
                100.0 * self.covered as f64 / self.lines.max(1) as f64
            ),
            format!("{run}/{}", compiled.count()),
        ]
    }
}

impl SourceCoverage {
    /// Unsafe blocks the inputs never reached, with their files.
    pub fn unreached(&self) -> impl Iterator<Item = (&str, &UnsafeBlock)> {
        self.files.iter().flat_map(|f| {
            f.unsafe_blocks
                .iter()
                .filter(|b| b.reached == Some(false))
                .map(move |b| (f.file.as_str(), b))
        })
    }

    /// Unsafe blocks that have code in the build.
    pub fn compiled_blocks(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.unsafe_blocks)
            .filter(|b| b.reached.is_some())
            .count()
    }
}

/// Runs `lockstep coverage`.
pub fn run(ctx: &Ctx, args: Args) -> Result<ExitCode> {
    let project = &ctx.project;
    let targets = if args.all {
        project.targets.clone()
    } else {
        args.targets.clone()
    };
    for target in &targets {
        project.check_target(target)?;
    }
    if !args.inputs.is_empty() && targets.len() > 1 {
        bail!("--inputs are one target's: name one target");
    }
    let mut all = Vec::new();
    for target in &targets {
        let coverage = measure(project, target, &args.inputs)?;
        let out = project
            .fuzz_dir
            .join("coverage")
            .join(target)
            .join("lockstep.json");
        std::fs::write(&out, serde_json::to_string_pretty(&coverage)?)
            .with_context(|| format!("writing {}", out.display()))?;
        if !ctx.json {
            print!("{}", render(&coverage, args.lines));
            println!(
                "(kept in {} for `lockstep report`)\n",
                project.relative(&out.to_string_lossy())
            );
        }
        all.push(coverage);
    }
    if ctx.json {
        println!("{}", serde_json::to_string(&all)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the inputs in a coverage build of `target` and reads what they reached.
pub fn measure(project: &Project, target: &str, inputs: &[PathBuf]) -> Result<SourceCoverage> {
    let llvm_cov = llvm_tool(project, "llvm-cov")?;
    let dir = tempfile::tempdir().context("creating a directory for the inputs")?;
    let count = gather(project, target, inputs, dir.path())?;
    if count == 0 {
        bail!(
            "{target} has no inputs to run: run a campaign first (`lockstep fuzz {target}`), or \
             give --inputs"
        );
    }
    let builds = Builds::new(project);
    let (bin, profile) = builds.fuzz_coverage(target, dir.path())?;
    let sources = subject_sources(project)?;
    let mut cmd = Command::new(&llvm_cov);
    cmd.arg("export")
        .arg("-format=text")
        .arg(format!("-instr-profile={}", profile.display()))
        .arg(&bin)
        .args(&sources)
        .current_dir(&project.root);
    let done = crate::process::run(&mut cmd, std::time::Duration::from_secs(600))?;
    if done.code() != Some(0) {
        bail!(
            "llvm-cov export failed: {}",
            crate::process::last_words(&done.stderr)
        );
    }
    let export: Export = serde_json::from_str(&done.stdout).context("reading llvm-cov's export")?;
    let mut by_file: BTreeMap<PathBuf, Vec<Segment>> = BTreeMap::new();
    for data in export.data {
        for file in data.files {
            by_file
                .entry(PathBuf::from(&file.filename))
                .or_default()
                .extend(file.segments);
        }
    }
    let mut coverage = SourceCoverage {
        target: target.to_owned(),
        inputs: count,
        files: Vec::new(),
        not_entered: Vec::new(),
    };
    for source in &sources {
        let relative = project.relative(&source.to_string_lossy()).to_owned();
        let segments = by_file.get(source).map(Vec::as_slice).unwrap_or_default();
        let lines = line_counts(segments);
        if lines.is_empty() {
            // Not in the build: tests, or code behind a feature the build leaves off.
            continue;
        }
        if !lines.values().any(|&n| n > 0) {
            coverage.not_entered.push(relative);
            continue;
        }
        let text = std::fs::read_to_string(source)
            .with_context(|| format!("reading {}", source.display()))?;
        let mut blocks =
            unsafe_blocks(&text).with_context(|| format!("parsing {}", source.display()))?;
        for block in &mut blocks {
            block.reached = reached(segments, block);
        }
        coverage.files.push(FileCoverage {
            file: relative,
            lines: lines.len(),
            covered: lines.values().filter(|&&n| n > 0).count(),
            missed: ranges(lines.iter().filter(|(_, n)| **n == 0).map(|(l, _)| *l)),
            unsafe_blocks: blocks,
        });
    }
    Ok(coverage)
}

/// Copies every input into `dir` (one directory for `cargo fuzz coverage`): the corpus, the
/// seeds and the regression traces by default. Returns how many.
fn gather(project: &Project, target: &str, inputs: &[PathBuf], dir: &Path) -> Result<usize> {
    let defaults = [
        project.fuzz_dir.join("corpus").join(target),
        project.corpus_dir(target, "seeds"),
        project.corpus_dir(target, "regressions"),
    ];
    let given = !inputs.is_empty();
    let paths: Vec<&PathBuf> = if given {
        inputs.iter().collect()
    } else {
        defaults.iter().collect()
    };
    let mut count = 0;
    for path in paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            lockstep::case::input_files(path)
                .with_context(|| format!("reading {}", path.display()))?
                .into_iter()
                // A regression case's metadata is not an input.
                .filter(|p| p.extension().is_none_or(|e| e != "toml"))
                .collect()
        } else if path.is_file() {
            vec![path.clone()]
        } else if given {
            bail!("--inputs {}: no such file or directory", path.display());
        } else {
            continue;
        };
        for file in files {
            count += 1;
            std::fs::copy(&file, dir.join(format!("input-{count:06}")))
                .with_context(|| format!("copying {}", file.display()))?;
        }
    }
    Ok(count)
}

/// The Rust sources of the crates under test, sorted.
fn subject_sources(project: &Project) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in &project.subject_dirs {
        let mut stack = vec![dir.join("src")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for path in entries.flatten().map(|e| e.path()) {
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path.canonicalize().unwrap_or(path));
                }
            }
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("the crates under test have no Rust sources under src/");
    }
    Ok(files)
}

/// An LLVM tool from the nightly toolchain's `llvm-tools` component.
fn llvm_tool(project: &Project, name: &str) -> Result<PathBuf> {
    let out = Command::new("rustc")
        .current_dir(&project.root)
        .args(["+nightly", "--print", "sysroot"])
        .output()
        .context("running rustc +nightly")?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let tool = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(&project.host)
        .join("bin")
        .join(name);
    if !out.status.success() || !tool.is_file() {
        bail!(
            "{name} is missing: install it with `rustup component add --toolchain nightly \
             llvm-tools` (or run scripts/setup)"
        );
    }
    Ok(tool)
}

// ---- llvm-cov's export, and what a line's count is.

#[derive(Deserialize)]
struct Export {
    data: Vec<ExportData>,
}

#[derive(Deserialize)]
struct ExportData {
    files: Vec<ExportFile>,
}

#[derive(Deserialize)]
struct ExportFile {
    filename: String,
    segments: Vec<Segment>,
}

/// `[line, column, count, has_count, is_region_entry, is_gap_region]`: from here to the next
/// segment, the code ran `count` times.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
struct Segment(u32, u32, u64, bool, bool, bool);

impl Segment {
    fn at(&self) -> (u32, u32) {
        (self.0, self.1)
    }

    fn starts_region(&self) -> bool {
        self.3 && self.4 && !self.5
    }
}

/// The count of every line with code, as `llvm-cov` computes it: a line is code when a region
/// starts on it or one that ran on into it has a count (a line that starts a skipped region is
/// not); its count is the greatest of the regions that start on it and the one it continues.
fn line_counts(segments: &[Segment]) -> BTreeMap<u32, u64> {
    let mut lines = BTreeMap::new();
    let Some(last) = segments.iter().map(|s| s.0).max() else {
        return lines;
    };
    let mut wrapped: Option<&Segment> = None;
    let mut i = 0;
    for line in segments[0].0..=last {
        let start = i;
        while i < segments.len() && segments[i].0 == line {
            i += 1;
        }
        let on_line = &segments[start..i];
        let starts = on_line.iter().filter(|s| s.starts_region()).count();
        let skipped = on_line.first().is_some_and(|s| !s.3 && s.4);
        let mapped = !skipped && (wrapped.is_some_and(|w| w.3) || starts > 0);
        if mapped {
            let mut count = wrapped.map_or(0, |w| w.2);
            for s in on_line.iter().filter(|s| s.starts_region()) {
                count = count.max(s.2);
            }
            lines.insert(line, count);
        }
        if let Some(s) = on_line.last() {
            wrapped = Some(s);
        }
    }
    lines
}

/// Whether a block ran: the region in force where it starts, or any region inside it, ran.
/// `None` when no region covers it (the build has no code for it).
fn reached(segments: &[Segment], block: &UnsafeBlock) -> Option<bool> {
    let start = (block.line, block.column);
    let end = (block.end_line, u32::MAX);
    let before = segments.iter().rev().find(|s| s.at() <= start);
    let inside = segments.iter().filter(|s| s.at() > start && s.at() <= end);
    let counted: Vec<&Segment> = before
        .into_iter()
        .chain(inside)
        .filter(|s| s.3 && !s.5)
        .collect();
    if counted.is_empty() {
        return None;
    }
    Some(counted.iter().any(|s| s.2 > 0))
}

/// Consecutive line numbers as ranges.
fn ranges(lines: impl Iterator<Item = u32>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for line in lines {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == line => *last = line,
            _ => out.push((line, line)),
        }
    }
    out
}

// ---- The unsafe blocks of a source file.

/// Every `unsafe { ... }` block of `source` outside `#[cfg(test)]` items, with the function it
/// is in.
fn unsafe_blocks(source: &str) -> Result<Vec<UnsafeBlock>> {
    let file = syn::parse_file(source)?;
    let mut finder = Finder::default();
    finder.visit_file(&file);
    Ok(finder.blocks)
}

#[derive(Default)]
struct Finder {
    blocks: Vec<UnsafeBlock>,
    /// The `impl` and `fn` the visitor is in.
    within: Vec<String>,
}

/// A type or path as Rust writes it (`Box<T>`, `&T`), not as tokens are spaced.
fn rust_text(tokens: &impl quote::ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = out.chars().last();
        let glued_to_next = |n: char| matches!(n, '>' | ',' | ';' | ')' | ']' | ':' | '<');
        let glued_to_last = |l: char| matches!(l, '<' | '&' | '(' | '[' | ':');
        if c == ' ' && (next.is_some_and(glued_to_next) || last.is_some_and(glued_to_last)) {
            continue;
        }
        out.push(c);
    }
    out
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_only(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if is_test_only(&i.attrs) {
            return;
        }
        // `Type`, or `<Type as Trait>` for a trait's impl: how Rust names its functions.
        let ty = rust_text(&i.self_ty);
        let name = match &i.trait_ {
            Some((_, path, _)) => format!("<{ty} as {}>", rust_text(path)),
            None => ty,
        };
        self.within.push(name);
        syn::visit::visit_item_impl(self, i);
        self.within.pop();
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_test_only(&f.attrs) {
            return;
        }
        self.within.push(f.sig.ident.to_string());
        syn::visit::visit_item_fn(self, f);
        self.within.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.within.push(f.sig.ident.to_string());
        syn::visit::visit_impl_item_fn(self, f);
        self.within.pop();
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.within.push(f.sig.ident.to_string());
        syn::visit::visit_trait_item_fn(self, f);
        self.within.pop();
    }

    fn visit_expr_unsafe(&mut self, e: &'ast syn::ExprUnsafe) {
        let span = e.span();
        let (start, end) = (span.start(), span.end());
        self.blocks.push(UnsafeBlock {
            line: u32::try_from(start.line).unwrap_or(u32::MAX),
            // syn's columns count from 0, llvm-cov's from 1.
            column: u32::try_from(start.column + 1).unwrap_or(u32::MAX),
            end_line: u32::try_from(end.line).unwrap_or(u32::MAX),
            function: (!self.within.is_empty()).then(|| self.within.join("::")),
            reached: None,
        });
        syn::visit::visit_expr_unsafe(self, e);
    }
}

// ---- Output.

fn render(c: &SourceCoverage, lines: bool) -> String {
    use std::fmt::Write as _;
    let unreached: Vec<(&str, &UnsafeBlock)> = c.unreached().collect();
    let mut out = format!(
        "{}: unsafe blocks never reached by its {} inputs: {} of {}\n",
        c.target,
        c.inputs,
        unreached.len(),
        c.compiled_blocks()
    );
    for (file, b) in &unreached {
        let _ = writeln!(
            out,
            "  {file}:{}:{}{}",
            b.line,
            b.column,
            b.function
                .as_deref()
                .map_or(String::new(), |f| format!("  in {f}"))
        );
    }
    let rows: Vec<Vec<String>> = c
        .files
        .iter()
        .map(|f| std::iter::once(f.file.clone()).chain(f.cells()).collect())
        .collect();
    out.push('\n');
    out += &crate::ui::table(&["file", "lines run", "", "unsafe blocks run"], &rows);
    if !c.not_entered.is_empty() {
        let _ = writeln!(out, "\nnever entered: {}", c.not_entered.join(", "));
    }
    if lines {
        for f in c.files.iter().filter(|f| !f.missed.is_empty()) {
            let spans: Vec<String> = f
                .missed
                .iter()
                .map(|&(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            let _ = writeln!(out, "\n{}: lines never run: {}", f.file, spans.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_blocks_are_found_with_their_function_outside_tests() {
        let source = "\
struct Buf;
impl Buf {
    fn get(&self) -> u8 {
        // SAFETY: a fixture, parsed and never compiled (a trait's impl is named as Rust does).
        impl<'a, T> Get for &'a [T; 2] { fn f() { unsafe { h() } } }
        let p = 0 as *const u8;
        // SAFETY: none; a fixture.
        unsafe { *p }
    }
}
fn free() {
    if true {
        // SAFETY: a fixture.
        unsafe {
            f();
        }
    }
}
#[cfg(test)]
mod tests {
    // SAFETY: a fixture.
    fn t() { unsafe { g() } }
}
";
        let blocks = unsafe_blocks(source).unwrap();
        let found: Vec<(u32, u32, u32, Option<&str>)> = blocks
            .iter()
            .map(|b| (b.line, b.column, b.end_line, b.function.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (5, 51, 5, Some("Buf::get::<&'a [T; 2] as Get>::f")),
                (8, 9, 8, Some("Buf::get")),
                (14, 9, 16, Some("free"))
            ]
        );
    }

    /// Segments as `llvm-cov export` gives them for a function whose `if` body (lines 4 to 6)
    /// never ran: the line that closes it counts as not run, as llvm-cov shows it.
    fn segments() -> Vec<Segment> {
        vec![
            Segment(3, 27, 5, true, true, false),
            Segment(4, 12, 5, true, true, false),
            Segment(4, 16, 0, true, false, true),
            Segment(4, 17, 0, true, true, false),
            Segment(6, 6, 5, true, false, false),
            Segment(8, 2, 0, false, false, false),
        ]
    }

    #[test]
    fn lines_count_as_llvm_cov_counts_them() {
        let lines = line_counts(&segments());
        assert_eq!(
            lines.into_iter().collect::<Vec<_>>(),
            [(3, 5), (4, 5), (5, 0), (6, 0), (7, 5), (8, 5)]
        );
        assert_eq!(
            ranges([5, 7, 8, 9, 12].into_iter()),
            [(5, 5), (7, 9), (12, 12)]
        );
    }

    #[test]
    fn a_block_is_reached_when_its_region_ran() {
        let block = |line, column, end_line| UnsafeBlock {
            line,
            column,
            end_line,
            function: None,
            reached: None,
        };
        let s = segments();
        assert_eq!(reached(&s, &block(5, 9, 5)), Some(false));
        assert_eq!(reached(&s, &block(7, 5, 7)), Some(true));
        assert_eq!(reached(&s, &block(1, 1, 2)), None);
        assert_eq!(reached(&s, &block(9, 1, 9)), None);
    }
}
