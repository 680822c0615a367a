//! The audit's reading of the subject crate's public API, from rustdoc's JSON: safe functions
//! whose output borrows for a lifetime no input bounds, `unsafe impl Send`/`Sync` with no such
//! bound on a type parameter, and safe functions that take raw pointers.

use std::collections::{BTreeSet, HashSet};

use rustdoc_types::{
    AssocItemConstraintKind, Crate, Function, GenericArg, GenericArgs, GenericBound,
    GenericParamDefKind, Generics, Id, Impl, Item, ItemEnum, Path, PreciseCapturingArg, Term, Type,
    Visibility, WherePredicate,
};

use super::{Finding, Severity};

/// The findings of the API checks on the items of `module` (`structures::raw_buf`) and below.
pub fn check(krate: &Crate, module: &str) -> Vec<Finding> {
    let module: Vec<&str> = module.split("::").collect();
    let in_module = |id: &Id| {
        krate.paths.get(id).is_some_and(|s| {
            s.path
                .iter()
                .map(String::as_str)
                .take(module.len())
                .eq(module.iter().copied())
        })
    };
    let mut findings = Vec::new();
    let mut methods: HashSet<&Id> = HashSet::new();
    let mut items: Vec<&Item> = krate.index.values().filter(|i| i.crate_id == 0).collect();
    items.sort_by_key(|i| location(i));
    for item in &items {
        match &item.inner {
            ItemEnum::Impl(imp) if !imp.is_synthetic && imp.blanket_impl.is_none() => {
                methods.extend(&imp.items);
                let Some(owner) = resolved_id(&imp.for_) else {
                    continue;
                };
                if !in_module(owner) {
                    continue;
                }
                if let Some(finding) = unbounded_send_sync(item, imp) {
                    findings.push(finding);
                }
                if imp.trait_.is_some() {
                    continue; // a trait impl's signatures are the trait's
                }
                let owner_name = type_name(&imp.for_);
                for id in &imp.items {
                    let Some(method) = krate.index.get(id) else {
                        continue;
                    };
                    if let ItemEnum::Function(f) = &method.inner
                        && method.visibility == Visibility::Public
                    {
                        let name =
                            format!("{owner_name}::{}", method.name.as_deref().unwrap_or("?"));
                        findings.extend(function(method, f, &name, Some(imp)));
                    }
                }
            }
            ItemEnum::Trait(t) if item.visibility == Visibility::Public && in_module(&item.id) => {
                methods.extend(&t.items);
                for id in &t.items {
                    let Some(method) = krate.index.get(id) else {
                        continue;
                    };
                    if let ItemEnum::Function(f) = &method.inner {
                        let name = format!(
                            "{}::{}",
                            item.name.as_deref().unwrap_or("?"),
                            method.name.as_deref().unwrap_or("?")
                        );
                        findings.extend(function(method, f, &name, None));
                    }
                }
            }
            _ => {}
        }
    }
    for item in &items {
        if let ItemEnum::Function(f) = &item.inner
            && item.visibility == Visibility::Public
            && !methods.contains(&item.id)
            && in_module(&item.id)
        {
            let name = krate.paths.get(&item.id).map_or_else(
                || item.name.clone().unwrap_or_default(),
                |s| s.path[1..].join("::"),
            );
            findings.extend(function(item, f, &name, None));
        }
    }
    findings
}

/// Where an item is: `file:line`.
pub fn location(item: &Item) -> String {
    item.span.as_ref().map_or_else(String::new, |s| {
        format!("{}:{}", s.filename.display(), s.begin.0)
    })
}

