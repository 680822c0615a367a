//! [`Out`]: what an op returns, in the shapes most specs need.

use std::fmt::Debug;

use crate::Tracked;
use crate::panics::PanicMessage;

/// What an op returns, compared between the model and the subject.
///
/// Most ops return nothing, an element, some elements, a yes or no, an error or a panic by
/// contract; `From` conversions turn each method's result into one, so an op body ends in
/// `.into()`. `T` is the value an element holds: elements come in as [`Tracked<T>`] (which counts
/// as dropped), `&Tracked<T>` (cloned out) or `T` (see [`IntoValue`]).
#[derive(Debug, PartialEq)]
pub enum Out<T> {
    /// Nothing to compare.
    Unit,
    /// One element, or none.
    Value(Option<T>),
    /// Elements, in order.
    Values(Vec<T>),
    /// A number: a length, an index, a count.
    Count(usize),
    /// A yes or no.
    Flag(bool),
    /// An error value, by its kind (see [`Out::error`]).
    Error(&'static str),
    /// A panic by contract (see [`panics_if`](crate::panics_if)).
    Panicked(PanicMessage),
}

impl<T> Out<T> {
    /// The values of `items`, in order.
    pub fn values<X: IntoValue<T>>(items: impl IntoIterator<Item = X>) -> Self {
        Out::Values(items.into_iter().map(IntoValue::into_value).collect())
    }

    /// An error compared by kind: the first of `kinds` that its `Debug` output names, or
    /// `"other"`. Lets two error types that spell the same kinds differently be compared
    /// (`TryReserveError { kind: CapacityOverflow }` and `CapacityOverflow`).
    pub fn error(error: &impl Debug, kinds: &[&'static str]) -> Self {
        let text = format!("{error:?}");
        Out::Error(
            kinds
                .iter()
                .copied()
                .find(|k| text.contains(k))
                .unwrap_or("other"),
        )
    }

    /// `Unit` for `Ok(())`, [`Out::error`] of the error otherwise.
    pub fn result<E: Debug>(result: Result<(), E>, kinds: &[&'static str]) -> Self {
        result.map_or_else(|e| Out::error(&e, kinds), |()| Out::Unit)
    }
}

impl<T> From<()> for Out<T> {
    fn from((): ()) -> Self {
        Out::Unit
    }
}

impl<T> From<bool> for Out<T> {
    fn from(flag: bool) -> Self {
        Out::Flag(flag)
    }
}

impl<T> From<usize> for Out<T> {
    fn from(n: usize) -> Self {
        Out::Count(n)
    }
}

impl<T, X: IntoValue<T>> From<Option<X>> for Out<T> {
    fn from(value: Option<X>) -> Self {
        Out::Value(value.map(IntoValue::into_value))
    }
}

impl<T, X: IntoValue<T>> From<Vec<X>> for Out<T> {
    fn from(values: Vec<X>) -> Self {
        Out::values(values)
    }
}

/// An element as an op returns it, turned into the value [`Out`] compares.
pub trait IntoValue<T> {
    /// The value.
    fn into_value(self) -> T;
}

impl<T> IntoValue<T> for T {
    fn into_value(self) -> T {
        self
    }
}

/// The value taken out: the tracked value counts as dropped.
impl<T> IntoValue<T> for Tracked<T> {
    fn into_value(self) -> T {
        self.into_inner()
    }
}

/// The value cloned out (a plain clone of `T`: no tracked clone, nothing an armed panic counts).
impl<T: Clone> IntoValue<T> for &Tracked<T> {
    fn into_value(self) -> T {
        self.get().clone()
    }
}

/// The value cloned out, as for `&Tracked<T>`.
impl<T: Clone> IntoValue<T> for &mut Tracked<T> {
    fn into_value(self) -> T {
        self.get().clone()
    }
}

/// A call that may panic by contract: its result, or [`Out::Panicked`].
impl<T, R: Into<Out<T>>> From<Result<R, PanicMessage>> for Out<T> {
    fn from(result: Result<R, PanicMessage>) -> Self {
        result.map_or_else(Out::Panicked, Into::into)
    }
}
