//! `fuzz/audit.toml` declares, per target, the type-level seeded bugs `lockstep audit` may build
//! in: exactly those of `structures::seeded::TYPE_BUGS`, each under its own target.

use structures::seeded::TYPE_BUGS;

#[test]
fn the_declared_type_level_seeded_bugs_are_the_catalogue() {
    let text = include_str!("../audit.toml");
    // Each `[target]` table's `seeded_bugs = [...]` line.
    let mut declared = Vec::new();
    let mut table = "";
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = name;
        } else if let Some(list) = line.strip_prefix("seeded_bugs = [") {
            for id in list.trim_end_matches(']').split(',') {
                declared.push((table.to_owned(), id.trim().trim_matches('"').to_owned()));
            }
        }
    }
    let mut catalogue: Vec<(String, String)> =
        TYPE_BUGS.iter().map(|b| (b.target.to_owned(), b.id.to_owned())).collect();
    declared.sort();
    catalogue.sort();
    assert_eq!(declared, catalogue);
}
