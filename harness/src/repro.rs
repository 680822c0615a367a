//! A failing case as a `#[test]` to paste into a test file: its steps written as Rust
//! expressions (`Op::Insert { index: 1, value: 7 }.into()`), run by [`assert_passes`].
//!
//! `lockstep repro TARGET CASE` prints one for any case, whichever engine found it; a proptest
//! failure ([`crate::proptest`]) prints one for its shrunk case. The test names the spec and its
//! op enum's module by the paths the compiler gives them ([`std::any::type_name`]), and brings
//! lockstep's own types (this module's re-exports) into scope, so it compiles where the spec's
//! crate is a dependency, as long as every type the ops' fields use is public in the op enum's
//! module or is one of lockstep's. Values are written through `Serialize`, the same way traces
//! are, so what a trace can hold a test can too.

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser::{self, Impossible};

pub use crate::guards::Finish;
pub use crate::handles::Pick;
pub use crate::select::{RangeKind, Shape};
use crate::step::Step;
use crate::{runner, spec::Spec};

/// Runs `steps` (ops and arms) the way every engine does and panics with the failure report if
/// a check fails: the body of a test [`test_source`] writes.
#[track_caller]
pub fn assert_passes<S: Spec>(steps: &[Step<S::Op>]) {
    if let runner::Outcome::Fail(failure) = runner::run::<S>(steps) {
        panic!("{failure}");
    }
}

/// A `#[test]` called `name` that runs `steps` of the spec `S` with [`assert_passes`]: it fails
/// the way the case fails. `crate_name` is the crate the test is for, if known: paths into it
/// are written from `crate`.
pub fn test_source<S: Spec>(
    name: &str,
    steps: &[Step<S::Op>],
    crate_name: Option<&str>,
) -> Result<String, String> {
    let path = |full: &'static str| -> String {
        match (crate_name, full.split_once("::")) {
            (Some(krate), Some((first, rest))) if first == krate => format!("crate::{rest}"),
            _ => full.to_owned(),
        }
    };
    let spec = path(std::any::type_name::<S>());
    let op = path(std::any::type_name::<S::Op>());
    let module = op.rsplit_once("::").map_or("crate", |(m, _)| m);
    // lockstep's types in an outer block, the spec's in an inner one, whose names win where
    // both have one (a spec's own `Step`, say); the runner's own types are written whole.
    let mut text = format!(
        "#[test]\nfn {name}() {{\n    #[allow(unused_imports)]\n    use lockstep::repro::*;\n    \
         {{\n        #[allow(unused_imports)]\n        use {module}::*;\n        \
         lockstep::repro::assert_passes::<{spec}>(&[\n"
    );
    for step in steps {
        let line = match step {
            Step::Op(op) => format!("{}.into()", to_rust(op)?),
            Step::Arm(plan) => format!("lockstep::Step::Arm(lockstep::{})", to_rust(plan)?),
        };
        let _ = writeln!(text, "            {line},");
    }
    text.push_str("        ]);\n    }\n}\n");
    Ok(text)
}

/// A Rust identifier made of `words` (a signature, say): lowercase, `_` for the rest, at most
/// 60 characters, never starting with a digit.
pub fn test_name(words: &str) -> String {
    let mut name = String::new();
    for c in words.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') {
            name.push('_');
        }
        if name.len() >= 60 {
            break;
        }
    }
    let name = name.trim_matches('_');
    match name.chars().next() {
        Some(c) if !c.is_ascii_digit() => name.to_owned(),
        _ => format!("case_{name}"),
    }
}

/// `value` as a Rust expression: enums as `Type::Variant`, sequences as `vec![..]`, strings as
/// `"..".into()`.
pub fn to_rust<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    let mut out = String::new();
    value.serialize(Rust { out: &mut out }).map_err(|e| e.0)?;
    Ok(out)
}

/// Why a value could not be written as Rust.
#[derive(Debug)]
struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Writes one value as a Rust expression.
struct Rust<'a> {
    out: &'a mut String,
}

/// Writes the items of a sequence, tuple or struct, then its closing bracket.
struct Items<'a> {
    out: &'a mut String,
    first: bool,
    close: &'static str,
}

impl Items<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, field: Option<&str>, value: &T) -> Result<(), Error> {
        if !std::mem::take(&mut self.first) {
            self.out.push_str(", ");
        }
        if let Some(field) = field {
            self.out.push_str(field);
            self.out.push_str(": ");
        }
        value.serialize(Rust { out: self.out })
    }

    fn close(self) -> Result<(), Error> {
        self.out.push_str(self.close);
        Ok(())
    }
}

