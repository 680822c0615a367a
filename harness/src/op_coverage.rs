//! Op coverage: which op variants a set of cases made do real work.
//!
//! A campaign that never runs `SplitAfter` on a list of two or more elements tests nothing
//! there, however long it runs. [`count`] runs cases on the model alone and counts, per op
//! variant, how often it ran, how often it was a no-op (it returned nothing and left the state
//! as it was), returned an error or panicked by contract, and how often it ran on a non-empty
//! structure. The rest of its runs did *real work*: they returned something, or changed the
//! state. `lockstep fuzz` counts the corpus of every campaign this way and warns about variants
//! that never did real work; `lockstep report` shows the table.
//!
//! Counting runs the model only, after the campaign, over the inputs the fuzzer kept (every one
//! of them reached code no earlier input reached), so the fuzzing itself pays nothing for it.
//!
//! Variants are named by their enum: `Op::Push`, and for enums nested in an op's fields (a
//! cursor program's steps) `Step::SplitAfter`. A nested variant is counted each time it occurs
//! in an op that ran, and takes that op's effect: its row says whether the ops it was part of
//! did real work. Every variant of the op enum and of the enums in its fields is listed, those
//! that never ran too (read from the types' `Deserialize`, as serde's derive declares them).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::{Deserialize, Serialize, ser};

use crate::out::Out;
use crate::panics::{self, contract};
use crate::spec::Spec;
use crate::step::Step;
use crate::tracked::ledger;

/// What one op's output says it did (see [`HasEffect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Returned nothing: `()`, `None`, an empty list. Real work only if the state changed.
    Nothing,
    /// Returned something: a value, a count, a yes or no.
    Value,
    /// Returned an error value.
    Error,
    /// Panicked by contract (see [`panics_if`](crate::panics_if)).
    Panicked,
}

/// What an op's output says it did, for op coverage. [`Out`], `Option`, `Vec`, `Result`, `()`,
/// `bool` and the integers have it; a spec with an output type of its own implements it (one
/// match).
pub trait HasEffect {
    /// What the op did, as far as its output tells.
    fn effect(&self) -> Effect;
}

impl<T> HasEffect for Out<T> {
    fn effect(&self) -> Effect {
        match self {
            Out::Unit | Out::Value(None) => Effect::Nothing,
            Out::Values(values) if values.is_empty() => Effect::Nothing,
            Out::Value(Some(_)) | Out::Values(_) | Out::Count(_) | Out::Flag(_) => Effect::Value,
            Out::Error(_) => Effect::Error,
            Out::Panicked(_) => Effect::Panicked,
        }
    }
}

impl<T> HasEffect for Option<T> {
    fn effect(&self) -> Effect {
        match self {
            None => Effect::Nothing,
            Some(_) => Effect::Value,
        }
    }
}

/// The outputs of a program of steps: a value if any step returned one, else a contract panic
/// if one was raised, else an error if one was returned, else nothing.
impl<X: HasEffect> HasEffect for Vec<X> {
    fn effect(&self) -> Effect {
        let effects: Vec<Effect> = self.iter().map(HasEffect::effect).collect();
        [Effect::Value, Effect::Panicked, Effect::Error]
            .into_iter()
            .find(|e| effects.contains(e))
            .unwrap_or(Effect::Nothing)
    }
}

impl<T: HasEffect, E> HasEffect for Result<T, E> {
    fn effect(&self) -> Effect {
        self.as_ref().map_or(Effect::Error, HasEffect::effect)
    }
}

impl HasEffect for () {
    fn effect(&self) -> Effect {
        Effect::Nothing
    }
}

macro_rules! values_have_effect {
    ($($t:ty),*) => {$(
        impl HasEffect for $t {
            fn effect(&self) -> Effect {
                Effect::Value
            }
        }
    )*};
}
values_have_effect!(bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// The op coverage of a set of cases (see the [module](self)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCoverage {
    /// Cases run.
    pub cases: u64,
    /// Ops run.
    pub ops: u64,
    /// Cases the model panicked in outside any contract (their ops up to the panic are counted).
    pub model_panics: u64,
    /// Every variant, those of the op enum first, in declaration order.
    pub variants: Vec<VariantCoverage>,
}

