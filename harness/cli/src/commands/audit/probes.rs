//! The differential type checks: for each pair of a subject type and its model, small programs
//! that compile exactly when the type has a property (covariance in a parameter, `Send` for an
//! element type, drop check accepting a dangling borrow), compiled by rustc (`cargo check` of a
//! generated crate that depends on the subject's); the answers for the subject and the model are
//! compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use quote::ToTokens;
use syn::visit_mut::VisitMut;

use super::{Finding, Pair, Severity};

/// The auto traits compared, with the function the probes call.
const AUTO_TRAITS: &[(&str, &str)] = &[
    ("Send", "is_send"),
    ("Sync", "is_sync"),
    ("Unpin", "is_unpin"),
    ("UnwindSafe", "is_unwind_safe"),
];

/// Element types with different auto traits: each trait holds for some and not others.
const WITNESSES: &[&str] = &[
    "u8",
    "std::rc::Rc<u8>",
    "std::cell::Cell<u8>",
    "std::sync::MutexGuard<'static, u8>",
    "std::marker::PhantomPinned",
    "&'static mut u8",
];

/// What the two bins start with.
const TRAITS_PRELUDE: &str = "\
#![allow(dead_code, unused, clippy::all)]
fn is_send<X: ?Sized + Send>() {}
fn is_sync<X: ?Sized + Sync>() {}
fn is_unpin<X: ?Sized + Unpin>() {}
fn is_unwind_safe<X: ?Sized + std::panic::UnwindSafe>() {}
fn main() {}
";
const BORROWS_PRELUDE: &str = "\
#![allow(dead_code, unused, clippy::all)]
/// Reads the borrow it holds when dropped.
pub struct Reads<'a>(pub &'a u8);
impl Drop for Reads<'_> {
    fn drop(&mut self) {
        std::hint::black_box(*self.0);
    }
}
fn main() {}
";

/// A parsed pair.
struct Parsed {
    subject: syn::Type,
    model: syn::Type,
    lifetimes: Vec<String>,
    types: Vec<String>,
}

/// A question asked of one side of a pair.
#[derive(Clone)]
struct Question {
    pair: usize,
    /// `variance`, `Send`, ..., `drop-check`.
    check: &'static str,
    /// The parameter it is about.
    param: String,
    /// What is asked: `shrink` / `stretch`, a witness type, `borrow` / `reads`, `builds`.
    what: String,
    subject: bool,
}

