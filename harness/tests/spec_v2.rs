//! The spec API a spec author writes with (`ops!`, `same_api!`, `spec!`, `Out`, `select`,
//! `VecModel`) and the contract panics `panics_if` raises or takes as read, against a buffer
//! whose `remove` of a missing index returns nothing instead of panicking.

use lockstep::models::VecModel;
use lockstep::select::at;
use lockstep::select::{Shape, shaped};
use lockstep::{Counted, FailureKind, Out, Outcome, Side, Spec, Tracked};

/// A `Vec` with a wrong panic path: `remove` past the end returns `None` where `Vec` panics.
#[derive(Default)]
struct Lenient(Vec<Tracked<u32>>);

impl Lenient {
    fn push(&mut self, value: Tracked<u32>) {
        self.0.push(value);
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn remove(&mut self, index: usize) -> Option<Tracked<u32>> {
        (index < self.0.len()).then(|| self.0.remove(index))
    }
}

impl VecLike for VecModel<Tracked<u32>> {
    fn remove_some(&mut self, index: usize) -> Option<Tracked<u32>> {
        Some(self.remove(index))
    }
}

impl VecLike for Lenient {
    fn remove_some(&mut self, index: usize) -> Option<Tracked<u32>> {
        self.remove(index)
    }
}

/// `remove`, with the two return types made one.
trait VecLike {
    fn remove_some(&mut self, index: usize) -> Option<Tracked<u32>>;
}

lockstep::ops! {
    enum Op {
        Push(u32),
        Remove(u16),
        /// `len()` under a condition that says it panics: a wrong spec.
        WrongCondition(u16),
    }
}

lockstep::same_api! {
    trait Buf: Default + VecLike for VecModel<Tracked<u32>>, Lenient {
        fn push(&mut self, value: Tracked<u32>);
        fn len(&self) -> usize;
    }
}

fn apply<B: Buf>(buf: &mut B, op: &Op) -> Out<u32> {
    let len = buf.len();
    match op {
        Op::Push(v) => {
            buf.push(Tracked::new(*v));
            Out::Unit
        }
        Op::Remove(i) => at(*i, len, |i| buf.remove_some(i)).into(),
        Op::WrongCondition(_) => lockstep::panics_if(true, || buf.len()).into(),
    }
}

fn state<B: Buf>(_: &B) -> impl Iterator<Item = u32> {
    std::iter::empty()
}

lockstep::spec! {
    struct LenientSpec {
        type Op = Op;
        type Model = VecModel<Tracked<u32>>;
        type Subject = Lenient;
        type Output = Out<u32>;
        type Item = u32;
        apply = apply;
        state = state;

        fn check_invariants(_: &Lenient) {}
    }
}

/// Whether `ops` fail with a divergence at their last op.
fn diverges_at_the_end(ops: &[Op]) -> bool {
    match lockstep::run::<LenientSpec>(&lockstep::steps(ops.to_vec())) {
        Outcome::Pass { .. } => false,
        Outcome::Fail(f) => {
            assert!(matches!(f.kind, FailureKind::Divergence { .. }), "{f}");
            assert_eq!(f.ops.len(), ops.len(), "{f}");
            true
        }
    }
}

#[test]
fn a_contract_panic_is_raised_for_some_ops_and_the_same_ones_wherever_they_stand() {
    let mut raised = 0;
    for i in 0..1280_u16 {
        // Removing from an empty buffer panics by contract; the lenient buffer returns nothing,
        // which shows only when the panic is raised for real.
        let alone = diverges_at_the_end(&[Op::Remove(i)]);
        let later = diverges_at_the_end(&[
            Op::Push(1),
            Op::Remove(0),
            Op::Push(2),
            Op::Remove(0),
            Op::Remove(i),
        ]);
        assert_eq!(
            alone, later,
            "Remove({i}) decided differently after other ops"
        );
        raised += usize::from(alone);
    }
    // One op in 128, by a hash: 10 expected of 1280.
    assert!((2..40).contains(&raised), "{raised} of 1280 raised");
}

#[test]
fn a_condition_the_model_does_not_honour_is_a_bug_in_the_spec() {
    let failure = (0..1280_u16)
        .find_map(|i| {
            lockstep::run::<LenientSpec>(&lockstep::steps([Op::WrongCondition(i)]))
                .failure()
                .cloned()
        })
        .expect("no op raised its contract panic for real");
    assert!(
        matches!(&failure.kind, FailureKind::ModelPanic { message, .. } if message.contains("the condition is wrong")),
        "{failure}"
    );
}

#[test]
fn outside_a_run_every_contract_panic_is_raised() {
    let mut v = vec![1];
    assert!(lockstep::panics_if(true, || v.remove(5)).is_err());
    assert_eq!(lockstep::panics_if(false, || v.remove(0)).ok(), Some(1));
}

#[test]
fn one_side_alone_takes_every_contract_panic_as_read() {
    let ops = lockstep::steps((0..100).map(Op::Remove));
    // Nothing to see but that it returns: a raised panic would be caught and end the run early,
    // which the overhead measurement must never count.
    lockstep::run_alone::<LenientSpec>(Side::Subject, &ops);
    lockstep::run_alone::<LenientSpec>(Side::Model, &ops);
}

#[test]
fn outputs_convert_and_errors_compare_by_kind() {
    let kinds = &["CapacityOverflow", "AllocError"];
    let std_error = Vec::<u8>::new().try_reserve(usize::MAX).unwrap_err();
    #[derive(Debug)]
    enum Mine {
        CapacityOverflow,
    }
    assert_eq!(
        Out::<u32>::error(&std_error, kinds),
        Out::error(&Mine::CapacityOverflow, kinds)
    );
    assert_eq!(Out::<u32>::result(Ok::<(), Mine>(()), kinds), Out::Unit);
    assert_eq!(
        Out::<u32>::error(&"nothing known", kinds),
        Out::Error("other")
    );
    assert_eq!(Out::<u32>::from(Some(Tracked::new(3))), Out::Value(Some(3)));
    assert_eq!(Out::<u32>::from(vec![1_u32, 2]), Out::Values(vec![1, 2]));
    assert_eq!(Out::<u32>::from(true), Out::Flag(true));
    assert_eq!(Out::<u32>::from(4_usize), Out::Count(4));
    let tracked = [Tracked::new(5), Tracked::new(6)];
    assert_eq!(Out::values(tracked.iter().rev()), Out::Values(vec![6, 5]));
}

#[test]
fn the_vec_model_pushes_fallibly_and_is_a_vec() {
    let mut v = VecModel::new();
    assert!(v.try_push(1_u8).is_ok());
    v.extend([2, 3]);
    assert_eq!(v.split_off(1).0, [2, 3]);
    assert_eq!(v.drain(..).collect::<Vec<_>>(), [1]);
    assert!(v.is_empty());
}

/// Zero-sized elements against `Vec`, through a subject that forgets what it pops when asked to,
/// and extended from shaped iterators.
struct ZstSpec;

lockstep::ops! {
    enum ZstOp {
        Push,
        Pop { forget: bool },
        /// Pops; the subject drops what it popped twice.
        PopTwice,
        Extend { n: u8, shape: Shape },
    }
}

impl Spec for ZstSpec {
    type Op = ZstOp;
    type Model = Vec<Counted>;
    type Subject = Vec<Counted>;
    type Output = Out<()>;
    type Item = usize;

