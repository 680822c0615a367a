//! `lockstep targets` and `lockstep bugs`.

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;
use crate::builds::Builds;
use crate::ui;

/// Lists the fuzz targets.
pub fn targets(ctx: &Ctx) -> Result<ExitCode> {
    if ctx.json {
        println!("{}", serde_json::to_string(&ctx.project.targets)?);
    } else {
        for t in &ctx.project.targets {
            println!("{t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists the seeded bugs.
pub fn bugs(ctx: &Ctx) -> Result<ExitCode> {
    let builds = Builds::new(&ctx.project);
    let bugs = ctx.seeded_bugs(&builds)?;
    if ctx.json {
        println!("{}", serde_json::to_string(&bugs)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = bugs
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.target.clone(),
                b.class.clone(),
                b.detectors.join(", "),
                b.description.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        ui::table(&["id", "target", "class", "caught by", "what"], &rows)
    );
    Ok(ExitCode::SUCCESS)
}