/// The counts of one op variant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantCoverage {
    /// `Enum::Variant`.
    pub name: String,
    /// Whether it is a variant of an enum nested in the op's fields (counted with its op's
    /// effect), not of the op enum.
    pub nested: bool,
    /// Times it ran.
    pub runs: u64,
    /// Runs that returned nothing and left the state as it was.
    pub no_ops: u64,
    /// Runs that returned an error.
    pub errors: u64,
    /// Runs that panicked by contract.
    pub panicked: u64,
    /// Runs on a non-empty structure: its state listed more items than a fresh one's.
    pub non_empty: u64,
    /// The most items the state had before one of its runs, beyond a fresh one's.
    pub largest: u64,
}

impl VariantCoverage {
    /// What [`VariantCoverage::cells`] holds, in order: the columns of a table of variants.
    pub const COLUMNS: [&'static str; 7] = [
        "runs",
        "real work",
        "no-op",
        "error",
        "panic",
        "non-empty",
        "largest",
    ];

    /// Its counts, in the order of [`VariantCoverage::COLUMNS`].
    pub fn cells(&self) -> [u64; 7] {
        [
            self.runs,
            self.real(),
            self.no_ops,
            self.errors,
            self.panicked,
            self.non_empty,
            self.largest,
        ]
    }

    /// Runs that did real work: not a no-op, an error or a contract panic.
    pub fn real(&self) -> u64 {
        self.runs - self.no_ops - self.errors - self.panicked
    }

    /// Why the variant tests nothing, if it does not: it never did real work, or did it only on
    /// an empty structure.
    pub fn warning(&self) -> Option<String> {
        let name = &self.name;
        if self.runs == 0 {
            return Some(format!("{name} never ran"));
        }
        if self.real() == 0 {
            let mut why = Vec::new();
            for (n, what) in [
                (self.no_ops, "no-ops"),
                (self.errors, "errors"),
                (self.panicked, "panics by contract"),
            ] {
                if n > 0 {
                    why.push(format!("{n} {what}"));
                }
            }
            return Some(format!(
                "{name} never did real work: {} runs: {}",
                self.runs,
                why.join(", ")
            ));
        }
        if self.non_empty == 0 {
            return Some(format!(
                "{name} ran only on an empty structure ({} runs)",
                self.runs
            ));
        }
        None
    }
}

impl OpCoverage {
    /// The warnings of every variant (see [`VariantCoverage::warning`]).
    pub fn warnings(&self) -> Vec<String> {
        self.variants
            .iter()
            .filter_map(VariantCoverage::warning)
            .collect()
    }

    /// Adds another set's counts to these (same spec).
    pub fn merge(&mut self, other: &OpCoverage) {
        self.cases += other.cases;
        self.ops += other.ops;
        self.model_panics += other.model_panics;
        for theirs in &other.variants {
            match self.variants.iter_mut().find(|v| v.name == theirs.name) {
                Some(ours) => {
                    ours.runs += theirs.runs;
                    ours.no_ops += theirs.no_ops;
                    ours.errors += theirs.errors;
                    ours.panicked += theirs.panicked;
                    ours.non_empty += theirs.non_empty;
                    ours.largest = ours.largest.max(theirs.largest);
                }
                None => self.variants.push(theirs.clone()),
            }
        }
    }

    /// The table as a terminal shows it: a row per variant, nested ones indented, and those
    /// with a [warning](VariantCoverage::warning) marked.
    pub fn render(&self) -> String {
        let name = |v: &VariantCoverage| match v.nested {
            true => format!("  {}", v.name),
            false => v.name.clone(),
        };
        let width = self
            .variants
            .iter()
            .map(|v| name(v).len())
            .max()
            .unwrap_or(0);
        let mut out = format!("{:width$}", "variant");
        for column in VariantCoverage::COLUMNS {
            let _ = write!(out, " {column:>9}");
        }
        out.push('\n');
        for v in &self.variants {
            let _ = write!(out, "{:width$}", name(v));
            for cell in v.cells() {
                let _ = write!(out, " {cell:>9}");
            }
            out.push_str(if v.warning().is_some() {
                "  <-\n"
            } else {
                "\n"
            });
        }
        let _ = write!(
            out,
            "{} cases, {} ops{}",
            self.cases,
            self.ops,
            match self.model_panics {
                0 => String::new(),
                n => format!(", {n} cases stopped by a panic of the model"),
            }
        );
        out
    }
}