    fn new_model() -> Vec<Counted> {
        Vec::new()
    }

    fn new_subject() -> Vec<Counted> {
        Vec::new()
    }

    fn apply_model(model: &mut Vec<Counted>, op: &ZstOp) -> Out<()> {
        match op {
            ZstOp::Push => model.push(Counted::new()),
            ZstOp::Pop { .. } | ZstOp::PopTwice => drop(model.pop()),
            ZstOp::Extend { n, shape } => {
                model.extend(shaped(
                    (0..*n).map(|_| Counted::new()).collect::<Vec<_>>(),
                    *shape,
                ));
            }
        }
        Out::Count(model.len())
    }

    fn apply_subject(subject: &mut Vec<Counted>, op: &ZstOp) -> Out<()> {
        match op {
            ZstOp::Pop { forget: true } => std::mem::forget(subject.pop()),
            ZstOp::PopTwice => {
                if let Some(popped) = subject.pop() {
                    // SAFETY: `Counted` is zero-sized and owns nothing: reading a second one out
                    // of the first touches no memory, and dropping both is the double drop under
                    // test.
                    let twin = unsafe { std::ptr::read(&popped) };
                    drop((popped, twin));
                }
            }
            other => return Self::apply_model(subject, other),
        }
        Out::Count(subject.len())
    }