/// The checks of one public function or method.
fn function(item: &Item, f: &Function, name: &str, imp: Option<&Impl>) -> Vec<Finding> {
    let mut findings = Vec::new();
    // An `unsafe fn` states its own contract in its `# Safety` section: nothing to check.
    let unsafe_fn = f.header.is_unsafe;
    if unsafe_fn {
        return findings;
    }
    if f.sig.inputs.iter().any(|(_, ty)| has_raw_pointer(ty)) {
        findings.push(Finding {
            class: "raw-pointer-argument".into(),
            key: format!("raw-pointer-argument {name}"),
            location: location(item),
            severity: Severity::Unsound,
            message: format!(
                "`{name}` is safe but takes a raw pointer: nothing stops safe code from passing a \
                 dangling or misaligned one (make it `unsafe fn` with a `# Safety` section, or \
                 take a reference)"
            ),
        });
    }
    let Some(output) = &f.sig.output else {
        return findings;
    };
    // The lifetimes the function and its impl declare; those in the output must come from an
    // input (or be outlived by one).
    let mut declared: Vec<&Generics> = vec![&f.generics];
    declared.extend(imp.map(|i| &i.generics));
    let mut inputs = BTreeSet::new();
    for (_, ty) in &f.sig.inputs {
        lifetimes(ty, &mut inputs);
        if let Some(imp) = imp
            && mentions_self(ty)
        {
            lifetimes(&imp.for_, &mut inputs);
        }
    }
    // A lifetime outlived by a bound one is bound too.
    loop {
        let before = inputs.len();
        for g in &declared {
            for p in &g.params {
                if let GenericParamDefKind::Lifetime { outlives } = &p.kind
                    && inputs.contains(&p.name)
                {
                    inputs.extend(outlives.iter().cloned());
                }
            }
            for w in &g.where_predicates {
                if let WherePredicate::LifetimePredicate { lifetime, outlives } = w
                    && inputs.contains(lifetime)
                {
                    inputs.extend(outlives.iter().cloned());
                }
            }
        }
        if inputs.len() == before {
            break;
        }
    }
    let mut out = BTreeSet::new();
    lifetimes(output, &mut out);
    let names: BTreeSet<&String> = declared
        .iter()
        .flat_map(|g| &g.params)
        .filter(|p| matches!(p.kind, GenericParamDefKind::Lifetime { .. }))
        .map(|p| &p.name)
        .collect();
    let unbound: Vec<&String> = out
        .iter()
        .filter(|l| names.contains(l) && !inputs.contains(*l))
        .collect();
    if !unbound.is_empty() {
        let list = unbound
            .iter()
            .map(|l| format!("`{l}`"))
            .collect::<Vec<_>>()
            .join(", ");
        findings.push(Finding {
            class: "unbounded-lifetime".into(),
            key: format!("unbounded-lifetime {name}"),
            location: location(item),
            severity: Severity::Unsound,
            message: format!(
                "`{name}` returns a borrow for {list}, which no input bounds: the caller picks it, \
                 so safe code can keep the result after what it borrows is changed or dropped"
            ),
        });
    }
    findings
}

/// An `unsafe impl Send`/`Sync` for a generic type that puts neither bound on some type
/// parameter the type holds.
fn unbounded_send_sync(item: &Item, imp: &Impl) -> Option<Finding> {
    let trait_ = imp.trait_.as_ref()?;
    let name = last_segment(&trait_.path);
    // Every written impl of `Send` or `Sync` is an `unsafe impl` (rustdoc's `is_unsafe` does not
    // say so for them); a negative one promises nothing.
    if imp.is_negative || !matches!(name, "Send" | "Sync") {
        return None;
    }
    let bounded = |param: &str| {
        let has = |bounds: &[GenericBound]| {
            bounds.iter().any(|b| {
                matches!(b, GenericBound::TraitBound { trait_, .. }
                if matches!(last_segment(&trait_.path), "Send" | "Sync"))
            })
        };
        imp.generics.params.iter().any(|p| {
            p.name == param
                && matches!(&p.kind, GenericParamDefKind::Type { bounds, .. } if has(bounds))
        }) || imp.generics.where_predicates.iter().any(|w| {
            matches!(w, WherePredicate::BoundPredicate { type_, bounds, .. }
                if mentions_generic(type_, param) && has(bounds))
        })
    };
    let loose: Vec<&str> = imp
        .generics
        .params
        .iter()
        .filter(|p| {
            matches!(
                p.kind,
                GenericParamDefKind::Type {
                    is_synthetic: false,
                    ..
                }
            )
        })
        .map(|p| p.name.as_str())
        .filter(|p| mentions_generic(&imp.for_, p) && !bounded(p))
        .collect();
    if loose.is_empty() {
        return None;
    }
    let ty = type_name(&imp.for_);
    let list = loose
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Finding {
        class: "send-sync".into(),
        key: format!("send-sync unsafe impl {name} for {ty}"),
        location: location(item),
        severity: Severity::Unsound,
        message: format!(
            "`unsafe impl {name} for {ty}` puts no `Send` or `Sync` bound on {list}: `{ty}` is \
             `{name}` whatever it holds (an `Rc`, a `Cell`), so safe code can share or send those \
             across threads"
        ),
    })
}

/// `Type`'s name as written: `ArenaGraph<N, E>`.
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::ResolvedPath(p) => {
            let args = match p.args.as_deref() {
                Some(GenericArgs::AngleBracketed { args, .. }) if !args.is_empty() => {
                    let args: Vec<String> = args
                        .iter()
                        .map(|a| match a {
                            GenericArg::Lifetime(l) => l.clone(),
                            GenericArg::Type(t) => type_name(t),
                            GenericArg::Const(_) => "_".into(),
                            GenericArg::Infer => "_".into(),
                        })
                        .collect();
                    format!("<{}>", args.join(", "))
                }
                _ => String::new(),
            };
            format!("{}{args}", last_segment(&p.path))
        }
        Type::Generic(g) => g.clone(),
        Type::Primitive(p) => p.clone(),
        _ => "_".into(),
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn resolved_id(ty: &Type) -> Option<&Id> {
    match ty {
        Type::ResolvedPath(p) => Some(&p.id),
        _ => None,
    }
}

