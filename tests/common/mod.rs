//! Helpers for the CLI tests: run the real binary, build small ledger files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const DUST: f64 = 1.5e-05;
/// 2025-11-15T00:00:00Z: pre-activation, so final weights are dust plus the burn.
pub const T_NOV: i64 = 1_763_164_800_000;

pub fn dustlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dustlab")).args(args).output().expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A hotkey-like name of 48 characters.
pub fn hk(name: &str) -> String {
    format!("5{name:X<47}")
}

/// One flat checkpoint as JSON text.
pub fn cp(ts: i64, gain: f64, loss: f64, penalty: f64, status: &str) -> String {
    format!(
        r#"{{"timestamp_ms": {ts}, "pnl_gain": {gain:?}, "pnl_loss": {loss:?}, "total_penalty": {penalty:?}, "challenge_period_status": "{status}"}}"#
    )
}

/// A validator file from (hotkey, checkpoints-as-JSON) pairs.
pub fn ledger_file(ledgers: &[(String, Vec<String>)]) -> String {
    let body: Vec<String> = ledgers
        .iter()
        .map(|(h, cps)| format!(r#""{h}": {{"hotkey": "{h}", "checkpoints": [{}]}}"#, cps.join(", ")))
        .collect();
    format!(r#"{{"format_version": "1.0", "last_update_ms": 0, "ledgers": {{{}}}}}"#, body.join(", "))
}

pub fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

/// `dustlab weights --ledgers FILE --at T_NOV --format json` plus `extra` flags.
pub fn weights_at_nov(ledgers: &Path, extra: &[&str]) -> Output {
    let at = T_NOV.to_string();
    let mut args = vec!["weights", "--ledgers", ledgers.to_str().unwrap(), "--at", &at, "--format", "json"];
    args.extend_from_slice(extra);
    dustlab(&args)
}

/// Parses `dustlab weights --format json` output.
pub fn weights_json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "weights failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("valid JSON")
}

pub fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample_ledgers.json.gz")
}