    fn check_invariants(_: &Vec<Counted>) {}

    fn model_state(model: &Vec<Counted>) -> impl Iterator<Item = usize> {
        std::iter::once(model.len())
    }

    fn subject_state(subject: &Vec<Counted>) -> impl Iterator<Item = usize> {
        std::iter::once(subject.len())
    }
}

#[test]
fn zero_sized_elements_are_counted_and_shaped_iterators_panic_on_both_sides() {
    use ZstOp::*;
    let pass = [
        Push,
        Push,
        Pop { forget: false },
        Extend {
            n: 3,
            shape: Shape::Understated(2),
        },
    ];
    assert!(lockstep::run::<ZstSpec>(&lockstep::steps(pass)).is_pass());
    // A panic part way through an extend is injected on both sides: what `Vec` keeps is the
    // reference, and the run goes on.
    let panicking = [
        Extend {
            n: 4,
            shape: Shape::PanicAt(2),
        },
        Push,
        Pop { forget: false },
    ];
    assert!(lockstep::run::<ZstSpec>(&lockstep::steps(panicking)).is_pass());
    let leak = [Push, Push, Pop { forget: true }];
    let failure = lockstep::run::<ZstSpec>(&lockstep::steps(leak))
        .failure()
        .cloned()
        .expect("the leak went unnoticed");
    assert_eq!(
        failure.kind,
        FailureKind::Leak {
            model: 1,
            subject: 2
        },
        "{failure}"
    );
}

/// A bounded queue whose `push_back` refuses one element early when `EARLY` is set.
struct Slots<const EARLY: bool> {
    items: Vec<Tracked<u32>>,
    capacity: usize,
}

impl<const EARLY: bool> Slots<EARLY> {
    fn with_capacity(capacity: usize) -> Self {
        Slots {
            items: Vec::new(),
            capacity,
        }
    }

    fn push_back(&mut self, value: Tracked<u32>) -> Result<(), Tracked<u32>> {
        if self.items.len() + usize::from(EARLY) >= self.capacity {
            return Err(value);
        }
        self.items.push(value);
        Ok(())
    }
}

lockstep::ops! {
    enum RingOp {
        PushBack(u32),
    }
}

lockstep::same_api! {
    trait Ring for lockstep::models::RingModel<Tracked<u32>>, Slots<false>, Slots<true> {
        fn with_capacity(capacity: usize) -> Self;
        fn push_back(&mut self, value: Tracked<u32>) -> Result<(), Tracked<u32>>;
    }
}

fn push_back<R: Ring>(ring: &mut R, op: &RingOp) -> Out<u32> {
    let RingOp::PushBack(v) = op;
    ring.push_back(Tracked::new(*v)).err().into()
}

fn nothing<R: Ring>(_: &R) -> impl Iterator<Item = u32> {
    std::iter::empty()
}

/// Both sides are made by this, not by `Default` (which `RingModel` does not have).
fn two_slots<R: Ring>() -> R {
    R::with_capacity(2)
}

macro_rules! ring_spec {
    ($name:ident, $subject:ty) => {
        lockstep::spec! {
            struct $name {
                type Op = RingOp;
                type Model = lockstep::models::RingModel<Tracked<u32>>;
                type Subject = $subject;
                type Output = Out<u32>;
                type Item = u32;
                new = two_slots;
                apply = push_back;
                state = nothing;

                fn check_invariants(_: &$subject) {}
            }
        }
    };
}

ring_spec!(SlotsSpec, Slots<false>);
ring_spec!(EarlySlotsSpec, Slots<true>);

#[test]
fn spec_makes_both_sides_with_the_function_new_names() {
    let ops = lockstep::steps([1, 2, 3].map(RingOp::PushBack).to_vec());
    assert!(matches!(
        lockstep::run::<SlotsSpec>(&ops),
        Outcome::Pass { .. }
    ));
    // Refusing the second push of two slots is found at that push.
    let Outcome::Fail(f) = lockstep::run::<EarlySlotsSpec>(&ops) else {
        panic!("an early refusal passed");
    };
    assert!(matches!(f.kind, FailureKind::Divergence { .. }), "{f}");
    assert_eq!(f.ops.len(), 2, "{f}");
}