/// Every type inside `ty`, `ty` first.
fn walk<'t>(ty: &'t Type, f: &mut dyn FnMut(&'t Type)) {
    f(ty);
    match ty {
        Type::ResolvedPath(p) => walk_path(p, f),
        Type::DynTrait(d) => d.traits.iter().for_each(|t| walk_path(&t.trait_, f)),
        Type::FunctionPointer(fp) => {
            fp.sig.inputs.iter().for_each(|(_, t)| walk(t, f));
            if let Some(o) = &fp.sig.output {
                walk(o, f);
            }
        }
        Type::Tuple(ts) => ts.iter().for_each(|t| walk(t, f)),
        Type::Slice(t) | Type::RawPointer { type_: t, .. } | Type::BorrowedRef { type_: t, .. } => {
            walk(t, f);
        }
        Type::Array { type_, .. } | Type::Pat { type_, .. } => walk(type_, f),
        Type::ImplTrait(bounds) => walk_bounds(bounds, f),
        Type::QualifiedPath {
            args,
            self_type,
            trait_,
            ..
        } => {
            walk(self_type, f);
            if let Some(a) = args {
                walk_args(a, f);
            }
            if let Some(p) = trait_ {
                walk_path(p, f);
            }
        }
        Type::Generic(_) | Type::Primitive(_) | Type::Infer => {}
    }
}

fn walk_path<'t>(p: &'t Path, f: &mut dyn FnMut(&'t Type)) {
    if let Some(a) = &p.args {
        walk_args(a, f);
    }
}

fn walk_bounds<'t>(bounds: &'t [GenericBound], f: &mut dyn FnMut(&'t Type)) {
    for b in bounds {
        if let GenericBound::TraitBound { trait_, .. } = b {
            walk_path(trait_, f);
        }
    }
}

fn walk_args<'t>(args: &'t GenericArgs, f: &mut dyn FnMut(&'t Type)) {
    match args {
        GenericArgs::AngleBracketed { args, constraints } => {
            for a in args {
                if let GenericArg::Type(t) = a {
                    walk(t, f);
                }
            }
            for c in constraints {
                if let Some(a) = &c.args {
                    walk_args(a, f);
                }
                match &c.binding {
                    AssocItemConstraintKind::Equality(Term::Type(t)) => walk(t, f),
                    AssocItemConstraintKind::Constraint(bounds) => walk_bounds(bounds, f),
                    AssocItemConstraintKind::Equality(Term::Constant(_)) => {}
                }
            }
        }
        GenericArgs::Parenthesized { inputs, output } => {
            inputs.iter().for_each(|t| walk(t, f));
            if let Some(o) = output {
                walk(o, f);
            }
        }
        GenericArgs::ReturnTypeNotation => {}
    }
}

/// The lifetimes named in `ty` (not `'static`, not `'_`).
fn lifetimes(ty: &Type, out: &mut BTreeSet<String>) {
    let mut add = |l: &String| {
        if l != "'static" && l != "'_" {
            out.insert(l.clone());
        }
    };
    walk(ty, &mut |t| match t {
        Type::BorrowedRef {
            lifetime: Some(l), ..
        } => add(l),
        Type::DynTrait(d) => {
            if let Some(l) = &d.lifetime {
                add(l);
            }
            d.traits
                .iter()
                .for_each(|t| path_lifetimes(&t.trait_, &mut add));
        }
        Type::ImplTrait(bounds) => {
            for b in bounds {
                match b {
                    GenericBound::Outlives(l) => add(l),
                    GenericBound::Use(args) => {
                        for a in args {
                            if let PreciseCapturingArg::Lifetime(l) = a {
                                add(l);
                            }
                        }
                    }
                    GenericBound::TraitBound { trait_, .. } => path_lifetimes(trait_, &mut add),
                }
            }
        }
        Type::ResolvedPath(p) => path_lifetimes(p, &mut add),
        Type::QualifiedPath { args: Some(a), .. } => args_lifetimes(a, &mut add),
        _ => {}
    });
}

fn path_lifetimes(p: &Path, add: &mut impl FnMut(&String)) {
    if let Some(a) = &p.args {
        args_lifetimes(a, add);
    }
}

fn args_lifetimes(a: &GenericArgs, add: &mut impl FnMut(&String)) {
    if let GenericArgs::AngleBracketed { args, .. } = a {
        for arg in args {
            if let GenericArg::Lifetime(l) = arg {
                add(l);
            }
        }
    }
}

fn has_raw_pointer(ty: &Type) -> bool {
    let mut found = false;
    walk(ty, &mut |t| found |= matches!(t, Type::RawPointer { .. }));
    found
}

fn mentions_self(ty: &Type) -> bool {
    mentions_generic(ty, "Self")
}

fn mentions_generic(ty: &Type, name: &str) -> bool {
    let mut found = false;
    walk(ty, &mut |t| {
        found |= matches!(t, Type::Generic(g) if g == name)
    });
    found
}