/// Counts the op coverage of `cases` (see the [module](self)): each runs on the model alone,
/// its whole state listed before and after every op.
pub fn count<S: Spec>(cases: impl IntoIterator<Item = Vec<Step<S::Op>>>) -> OpCoverage {
    let mut rows: BTreeMap<&'static str, BTreeMap<&'static str, VariantCoverage>> = BTreeMap::new();
    let declared = declared::<S::Op>();
    let mut coverage = OpCoverage::default();
    let mut seen = Vec::new();
    // What a fresh model lists (a separator between instances, say) is not the structure's.
    ledger::begin_run();
    let empty = S::model_state(&S::new_model()).count();
    for ops in cases {
        coverage.cases += 1;
        ledger::begin_run();
        contract::set_step(contract::Step::Never);
        let mut model = S::new_model();
        let ran = panics::catch(|| {
            for op in ops.iter().filter_map(Step::op) {
                let before: Vec<S::Item> = S::model_state(&model).collect();
                let output = S::apply_model(&mut model, op);
                let effect = match output.effect() {
                    Effect::Nothing if !unchanged::<S>(&model, &before) => Effect::Value,
                    effect => effect,
                };
                drop(output);
                seen.clear();
                variants(op, &mut seen);
                for (i, &(ty, variant)) in seen.iter().enumerate() {
                    let row = rows.entry(ty).or_default().entry(variant).or_default();
                    row.nested = i > 0;
                    row.runs += 1;
                    match effect {
                        Effect::Nothing => row.no_ops += 1,
                        Effect::Error => row.errors += 1,
                        Effect::Panicked => row.panicked += 1,
                        Effect::Value => {}
                    }
                    let size = before.len().saturating_sub(empty) as u64;
                    row.non_empty += u64::from(size > 0);
                    row.largest = row.largest.max(size);
                }
                coverage.ops += 1;
            }
            drop(model);
        });
        contract::set_step(contract::Step::Every);
        coverage.model_panics += u64::from(ran.is_err());
    }
    // The declared variants in their order, then any the declaration did not show.
    for (ty, names) in &declared {
        for name in *names {
            let row = rows
                .get_mut(ty)
                .and_then(|r| r.remove(name))
                .unwrap_or_default();
            coverage.variants.push(VariantCoverage {
                name: format!("{ty}::{name}"),
                nested: *ty != declared[0].0,
                ..row
            });
        }
    }
    for (ty, rest) in rows {
        for (name, row) in rest {
            coverage.variants.push(VariantCoverage {
                name: format!("{ty}::{name}"),
                ..row
            });
        }
    }
    coverage
}

/// Whether the model's state is still `before`, item by item.
fn unchanged<S: Spec>(model: &S::Model, before: &[S::Item]) -> bool {
    let mut after = S::model_state(model);
    before.iter().all(|b| after.next().is_some_and(|a| a == *b)) && after.next().is_none()
}

// ---- The variants an op is made of: a serializer that notes every enum variant it passes.

/// Pushes `(enum, variant)` for the op's own variant, then for every variant nested in its
/// fields, in order.
pub fn variants<T: Serialize + ?Sized>(op: &T, out: &mut Vec<(&'static str, &'static str)>) {
    // An op that serde cannot walk to the end still names what it passed.
    let _ = op.serialize(Walk(out));
}

struct Walk<'a>(&'a mut Vec<(&'static str, &'static str)>);

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stop")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

macro_rules! walk_leaves {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method(self, _: $ty) -> Result<(), Stop> {
            Ok(())
        }
    )*};
}

impl<'a> ser::Serializer for Walk<'a> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    walk_leaves!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str)
    );

    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Stop> {
        self.note(name, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self.note(name, variant))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Stop> {
        Ok(self.note(name, variant))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Stop> {
        Ok(self.note(name, variant))
    }
}

impl Walk<'_> {
    /// Notes a variant passed on the way.
    fn note(self, name: &'static str, variant: &'static str) -> Self {
        self.0.push((name, variant));
        self
    }

    fn inner<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(Walk(self.0))
    }
}

