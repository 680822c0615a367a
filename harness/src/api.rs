//! [`same_api!`](crate::same_api): one trait for the methods a model and a subject share, so a
//! spec writes each op once, as a generic function over it.

/// Declares a trait for the methods several types share under the same names, and implements it
/// for each of them by calling the type's own method.
///
/// A spec then applies an op with one generic function, `fn apply<B: Buf>(b: &mut B, op: &Op)`,
/// that serves the model and the subject alike: both sides make the same calls by construction.
///
/// ```
/// use std::collections::VecDeque;
///
/// lockstep::same_api! {
///     /// What `Vec` and `VecDeque` share.
///     pub trait Queue for Vec<u32>, VecDeque<u32> {
///         fn new() -> Self;
///         fn len(&self) -> usize;
///         fn insert(&mut self, index: usize, value: u32);
///         fn retain<F: FnMut(&u32) -> bool>(&mut self, keep: F);
///         fn drain<R: std::ops::RangeBounds<usize>>(&mut self, range: R)
///             -> impl DoubleEndedIterator<Item = u32>;
///     }
/// }
///
/// fn apply<Q: Queue>() -> Vec<u32> {
///     let mut q = Q::new();
///     q.insert(0, 2);
///     q.insert(0, 1);
///     q.retain(|&v| v > 0);
///     let len = q.len();
///     q.drain(..len).rev().collect()
/// }
/// assert_eq!(apply::<Vec<u32>>(), apply::<VecDeque<u32>>());
/// ```
///
/// Each method is declared as in the types' documentation, with `Self` for the type itself and
/// `impl Trait` where the types return different ones (`drain`). A generic parameter takes one
/// bound (`<F: FnMut(&T) -> bool>`). Supertraits go after the name (`trait Buf: Default + Clone
/// for ...`), except a higher-ranked one (`for<'a> ...`), whose `for` would be read as the list
/// of types. Only a type's own (inherent) methods are called: a method
/// it gets from a trait (`into_iter`, `clone`) or from `Deref` (a slice's `len`) is not found
/// that way, so put that trait as a bound on the generic function instead
/// (`B: Buf + IntoIterator<Item = T>`). A method a type lacks fails to compile with "function
/// cannot return without recursing" on the trait's implementation for that type; give the type
/// the method, or leave the op out of the trait.
///
/// Where the types' signatures name different types (a cursor's `splice_after` takes its own
/// list type), declare an associated type among the methods (`type Spare: List;`, one bound at
/// most) and give each type its value in brackets after it. An `unsafe fn` is declared as such,
/// with its `# Safety` section, and forwarded inside an `unsafe` block:
///
/// ```
/// lockstep::same_api! {
///     /// What two kinds of vector share.
///     pub trait Halves for Vec<u8> [type Half = Vec<u8>;], Vec<u16> [type Half = Vec<u16>;] {
///         /// What `split_off` returns.
///         type Half;
///         fn len(&self) -> usize;
///         fn split_off(&mut self, at: usize) -> Self::Half;
///         /// # Safety
///         /// As `Vec::set_len`'s: `new_len` is at most the capacity, its elements initialised.
///         unsafe fn set_len(&mut self, new_len: usize);
///     }
/// }
///
/// fn halve<V: Halves>(v: &mut V) -> V::Half {
///     let half = v.split_off(v.len() / 2);
///     // SAFETY: a shorter length keeps every element inside it initialised.
///     unsafe { v.set_len(v.len() / 2) };
///     half
/// }
/// assert_eq!(halve(&mut vec![1_u8, 2, 3, 4]), [3, 4]);
/// assert_eq!(halve(&mut vec![1_u16, 2]), [2]);
/// ```
#[macro_export]
macro_rules! same_api {
    ($(#[$attr:meta])* $vis:vis trait $name:ident : $($rest:tt)*) => {
        $crate::same_api!(@bounds [$(#[$attr])* $vis trait $name] [] $($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis trait $name:ident for $($rest:tt)*) => {
        $crate::same_api!(@bounds [$(#[$attr])* $vis trait $name] [] for $($rest)*);
    };

    // The supertraits, token by token up to `for`; then the types, each with the values of the
    // associated types in brackets.
    (@bounds $head:tt [$($bounds:tt)*]
        for $($ty:ty $([$($assoc:tt)*])?),+ $(,)? { $($methods:tt)* }
    ) => {
        $crate::same_api!(@parse $head [$($bounds)*] [$({ $ty [$($($assoc)*)?] })+] [] []
            $($methods)*);
    };
    (@bounds $head:tt [$($bounds:tt)*] $next:tt $($rest:tt)*) => {
        $crate::same_api!(@bounds $head [$($bounds)* $next] $($rest)*);
    };

    // An associated type, declared once; each type gives its value.
    (@parse $head:tt $bounds:tt $tys:tt [$($types:tt)*] $done:tt
        $(#[$m:meta])* type $n:ident $(: $b:path)?; $($rest:tt)*
    ) => {
        $crate::same_api!(@parse $head $bounds $tys [$($types)* $(#[$m])* type $n $(: $b)?;]
            $done $($rest)*);
    };
    // One method at a time, by its receiver: `&mut self`, `&self`, `self`, or none (and `unsafe`
    // with a borrowed receiver). `$unsafe` matches nothing that is written: a repetition is only
    // re-emitted around a variable, so the optional `unsafe` carries an empty one.
    (@parse $head:tt $bounds:tt $tys:tt $types:tt [$($done:tt)*]
        $(#[$m:meta])* $(unsafe $($unsafe:lifetime)?)? fn $f:ident
        $(<$($g:ident : $b:path),* $(,)?>)?
        (&mut self $(, $a:ident : $t:ty)* $(,)?) $(-> $r:ty)?; $($rest:tt)*
    ) => {
        $crate::same_api!(@parse $head $bounds $tys $types [$($done)* {
            [$(#[$m])*] [$(unsafe $($unsafe)?)?] $f [$($($g: $b),*)?] [&mut self $(, $a: $t)*]
            [self $(, $a)*] [$(-> $r)?]
        }] $($rest)*);
    };
    (@parse $head:tt $bounds:tt $tys:tt $types:tt [$($done:tt)*]
        $(#[$m:meta])* $(unsafe $($unsafe:lifetime)?)? fn $f:ident
        $(<$($g:ident : $b:path),* $(,)?>)?
        (&self $(, $a:ident : $t:ty)* $(,)?) $(-> $r:ty)?; $($rest:tt)*
    ) => {
        $crate::same_api!(@parse $head $bounds $tys $types [$($done)* {
            [$(#[$m])*] [$(unsafe $($unsafe)?)?] $f [$($($g: $b),*)?] [&self $(, $a: $t)*]
            [self $(, $a)*] [$(-> $r)?]
        }] $($rest)*);
    };
    (@parse $head:tt $bounds:tt $tys:tt $types:tt [$($done:tt)*]
        $(#[$m:meta])* fn $f:ident $(<$($g:ident : $b:path),* $(,)?>)?
        (self $(, $a:ident : $t:ty)* $(,)?) $(-> $r:ty)?; $($rest:tt)*
    ) => {
        $crate::same_api!(@parse $head $bounds $tys $types [$($done)* {
            [$(#[$m])*] [] $f [$($($g: $b),*)?] [self $(, $a: $t)*] [self $(, $a)*] [$(-> $r)?]
        }] $($rest)*);
    };
    (@parse $head:tt $bounds:tt $tys:tt $types:tt [$($done:tt)*]
        $(#[$m:meta])* fn $f:ident $(<$($g:ident : $b:path),* $(,)?>)?
        ($($a:ident : $t:ty),* $(,)?) $(-> $r:ty)?; $($rest:tt)*
    ) => {
        $crate::same_api!(@parse $head $bounds $tys $types [$($done)* {
            [$(#[$m])*] [] $f [$($($g: $b),*)?] [$($a: $t),*] [$($a),*] [$(-> $r)?]
        }] $($rest)*);
    };

    // Every item parsed: the trait, then one implementation per type.
    (@parse [$(#[$attr:meta])* $vis:vis trait $name:ident] $bounds:tt
        [$({ $ty:ty [$($assoc:tt)*] })+] $types:tt $methods:tt
    ) => {
        $crate::same_api!(@trait [$(#[$attr])* $vis trait $name] $bounds $types $methods);
        $($crate::same_api!(@impl $name $ty [$($assoc)*] $methods);)+
    };

    (@trait [$(#[$attr:meta])* $vis:vis trait $name:ident] [$($bounds:tt)*] [$($types:tt)*]
        [$({ [$($m:tt)*] [$($q:tt)*] $f:ident [$($gen:tt)*] [$($params:tt)*] $call:tt
            [$($ret:tt)*] })*]
    ) => {
        $(#[$attr])*
        $vis trait $name: Sized + $($bounds)* {
            $($types)*
            $(
                $($m)*
                #[doc = concat!("Calls the type's own `", stringify!($f), "`.")]
                $($q)* fn $f<$($gen)*>($($params)*) $($ret)*;
            )*
        }
    };

    (@impl $name:ident $ty:ty [$($assoc:tt)*]
        [$({ $m:tt [$($q:tt)*] $f:ident [$($gen:tt)*] [$($params:tt)*] [$($call:tt)*]
            [$($ret:tt)*] })*]
    ) => {
        #[deny(unconditional_recursion)]
        impl $name for $ty {
            $($assoc)*
            $(
                #[inline]
                $($q)* fn $f<$($gen)*>($($params)*) $($ret)* {
                    // SAFETY (when the method is `unsafe`): the caller upholds the contract of
                    // the trait's method, which is declared as the type's own.
                    $($q)* { <$ty>::$f($($call)*) }
                }
            )*
        }
    };
}

/// Declares an op enum with the derives a spec's op type needs: `Arbitrary` (decoded from
/// fuzzer bytes), `Clone`, `Debug`, `PartialEq`, `Eq`, `Hash`, and serde's `Serialize` and `Deserialize`
/// (written to and read from traces). The crate needs `arbitrary` (with its `derive` feature) and
/// `serde` (with `derive`) as dependencies.
///
/// ```
/// lockstep::ops! {
///     /// One operation.
///     pub enum Op {
///         /// `push(value)`.
///         Push(u32),
///         /// `insert(index, value)`.
///         Insert { index: u16, value: u32 },
///     }
/// }
/// ```
#[macro_export]
macro_rules! ops {
    ($(#[$attr:meta])* $vis:vis enum $name:ident { $($variants:tt)* }) => {
        $(#[$attr])*
        #[derive(
            ::arbitrary::Arbitrary,
            ::core::clone::Clone,
            ::core::fmt::Debug,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        $vis enum $name { $($variants)* }
    };
}

/// Declares a spec whose two sides are driven by the same generic functions: `apply` (an op on
/// either side, usually over a [`same_api!`](crate::same_api) trait) and `state` (either side's
/// whole state, item by item). Both sides start from `Default::default()`, or from a generic
/// function named by `new =` before `apply` (`fn new<Q: Queue>() -> Q { Q::with_capacity(4) }`),
/// for types without a `Default` or whose default does not suit. The items after `state` (at
/// least `check_invariants`, and `config` if the defaults do not suit) go into the
/// [`Spec`](crate::Spec) implementation as written.
///
/// ```
/// # use lockstep::{Out, Tracked};
/// # fn apply<S: Default>(_: &mut S, _: &Op) -> Out<u32> { Out::Unit }
/// # fn state<S>(_: &S) -> impl Iterator<Item = u32> { [].into_iter() }
/// # lockstep::ops! { pub enum Op { Nop } }
/// lockstep::spec! {
///     /// `Vec<u32>` against itself.
///     pub struct VecSpec {
///         type Op = Op;
///         type Model = Vec<u32>;
///         type Subject = Vec<u32>;
///         type Output = Out<u32>;
///         type Item = u32;
///         apply = apply;
///         state = state;
///
///         fn check_invariants(subject: &Vec<u32>) {
///             assert!(subject.len() <= subject.capacity());
///         }
///     }
/// }
/// ```
#[macro_export]
macro_rules! spec {
    (@new) => {
        ::core::default::Default::default()
    };
    (@new $new:path) => {
        $new()
    };
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            type Op = $op:ty;
            type Model = $model:ty;
            type Subject = $subject:ty;
            type Output = $out:ty;
            type Item = $item:ty;
            $(new = $new:path;)?
            apply = $apply:path;
            state = $state:path;
            $($items:tt)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug)]
        $vis struct $name;

        impl $crate::Spec for $name {
            type Op = $op;
            type Model = $model;
            type Subject = $subject;
            type Output = $out;
            type Item = $item;

            fn new_model() -> $model {
                $crate::spec!(@new $($new)?)
            }

            fn new_subject() -> $subject {
                $crate::spec!(@new $($new)?)
            }

            fn apply_model(model: &mut $model, op: &$op) -> $out {
                $apply(model, op)
            }

            fn apply_subject(subject: &mut $subject, op: &$op) -> $out {
                $apply(subject, op)
            }

            fn model_state(model: &$model) -> impl ::core::iter::Iterator<Item = $item> {
                $state(model)
            }

            fn subject_state(subject: &$subject) -> impl ::core::iter::Iterator<Item = $item> {
                $state(subject)
            }

            $($items)*
        }
    };
}
