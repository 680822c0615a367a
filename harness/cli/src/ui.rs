//! Terminal output: spinners, tables and colour (all switched off when not on a terminal).

use std::time::Duration;

use console::style;
use indicatif::{ProgressBar, ProgressStyle};

/// A spinner on stderr with `message`; invisible when stderr is not a terminal.
pub fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Rows under a header, columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == cells.len() {
                    c.clone()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = style(line(header.iter().map(|h| (*h).to_owned()).collect()))
        .bold()
        .to_string();
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.clone()));
        out.push('\n');
    }
    out
}

/// A verdict cell, coloured: green for pass, red for a failure, yellow for an error.
pub fn verdict_cell(cell: &str) -> String {
    match cell {
        "pass" => style(cell).green().to_string(),
        "error" => style(cell).yellow().to_string(),
        "-" => cell.to_owned(),
        _ => style(cell).red().to_string(),
    }
}

/// `one` when `n` is 1, else `many`: "1 case", "2 cases".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A path from the command line, made absolute against the current directory: the commands run
/// their children in the workspace root, where a relative path would name another file.
pub fn absolute(arg: &str) -> Result<std::path::PathBuf, String> {
    std::path::absolute(arg).map_err(|e| format!("`{arg}`: {e}"))
}
