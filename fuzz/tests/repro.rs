//! One stored regression case per seeded bug, as the `#[test]` `lockstep repro` prints for it
//! (written by scripts/repro-tests). Each passes on the correct structures; with
//! `--features seeded-bugs` and its bug switched on (`LOCKSTEP_SEEDED_BUG`) it fails the way the
//! case does, under the engine that detects it.

/// Every test below is still what `replay repro` writes for the case its comment names.
#[test]
fn these_tests_are_what_repro_writes() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let text = include_str!("repro.rs");
    let mut checked = 0;
    for block in text.split("\n// case: ").skip(1) {
        let (path, test) = block.split_once('\n').expect("a case line, then its test");
        let target = path.split('/').nth(1).expect("corpora/<target>/...");
        let target = lockstep_fuzz::TARGETS
            .iter()
            .find(|t| t.name() == target)
            .expect("a target of this package");
        let name = test
            .strip_prefix("#[test]\nfn ")
            .and_then(|t| t.split_once('('))
            .expect("a #[test] fn")
            .0;
        let case = lockstep::case::read(&std::path::Path::new(root).join(path)).expect("the case");
        let written = target.repro(&case, name).expect("a test");
        assert!(
            test.starts_with(&written),
            "the test for {path} is not what `replay repro` writes now: run scripts/repro-tests\n{written}"
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} tests found");
}

// As `repro` writes them, not as rustfmt would: the check above compares the text.
#[rustfmt::skip]
mod written {

// case: corpora/raw_buf/regressions/raw_buf-drain-overread-42928ecf.trace
#[test]
fn raw_buf_raw_buf_drain_overread_42928ecf() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::raw_buf::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::raw_buf::RawBufSpec>(&[
            Op::Push(1).into(),
            Op::Push(2).into(),
            Op::Push(3).into(),
            Op::Push(4).into(),
            Op::Drain { kind: RangeKind::Range, start: 1, end: 2, front: 0, back: 0, finish: Finish::Drop }.into(),
        ]);
    }
}

// case: corpora/raw_buf/regressions/raw_buf-shrink-double-free-ff85314b.trace
#[test]
fn raw_buf_raw_buf_shrink_double_free_ff85314b() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::raw_buf::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::raw_buf::RawBufSpec>(&[
            Op::Push(1).into(),
            Op::Clear.into(),
            Op::ShrinkToFit.into(),
        ]);
    }
}

// case: corpora/raw_buf/regressions/raw_buf-pop-uninit-c49de6cb.trace
#[test]
fn raw_buf_raw_buf_pop_uninit_c49de6cb() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::raw_buf::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::raw_buf::RawBufSpec>(&[
            Op::Push(1).into(),
            Op::Push(2).into(),
            Op::Pop.into(),
        ]);
    }
}

// case: corpora/raw_buf/regressions/raw_buf-extend-len-first-da5e8ba8.trace
#[test]
fn raw_buf_raw_buf_extend_len_first_da5e8ba8() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::raw_buf::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::raw_buf::RawBufSpec>(&[
            lockstep::Step::Arm(lockstep::PanicPlan::Clone { after: 0 }),
            Op::ExtendFromSlice(vec![0]).into(),
        ]);
    }
}

// case: corpora/raw_buf/regressions/raw_buf-drain-inclusive-23840f84.trace
#[test]
fn raw_buf_raw_buf_drain_inclusive_23840f84() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::raw_buf::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::raw_buf::RawBufSpec>(&[
            Op::TryPush(0).into(),
            Op::Drain { kind: RangeKind::RangeInclusive, start: 0, end: 0, front: 0, back: 0, finish: Finish::Drop }.into(),
        ]);
    }
}

// case: corpora/intrusive_list/regressions/list-split-after-stale-tail-5dd03117.trace
#[test]
fn intrusive_list_list_split_after_stale_tail_5dd03117() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::intrusive_list::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::intrusive_list::ListSpec>(&[
            Op::Push { list: 0, front: false, elem: New::Value(0) }.into(),
            Op::Push { list: 0, front: false, elem: New::Value(0) }.into(),
            Op::Edit { list: 0, donor: None, start: Start::At(0), steps: vec![Step::SplitAfter], leak: false }.into(),
        ]);
    }
}

// case: corpora/intrusive_list/regressions/list-replace-stale-cursor-336af4f9.trace
#[test]
fn intrusive_list_list_replace_stale_cursor_336af4f9() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::intrusive_list::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::intrusive_list::ListSpec>(&[
            Op::Push { list: 0, front: false, elem: New::Value(1) }.into(),
            Op::Push { list: 0, front: false, elem: New::Value(2) }.into(),
            Op::Edit { list: 0, donor: None, start: Start::Front, steps: vec![Step::Replace { with: New::Value(3), keep: false }, Step::Look(Look::MoveNext)], leak: false }.into(),
        ]);
    }
}