/// The answers: whether each probe compiled.
pub fn check(
    pairs: &[Pair],
    prelude: &str,
    dir: &Path,
    crate_name: &str,
    crate_dir: &Path,
    rustflags: &str,
) -> Result<Vec<Finding>> {
    let parsed = pairs.iter().map(parse).collect::<Result<Vec<_>>>()?;
    let mut traits = Bin::new("traits", &format!("{TRAITS_PRELUDE}{prelude}\n"));
    let mut borrows = Bin::new("borrows", &format!("{BORROWS_PRELUDE}{prelude}\n"));
    for (i, p) in parsed.iter().enumerate() {
        for subject in [true, false] {
            let side = if subject { &p.subject } else { &p.model };
            let ask = |check, param: &str, what: &str| Question {
                pair: i,
                check,
                param: param.to_owned(),
                what: what.to_owned(),
                subject,
            };
            // Builds at all (with `u8` and `'static`): a pair that does not is an error.
            let plain = instantiate(side, p, &[], "'static");
            traits.probe(
                ask("builds", "", ""),
                &format!("fn probe(_: Option<{plain}>) {{}}"),
            );
            let short = instantiate(side, p, &[], "'s");
            borrows.probe(
                ask("builds", "", ""),
                &format!("fn probe<'s>(_: Option<{short}>) {{}}"),
            );
            if p.types.is_empty() {
                let ty = instantiate(side, p, &[], "'static");
                for (name, f) in AUTO_TRAITS {
                    traits.probe(
                        ask(name, "", ""),
                        &format!("fn probe() {{ {f}::<{ty}>(); }}"),
                    );
                }
            }
            for t in &p.types {
                for (name, f) in AUTO_TRAITS {
                    for w in WITNESSES {
                        let ty = instantiate(side, p, &[(t.as_str(), w)], "'static");
                        traits.probe(ask(name, t, w), &format!("fn probe() {{ {f}::<{ty}>(); }}"));
                    }
                }
                variance(
                    &mut borrows,
                    &ask,
                    t,
                    [
                        instantiate(side, p, &[(t.as_str(), "&'l u8")], "'s"),
                        instantiate(side, p, &[(t.as_str(), "&'s u8")], "'s"),
                    ],
                );
                if p.lifetimes.is_empty() {
                    for (what, elem) in [("borrow", "&'x u8"), ("reads", "Reads<'x>")] {
                        let ty = instantiate(side, p, &[(t.as_str(), elem)], "'static");
                        borrows.probe(
                            ask("drop-check", t, what),
                            &format!(
                                "fn probe<F: for<'x> FnOnce(&'x u8) -> {ty}>(make: F) {{ let kept; \
                                 {{ let short = 0u8; kept = make(&short); }} }}"
                            ),
                        );
                    }
                }
            }
            for l in &p.lifetimes {
                variance(
                    &mut borrows,
                    &ask,
                    l,
                    [
                        instantiate(side, p, &[(l.as_str(), "'l")], "'s"),
                        instantiate(side, p, &[(l.as_str(), "'s")], "'s"),
                    ],
                );
            }
        }
    }
    let failed = compile(dir, crate_name, crate_dir, rustflags, &[&traits, &borrows])?;
    let mut answers: BTreeMap<(usize, &str, String, String, bool), bool> = BTreeMap::new();
    for bin in [&traits, &borrows] {
        for (line, q) in &bin.questions {
            let ok = !failed.contains_key(&(bin.name, *line));
            if q.check == "builds" && !ok {
                let side = if q.subject {
                    &pairs[q.pair].subject
                } else {
                    &pairs[q.pair].model
                };
                bail!(
                    "the pair `{}` ~ `{}` in the audit declarations: `{side}` does not build with \
                     its parameters as `u8` and `'static`: {}",
                    pairs[q.pair].subject,
                    pairs[q.pair].model,
                    failed[&(bin.name, *line)]
                );
            }
            answers.insert(
                (q.pair, q.check, q.param.clone(), q.what.clone(), q.subject),
                ok,
            );
        }
    }
    Ok(compare(pairs, &parsed, &answers))
}

/// The two variance probes of a parameter, given the type with it long and short: may the
/// long one shrink (covariant), and the short one stretch (contravariant)?
fn variance(
    bin: &mut Bin,
    ask: &dyn Fn(&'static str, &str, &str) -> Question,
    param: &str,
    [long, short]: [String; 2],
) {
    let v = "fn probe<'s, 'l: 's>";
    bin.probe(
        ask("variance", param, "shrink"),
        &format!("{v}(x: {long}) -> {short} {{ x }}"),
    );
    bin.probe(
        ask("variance", param, "stretch"),
        &format!("{v}(x: {short}) -> {long} {{ x }}"),
    );
}

type Answers<'a> = BTreeMap<(usize, &'a str, String, String, bool), bool>;

/// One question's answers: (what was asked, the subject's answer, the model's).
type Row<'a> = (&'a str, bool, bool);

