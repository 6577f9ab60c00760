//! The checked-in `crates/imps-csp/src/tokens.rs` must be what the generator makes from
//! `crates/imps-csp/data/tokens.tsv`.

use std::process::Command;

#[test]
fn tokens_rs_is_fresh() {
    let root = xtask::workspace_root();
    let tsv = std::fs::read_to_string(root.join(xtask::TOKENS_TSV))
        .unwrap_or_else(|e| panic!("reading {}: {e}", xtask::TOKENS_TSV));
    let generated =
        xtask::generate(&tsv).unwrap_or_else(|e| panic!("{} is invalid:\n{e}", xtask::TOKENS_TSV));
    let checked_in = std::fs::read_to_string(root.join(xtask::TOKENS_RS)).unwrap_or_default();
    if generated != checked_in {
        let first_diff = generated
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| generated.lines().count().min(checked_in.lines().count()));
        panic!(
            "{} is out of date with {} (first difference at line {}); run `{}`",
            xtask::TOKENS_RS,
            xtask::TOKENS_TSV,
            first_diff + 1,
            xtask::GEN_COMMAND
        );
    }
}

/// `cargo fmt` must leave the generated file alone, or the freshness check would fight it.
#[test]
fn tokens_rs_is_rustfmt_clean() {
    let root = xtask::workspace_root();
    let out = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".to_string()))
        .args(["--check", "--edition", "2021"])
        .arg(root.join(xtask::TOKENS_RS))
        .output();
    match out {
        // No rustfmt on this machine: nothing to check.
        Err(_) => {}
        Ok(out) => assert!(
            out.status.success(),
            "rustfmt would change {}; make the generator emit formatted code:\n{}",
            xtask::TOKENS_RS,
            String::from_utf8_lossy(&out.stdout)
        ),
    }
}
