//! `cargo run -p xtask -- <task>`: workspace code generation.
//!
//! Tasks:
//! - `gen-tokens`: regenerate `crates/imps-csp/src/tokens.rs` from
//!   `crates/imps-csp/data/tokens.tsv`.
//! - `check-tokens`: fail if `gen-tokens` would change the file.

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("gen-tokens") => gen_tokens(false),
        Some("check-tokens") => gen_tokens(true),
        _ => Err("usage: cargo run -p xtask -- <gen-tokens | check-tokens>".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn gen_tokens(check_only: bool) -> Result<(), String> {
    let root = xtask::workspace_root();
    let tsv_path = root.join(xtask::TOKENS_TSV);
    let out_path = root.join(xtask::TOKENS_RS);
    let tsv = std::fs::read_to_string(&tsv_path)
        .map_err(|e| format!("reading {}: {e}", tsv_path.display()))?;
    let source = xtask::generate(&tsv).map_err(|e| format!("{}:\n{e}", xtask::TOKENS_TSV))?;
    let current = std::fs::read_to_string(&out_path).ok();
    if current.as_deref() == Some(source.as_str()) {
        println!("{} is up to date", xtask::TOKENS_RS);
        return Ok(());
    }
    if check_only {
        return Err(format!(
            "{} is stale; run `{}`",
            xtask::TOKENS_RS,
            xtask::GEN_COMMAND
        ));
    }
    std::fs::write(&out_path, source)
        .map_err(|e| format!("writing {}: {e}", out_path.display()))?;
    println!("wrote {}", xtask::TOKENS_RS);
    Ok(())
}