macro_rules! walk_compound {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Walk<'_> {
            type Ok = ();
            type Error = Stop;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
                self.inner(value)
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        }
    )*};
}
walk_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Walk<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.inner(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.inner(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

macro_rules! walk_fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Walk<'_> {
            type Ok = ();
            type Error = Stop;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _: &'static str,
                value: &T,
            ) -> Result<(), Stop> {
                self.inner(value)
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        }
    )*};
}
walk_fields!(SerializeStruct, SerializeStructVariant);

// ---- The variants a type declares: a deserializer that builds the type again and again,
// each enum taking its variants in turn, and notes the variants serde's derive declares.

/// The enums `T` is made of, each with its variants in declaration order, `T`'s own first (if it
/// is an enum): what serde's derive passes to `deserialize_enum`. An enum reachable only through
/// a field whose `Deserialize` is written by hand is missed.
pub fn declared<T: DeserializeOwned>() -> Vec<(&'static str, &'static [&'static str])> {
    let state = RefCell::new(Declared::default());
    for _ in 0..MAX_PROBES {
        let _ = T::deserialize(Probe {
            state: &state,
            depth: 0,
        });
        // Done when every enum found has had each of its variants built once.
        let done = state
            .borrow()
            .enums
            .iter()
            .all(|e| e.taken >= e.variants.len());
        if done {
            break;
        }
    }
    let enums = state.into_inner().enums;
    enums.into_iter().map(|e| (e.name, e.variants)).collect()
}

/// The most times the probe builds the type: enough for thousands of nested variants.
const MAX_PROBES: usize = 4096;

/// How deep the probe goes into nested types (a recursive type ends it).
const PROBE_DEPTH: usize = 16;

#[derive(Default)]
struct Declared {
    enums: Vec<Enum>,
}

struct Enum {
    name: &'static str,
    variants: &'static [&'static str],
    /// Times a variant of it was taken: the next is `variants[taken % len]`.
    taken: usize,
}

#[derive(Clone, Copy)]
struct Probe<'a> {
    state: &'a RefCell<Declared>,
    depth: usize,
}

impl Probe<'_> {
    fn deeper(self) -> Result<Self, Stop> {
        if self.depth >= PROBE_DEPTH {
            return Err(Stop);
        }
        Ok(Probe {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_u64(0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_bool(false)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_f32(0.0)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_f64(0.0)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_char('a')
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_str("")
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_str("")
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_bytes(&[])
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_bytes(&[])
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        // `Some`, so that an enum inside is found.
        visitor.visit_some(self.deeper()?)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_newtype_struct(self.deeper()?)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        // One element, so that an enum inside is found.
        visitor.visit_seq(Elements {
            probe: self,
            left: 1,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_seq(Elements {
            probe: self,
            left: len,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_seq(Elements {
            probe: self,
            left: len,
        })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_map(de::value::MapDeserializer::<_, Stop>::new(
            std::iter::empty::<((), ())>(),
        ))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_seq(Elements {
            probe: self,
            left: fields.len(),
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        let variant = {
            let mut state = self.state.borrow_mut();
            let position = state.enums.iter().position(|e| e.name == name);
            let e = match position {
                Some(i) => &mut state.enums[i],
                None => {
                    state.enums.push(Enum {
                        name,
                        variants,
                        taken: 0,
                    });
                    state.enums.last_mut().ok_or(Stop)?
                }
            };
            let variant = *variants.get(e.taken % variants.len().max(1)).ok_or(Stop)?;
            e.taken += 1;
            variant
        };
        visitor.visit_enum(Variant {
            name: variant,
            probe: self.deeper()?,
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_u64(0)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128
    }
}

/// The elements of a sequence, a tuple or a struct's fields, each built by the probe.
struct Elements<'a> {
    probe: Probe<'a>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_> {
    type Error = Stop;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Stop> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(self.probe.deeper()?).map(Some)
    }
}

/// The variant the probe takes, by name, with its fields built by the probe.
struct Variant<'a> {
    name: &'static str,
    probe: Probe<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for Variant<'a> {
    type Error = Stop;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Stop> {
        let name: de::value::StrDeserializer<'_, Stop> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_> {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Stop> {
        seed.deserialize(self.probe)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_seq(Elements {
            probe: self.probe,
            left: len,
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_seq(Elements {
            probe: self.probe,
            left: fields.len(),
        })
    }
}