/// The differences between subject and model, as findings.
fn compare(pairs: &[Pair], parsed: &[Parsed], answers: &Answers<'_>) -> Vec<Finding> {
    // (pair, check, param) -> [(what, subject's answer, model's answer)]
    let mut groups: BTreeMap<(usize, &str, &str), Vec<Row<'_>>> = BTreeMap::new();
    for ((pair, check, param, what, subject), ok) in answers {
        if !*subject || *check == "builds" {
            continue;
        }
        let model = answers[&(*pair, *check, param.clone(), what.clone(), false)];
        groups
            .entry((*pair, check, param))
            .or_default()
            .push((what, *ok, model));
    }
    let mut findings = Vec::new();
    for ((i, check, param), rows) in groups {
        if rows.iter().all(|(_, s, m)| s == m) {
            continue;
        }
        let pair = &pairs[i];
        // Allowing what the model refuses is unsound, except for the auto traits whose
        // difference safe code cannot turn into undefined behaviour.
        let looser = rows.iter().any(|(_, s, m)| *s && !*m);
        let unsound = looser && !matches!(check, "Unpin" | "UnwindSafe");
        let p = &parsed[i];
        let names = |with: &[(&str, &str)]| {
            shown(
                &instantiate(&p.subject, p, with, "'static"),
                &instantiate(&p.model, p, with, "'static"),
            )
        };
        // What differs, for the key: a finding whose answers change is another finding.
        let mut detail = Vec::new();
        let (class, message) = match check {
            "variance" => {
                let get = |what: &str, side: fn(&(&str, bool, bool)) -> bool| {
                    rows.iter().find(|r| r.0 == what).is_some_and(side)
                };
                let name = |shrink, stretch| match (shrink, stretch) {
                    (true, false) => "covariant",
                    (false, true) => "contravariant",
                    (true, true) => "bivariant",
                    (false, false) => "invariant",
                };
                let (ty, mty) = shown(&pair.subject, &pair.model);
                let subject = name(get("shrink", |r| r.1), get("stretch", |r| r.1));
                let model = name(get("shrink", |r| r.2), get("stretch", |r| r.2));
                detail.push(format!("{subject}, the model {model}"));
                (
                    "variance",
                    format!(
                        "`{ty}` is {subject} in `{param}`; the model `{mty}` is {model}{}",
                        if looser {
                            ": safe code can turn it into a type the model refuses, and keep a \
                             borrow past its end"
                        } else {
                            ": it refuses code the model accepts"
                        }
                    ),
                )
            }
            "drop-check" => {
                let mut differs = Vec::new();
                for (what, s, _) in rows.iter().filter(|(_, s, m)| s != m) {
                    let elem = if *what == "borrow" {
                        "&'x u8"
                    } else {
                        "Reads<'x>"
                    };
                    let (ty, mty) = names(&[(param, elem)]);
                    let held = if *what == "borrow" {
                        "a borrow `&'x u8`"
                    } else {
                        "a `Reads<'x>`, whose `Drop` reads its `&'x u8`,"
                    };
                    let verdict = if *s { "accepts" } else { "rejects" };
                    detail.push(format!("{verdict} {elem}"));
                    differs.push(format!(
                        "drop check {verdict} `{ty}` holding {held} that dies before it; for \
                         `{mty}` it {}",
                        if *s { "rejects it" } else { "accepts it" },
                    ));
                }
                ("drop-check", differs.join("; "))
            }
            auto => {
                let mut differs = Vec::new();
                for (w, s, _) in rows.iter().filter(|(_, s, m)| s != m) {
                    let with: &[(&str, &str)] = if param.is_empty() { &[] } else { &[(param, w)] };
                    let (ty, mty) = names(with);
                    let is = if *s { "is" } else { "is not" };
                    detail.push(if param.is_empty() {
                        is.to_owned()
                    } else {
                        format!("{is} with {}", short(w))
                    });
                    differs.push(if *s {
                        format!("`{ty}` is {auto} but `{mty}` is not")
                    } else {
                        format!("`{ty}` is not {auto} but `{mty}` is")
                    });
                }
                ("auto-trait", differs.join("; "))
            }
        };
        let what = match (class, param.is_empty()) {
            ("auto-trait", true) => check.to_owned(),
            ("auto-trait", false) => format!("{check} in {param}"),
            _ => format!("in {param}"),
        };
        findings.push(Finding {
            class: class.into(),
            key: format!(
                "{class} {}: {what}: {}",
                pair.subject_name(),
                detail.join(", ")
            ),
            location: pair.subject_path().to_owned(),
            severity: if unsound {
                Severity::Unsound
            } else {
                Severity::Differs
            },
            message,
        });
    }
    findings
}

/// One generated binary: probe functions, one per line.
struct Bin {
    name: &'static str,
    text: String,
    line: usize,
    questions: Vec<(usize, Question)>,
}

impl Bin {
    fn new(name: &'static str, prelude: &str) -> Bin {
        Bin {
            name,
            text: prelude.to_owned(),
            line: prelude.lines().count(),
            questions: Vec::new(),
        }
    }