macro_rules! literal {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            let _ = write!(self.out, "{v}");
            Ok(())
        }
    )*};
}

impl<'a> ser::Serializer for Rust<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Items<'a>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Items<'a>;
    type SerializeStructVariant = Items<'a>;

    literal!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        let _ = match v {
            v if v.is_nan() => write!(self.out, "f64::NAN as _"),
            v if v.is_infinite() && v > 0.0 => write!(self.out, "f64::INFINITY as _"),
            v if v.is_infinite() => write!(self.out, "f64::NEG_INFINITY as _"),
            v => write!(self.out, "{v:?}"),
        };
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        let _ = write!(self.out, "{v:?}");
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        let _ = write!(self.out, "{v:?}.into()");
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let _ = write!(self.out, "vec!{v:?}");
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.push_str("None");
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.out.push_str("Some(");
        value.serialize(Rust { out: self.out })?;
        self.out.push(')');
        Ok(())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("()");
        Ok(())
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Error> {
        self.out.push_str(name);
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        let _ = write!(self.out, "{name}::{variant}");
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let _ = write!(self.out, "{name}(");
        value.serialize(Rust { out: self.out })?;
        self.out.push(')');
        Ok(())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let _ = write!(self.out, "{name}::{variant}(");
        value.serialize(Rust { out: self.out })?;
        self.out.push(')');
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'a>, Error> {
        Ok(self.open("vec![", "]"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Items<'a>, Error> {
        Ok(self.open("(", ")"))
    }

    fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Items<'a>, Error> {
        self.out.push_str(name);
        Ok(self.open("(", ")"))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Items<'a>, Error> {
        let _ = write!(self.out, "{name}::{variant}");
        Ok(self.open("(", ")"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Error(
            "a map cannot be written as an op in a test: use a Vec of pairs in the op".into(),
        ))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Items<'a>, Error> {
        self.out.push_str(name);
        Ok(self.open(" { ", " }"))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Items<'a>, Error> {
        let _ = write!(self.out, "{name}::{variant}");
        Ok(self.open(" { ", " }"))
    }
}

impl<'a> Rust<'a> {
    fn open(self, open: &str, close: &'static str) -> Items<'a> {
        self.out.push_str(open);
        Items {
            out: self.out,
            first: true,
            close,
        }
    }
}

/// The compound serializers: each writes its items through [`Items::item`], then closes.
macro_rules! items {
    ($($trait:ident: $method:ident;)*) => {$(
        impl ser::$trait for Items<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(None, value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
    ($($trait:ident;)*) => {$(
        impl ser::$trait for Items<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.item(Some(key), value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

items! {
    SerializeSeq: serialize_element;
    SerializeTuple: serialize_element;
    SerializeTupleStruct: serialize_field;
    SerializeTupleVariant: serialize_field;
}
items! {
    SerializeStruct;
    SerializeStructVariant;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    enum Op {
        Push(u32),
        Pop,
        Insert { index: u16, value: u32 },
        Extend(Vec<u8>),
        Pair(i8, Option<bool>),
        Name(String),
    }

    #[test]
    fn values_are_written_as_rust_expressions() {
        let rust = |op: &Op| to_rust(op).unwrap();
        assert_eq!(rust(&Op::Push(7)), "Op::Push(7)");
        assert_eq!(rust(&Op::Pop), "Op::Pop");
        assert_eq!(
            rust(&Op::Insert { index: 1, value: 2 }),
            "Op::Insert { index: 1, value: 2 }"
        );
        assert_eq!(rust(&Op::Extend(vec![1, 2])), "Op::Extend(vec![1, 2])");
        assert_eq!(rust(&Op::Pair(-1, Some(true))), "Op::Pair(-1, Some(true))");
        assert_eq!(rust(&Op::Name("a\"b".into())), r#"Op::Name("a\"b".into())"#);
        assert_eq!(
            to_rust(&crate::PanicPlan::Clone { after: 1 }).unwrap(),
            "PanicPlan::Clone { after: 1 }"
        );
    }

    #[test]
    fn test_names_are_identifiers() {
        assert_eq!(
            test_name("divergence at op Drain"),
            "divergence_at_op_drain"
        );
        assert_eq!(test_name("3 ops"), "case_3_ops");
        assert_eq!(test_name("::"), "case_");
    }
}