// case: corpora/intrusive_list/regressions/list-cursor-keeps-callers-ptr-7fcdb4ee.trace
#[test]
fn intrusive_list_list_cursor_keeps_callers_ptr_7fcdb4ee() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::intrusive_list::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::intrusive_list::ListSpec>(&[
            Op::Push { list: 197, front: false, elem: New::Value(0) }.into(),
            Op::Edit { list: 197, donor: None, start: Start::At(0), steps: vec![Step::Remove { keep: false }], leak: false }.into(),
        ]);
    }
}

// case: corpora/intrusive_list/regressions/list-clear-forgets-45b9462c.trace
#[test]
fn intrusive_list_list_clear_forgets_45b9462c() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::intrusive_list::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::intrusive_list::ListSpec>(&[
            Op::Push { list: 0, front: false, elem: New::Value(1) }.into(),
            Op::Push { list: 0, front: false, elem: New::Value(2) }.into(),
            Op::Clear { list: 0 }.into(),
        ]);
    }
}

// case: corpora/intrusive_list/regressions/list-drop-unguarded-dca6fd23.trace
#[test]
fn intrusive_list_list_drop_unguarded_dca6fd23() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::intrusive_list::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::intrusive_list::ListSpec>(&[
            Op::Push { list: 0, front: false, elem: New::Value(1) }.into(),
            Op::Push { list: 0, front: false, elem: New::Value(2) }.into(),
            Op::Push { list: 0, front: false, elem: New::Value(3) }.into(),
            lockstep::Step::Arm(lockstep::PanicPlan::Drop { after: 0 }),
            Op::Drop { list: 0 }.into(),
        ]);
    }
}

// case: corpora/arena_graph/regressions/graph-compact-stale-target-610ca7e0.trace
#[test]
fn arena_graph_graph_compact_stale_target_610ca7e0() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::arena_graph::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::arena_graph::GraphSpec>(&[
            Op::AddNode(0).into(),
            Op::AddNode(0).into(),
            Op::AddNode(0).into(),
            Op::AddEdge { from: Pick::Live(1), to: Pick::Live(8), weight: 0 }.into(),
            Op::RemoveNode(Pick::Live(0)).into(),
            Op::Compact.into(),
        ]);
    }
}

// case: corpora/arena_graph/regressions/graph-trim-no-floor-14a31938.trace
#[test]
fn arena_graph_graph_trim_no_floor_14a31938() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::arena_graph::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::arena_graph::GraphSpec>(&[
            Op::AddNode(1).into(),
            Op::AddNode(2).into(),
            Op::RemoveNode(Pick::Live(1)).into(),
            Op::Compact.into(),
            Op::AddNode(3).into(),
            Op::ContainsNode(Pick::Stale(0)).into(),
            Op::NodeWeight(Pick::Stale(0)).into(),
        ]);
    }
}

// case: corpora/arena_graph/regressions/graph-clear-leaks-edges-171b4df2.trace
#[test]
fn arena_graph_graph_clear_leaks_edges_171b4df2() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::arena_graph::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::arena_graph::GraphSpec>(&[
            Op::AddNode(0).into(),
            Op::AddEdge { from: Pick::Live(0), to: Pick::Live(0), weight: 0 }.into(),
        ]);
    }
}

// case: corpora/arena_graph/regressions/graph-remove-node-unguarded-1323b3ba.trace
#[test]
fn arena_graph_graph_remove_node_unguarded_1323b3ba() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::arena_graph::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::arena_graph::GraphSpec>(&[
            Op::AddNode(1).into(),
            Op::AddNode(2).into(),
            Op::AddEdge { from: Pick::Live(0), to: Pick::Live(1), weight: 10 }.into(),
            Op::AddEdge { from: Pick::Live(0), to: Pick::Live(1), weight: 11 }.into(),
            lockstep::Step::Arm(lockstep::PanicPlan::Drop { after: 0 }),
            Op::RemoveNode(Pick::Live(0)).into(),
        ]);
    }
}

// case: corpora/arena_graph/regressions/graph-clone-claims-first-e3531b2e.trace
#[test]
fn arena_graph_graph_clone_claims_first_e3531b2e() {
    #[allow(unused_imports)]
    use lockstep::repro::*;
    {
        #[allow(unused_imports)]
        use lockstep_fuzz::arena_graph::*;
        lockstep::repro::assert_passes::<lockstep_fuzz::arena_graph::GraphSpec>(&[
            Op::AddNode(1).into(),
            Op::AddNode(2).into(),
            lockstep::Step::Arm(lockstep::PanicPlan::Clone { after: 1 }),
            Op::Clone.into(),
        ]);
    }
}
}