    /// Adds a probe, a function named after its line, on one line.
    fn probe(&mut self, q: Question, code: &str) {
        self.line += 1;
        let code = code.replacen("fn probe", &format!("fn probe{}", self.line), 1);
        let _ = writeln!(self.text, "{code}");
        self.questions.push((self.line, q));
    }
}

/// Compiles the probes: which lines of which bin failed, with the first error's message.
fn compile(
    dir: &Path,
    crate_name: &str,
    crate_dir: &Path,
    rustflags: &str,
    bins: &[&Bin],
) -> Result<BTreeMap<(&'static str, usize), String>> {
    let src = dir.join("src/bin");
    std::fs::create_dir_all(&src).with_context(|| format!("creating {}", src.display()))?;
    let manifest = format!(
        "# Generated by `lockstep audit`: the differential type checks of the audit.\n\
         [package]\nname = \"lockstep-audit-probes\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         publish = false\n\n[dependencies]\n{crate_name} = {{ path = {:?} }}\n\n[workspace]\n",
        crate_dir.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    for bin in bins {
        std::fs::write(src.join(format!("{}.rs", bin.name)), &bin.text)?;
    }
    let out = Command::new("cargo")
        .current_dir(dir)
        .args([
            "+nightly",
            "check",
            "--bins",
            "--keep-going",
            "--message-format=json",
            "-q",
        ])
        .env("RUSTFLAGS", rustflags)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .output()
        .context("running cargo +nightly check on the audit's probes")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut failed = BTreeMap::new();
    for line in stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-message" || msg["message"]["level"] != "error" {
            continue;
        }
        let message = &msg["message"];
        let text = message["message"].as_str().unwrap_or("").to_owned();
        let bin = msg["target"]["name"].as_str().unwrap_or("");
        let primary = message["spans"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["is_primary"] == true));
        let Some(span) = primary else {
            continue; // "aborting due to N previous errors"
        };
        let file = span["file_name"].as_str().unwrap_or("");
        let line_no = span["line_start"].as_u64().unwrap_or(0) as usize;
        match bins
            .iter()
            .find(|b| b.name == bin && file.ends_with(&format!("{bin}.rs")))
        {
            Some(b) if b.questions.iter().any(|(l, _)| *l == line_no) => {
                failed.entry((b.name, line_no)).or_insert(text);
            }
            _ => bail!(
                "{}: {text} ({file}:{line_no}): the audit's probes cannot be built",
                if bin.is_empty() { crate_name } else { bin }
            ),
        }
    }
    if !out.status.success() && failed.is_empty() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!(
            "cargo +nightly check of the audit's probes failed: {}",
            crate::process::last_words(&stderr)
        );
    }
    Ok(failed)
}

/// Parses a pair's types and finds its parameters: the subject's generic arguments that are a
/// lifetime, or a bare name the model also uses.
fn parse(pair: &Pair) -> Result<Parsed> {
    let ty = |text: &str| {
        syn::parse_str::<syn::Type>(text).map_err(|e| {
            anyhow::anyhow!("`{text}` in the audit declarations is not a Rust type: {e}")
        })
    };
    let subject = ty(&pair.subject)?;
    let model = ty(&pair.model)?;
    let (mut lifetimes, mut types) = (Vec::new(), Vec::new());
    if let syn::Type::Path(p) = &subject
        && let Some(last) = p.path.segments.last()
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
    {
        for arg in &args.args {
            match arg {
                syn::GenericArgument::Type(syn::Type::Path(t))
                    if t.qself.is_none() && t.path.get_ident().is_some() =>
                {
                    types.push(t.path.segments[0].ident.to_string());
                }
                _ => {}
            }
        }
    }
    // Every lifetime the subject names is a parameter, however deep (`LinkedList<Ref<'a>>`).
    struct Lifetimes(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Lifetimes {
        fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
            let name = format!("'{}", l.ident);
            if name != "'static" && name != "'_" && !self.0.contains(&name) {
                self.0.push(name);
            }
        }
    }
    let mut found = Lifetimes(Vec::new());
    syn::visit::Visit::visit_type(&mut found, &subject);
    lifetimes.extend(found.0);
    let model_text = model.to_token_stream().to_string();
    let words: Vec<&str> = model_text
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '\'')
        .collect();
    // A bare name is a parameter when the model uses it too (`T` in `RawBuf<T>` and `Vec<T>`);
    // otherwise it is a concrete type (an adapter the prelude declares).
    types.retain(|t| words.contains(&t.as_str()));
    for name in &lifetimes {
        if !words.contains(&name.as_str()) {
            bail!(
                "the pair `{}` ~ `{}` in the audit declarations: the model does not use the \
                 parameter `{name}`; give both types the same parameters",
                pair.subject,
                pair.model
            );
        }
    }
    Ok(Parsed {
        subject,
        model,
        lifetimes,
        types,
    })
}

