//! The README's spec example is the real raw_buf spec, word for word.

#[test]
fn the_readme_shows_the_raw_buf_spec_as_it_is() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    let spec = std::fs::read_to_string(format!("{root}/fuzz/src/raw_buf.rs")).expect("the spec");
    let marker = "<!-- spec: fuzz/src/raw_buf.rs -->\n```rust,ignore\n";
    let start = readme
        .find(marker)
        .map(|i| i + marker.len())
        .expect("the README marks the spec example with `<!-- spec: fuzz/src/raw_buf.rs -->`");
    let block = &readme[start..];
    let block = &block[..block.find("```\n").expect("the spec example's block ends")];
    assert!(
        block == spec,
        "the README's spec example differs from fuzz/src/raw_buf.rs: copy the file into the \
         block after `<!-- spec: fuzz/src/raw_buf.rs -->`"
    );
}