/// `ty` with the parameters in `with` replaced, the other type parameters as `u8` and the other
/// lifetimes as `rest`.
fn instantiate(ty: &syn::Type, p: &Parsed, with: &[(&str, &str)], rest: &str) -> String {
    struct Sub<'a> {
        types: BTreeMap<String, syn::Type>,
        lifetimes: BTreeMap<String, syn::Lifetime>,
        _p: std::marker::PhantomData<&'a ()>,
    }
    impl VisitMut for Sub<'_> {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            if let syn::Type::Path(t) = ty
                && t.qself.is_none()
                && let Some(id) = t.path.get_ident()
                && let Some(new) = self.types.get(&id.to_string())
            {
                *ty = new.clone();
                return;
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
        fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
            if let Some(new) = self.lifetimes.get(&format!("'{}", l.ident)) {
                *l = new.clone();
            }
        }
    }
    let lookup = |name: &String| {
        with.iter()
            .find(|(n, _)| *n == name.as_str())
            .map(|(_, t)| *t)
    };
    let mut sub = Sub {
        types: BTreeMap::new(),
        lifetimes: BTreeMap::new(),
        _p: std::marker::PhantomData,
    };
    for t in &p.types {
        let text = lookup(t).unwrap_or("u8");
        sub.types.insert(
            t.clone(),
            syn::parse_str(text).expect("the probes' types parse"),
        );
    }
    for l in &p.lifetimes {
        let text = lookup(l).unwrap_or(rest);
        sub.lifetimes.insert(
            l.clone(),
            syn::Lifetime::new(text, proc_macro2::Span::call_site()),
        );
    }
    let mut ty = ty.clone();
    sub.visit_type_mut(&mut ty);
    tidy(&ty.to_token_stream().to_string())
}

/// A subject and its model as findings show them: without paths, except the model's own when
/// the two would read the same (`IntoIter<PhantomPinned>` and
/// `std::vec::IntoIter<PhantomPinned>`).
fn shown(subject: &str, model: &str) -> (String, String) {
    let (s, m) = (short(subject), short(model));
    if s != m {
        return (s, m);
    }
    let model = tidy(model);
    let name = model.find('<').unwrap_or(model.len());
    let m = format!("{}{}", &model[..name], short(&model[name..]));
    (s, m)
}

/// A type's text without the paths of its names: `RawBuf<Rc<u8>>`.
fn short(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split("::").enumerate() {
        if i > 0 {
            // Drop the path segment just written: the name before `::`.
            let keep = out
                .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_')
                .len();
            out.truncate(keep);
        }
        out += part;
    }
    out
}

/// Rust as people write it, from a token stream's text: `Vec<&'s u8>`.
fn tidy(text: &str) -> String {
    let mut s = text.to_owned();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
    ] {
        s = s.replace(from, to);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn findings_show_types_without_paths_but_the_model_name_that_tells_them_apart() {
        assert_eq!(
            shown(
                "ringq::Ring<std::rc::Rc<u8>>",
                "std::collections::VecDeque<std::rc::Rc<u8>>"
            ),
            ("Ring<Rc<u8>>".to_owned(), "VecDeque<Rc<u8>>".to_owned())
        );
        assert_eq!(
            shown(
                "ringq::Iter<'static, std::marker::PhantomPinned>",
                "std::collections::vec_deque::Iter<'static, std::marker::PhantomPinned>"
            ),
            (
                "Iter<'static, PhantomPinned>".to_owned(),
                "std::collections::vec_deque::Iter<'static, PhantomPinned>".to_owned()
            )
        );
    }
}
