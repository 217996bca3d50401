//! The bad-input corpus: each broken file gets its own clear message naming the place, exit
//! code 2, no panic, and nothing on stdout.

mod common;
use common::*;
use std::io::Write;

const H: i64 = 43_200_000;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Runs `weights` and `inspect` on the file; both must refuse it with `expect` in stderr.
fn refused(name: &str, contents: &[u8], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), name, contents);
    let path = f.to_str().unwrap();
    for args in [
        vec!["weights", "--ledgers", path, "--at", "2025-11-15T00:00:00Z", "--format", "json"],
        vec!["convert", path, "/dev/null.csv"],
    ] {
        let o = dustlab(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {args:?}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(o.stdout.is_empty(), "{name}: partial output: {}", stdout(&o));
        assert!(err.contains(path), "{name}: message must name the file: {err}");
        for e in expect {
            assert!(err.contains(e), "{name}: expected {e:?} in: {err}");
        }
    }
}

fn file(cps: Vec<String>) -> Vec<u8> {
    ledger_file(&[(hk("A"), cps)]).into_bytes()
}

#[test]
fn truncated_gzip() {
    let full = gz(&file(vec![cp(0, 1.0, 0.0, 1.0, "CHALLENGE"); 1]));
    refused("t.json.gz", &full[..full.len() / 2], &["truncated gzip"]);
}

#[test]
fn invalid_json() {
    refused(
        "bad.json",
        br#"{"ledgers": {"5A": {"hotkey": "5A", "checkpoints": [{"timestamp_ms": 0,"#,
        &["invalid ledger JSON", "line 1"],
    );
}

#[test]
fn wrong_types() {
    let text = ledger_file(&[(hk("A"), vec![r#"{"timestamp_ms": 0, "pnl_gain": "ten"}"#.to_string()])]);
    refused(
        "types.json",
        text.as_bytes(),
        &[&format!("hotkey {}", hk("A")), "checkpoint 0", "field `pnl_gain`", "invalid type"],
    );
}

#[test]
fn nan_and_infinity_tokens() {
    let text = ledger_file(&[(
        hk("A"),
        vec![
            r#"{"timestamp_ms": 0, "pnl_gain": NaN, "total_penalty": 1.0}"#.to_string(),
            r#"{"timestamp_ms": 43200000, "performance": {"pnl_loss": -Infinity}, "penalties": {"cumulative": Infinity}}"#.to_string(),
        ],
    )]);
    refused(
        "nan.json",
        text.as_bytes(),
        &[
            "checkpoint 0",
            "field `pnl_gain`",
            "non-finite value NaN",
            "checkpoint 1",
            "-Infinity",
            "field `total_penalty`",
        ],
    );
}

#[test]
fn gap_misaligned_and_duplicate_timestamps() {
    refused(
        "gap.json",
        &file(vec![cp(0, 1.0, 0.0, 1.0, "CHALLENGE"), cp(3 * H, 1.0, 0.0, 1.0, "CHALLENGE")]),
        &["checkpoint 1", "gap: 2 checkpoint(s) missing"],
    );
    refused(
        "mis.json",
        &file(vec![cp(0, 1.0, 0.0, 1.0, "CHALLENGE"), cp(H + 1000, 1.0, 0.0, 1.0, "CHALLENGE")]),
        &["checkpoint 1", "not aligned to 12 h"],
    );
    refused(
        "dup.json",
        &file(vec![cp(H, 1.0, 0.0, 1.0, "CHALLENGE"), cp(H, 1.0, 0.0, 1.0, "CHALLENGE")]),
        &["checkpoint 1", "duplicate timestamp"],
    );
}

#[test]
fn duplicate_and_mismatched_hotkeys() {
    let a = hk("A");
    let dup = ledger_file(&[
        (a.clone(), vec![cp(0, 1.0, 0.0, 1.0, "CHALLENGE")]),
        (a.clone(), vec![cp(0, 2.0, 0.0, 1.0, "CHALLENGE")]),
    ]);
    refused("duphk.json", dup.as_bytes(), &[&format!("hotkey {a}"), "duplicate hotkey"]);
    let mismatch = format!(r#"{{"ledgers": {{"{a}": {{"hotkey": "{}", "checkpoints": []}}}}}}"#, hk("B"));
    refused("mismatch.json", mismatch.as_bytes(), &[&format!("says its hotkey is {}", hk("B"))]);
}

#[test]
fn out_of_range_penalty() {
    refused("pen.json", &file(vec![cp(0, 1.0, 0.0, 1.5, "CHALLENGE")]), &["field `total_penalty`", "outside [0, 1]"]);
}

#[test]
fn empty_file() {
    refused("empty.json.gz", b"", &["empty"]);
    refused("blank.json", b"   \n", &["empty"]);
}

#[test]
fn csv_missing_column() {
    let csv = format!(
        "hotkey,timestamp_ms,pnl_gain,pnl_loss,chunk_emissions_usd,challenge_period_status\n{},0,1.0,0.0,0.0,CHALLENGE\n",
        hk("A")
    );
    refused("t.csv", csv.as_bytes(), &["missing required column", "total_penalty"]);
}

#[test]
fn stored_net_pnl_disagreeing() {
    let text = ledger_file(&[(
        hk("A"),
        vec![r#"{"timestamp_ms": 0, "pnl_gain": 5.0, "pnl_loss": -1.0, "net_pnl": 7.0}"#.to_string()],
    )]);
    refused("net.json", text.as_bytes(), &["field `net_pnl`", "disagrees"]);
}

#[test]
fn lenient_drops_and_lists_broken_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let text = ledger_file(&[(
        hk("A"),
        vec![
            cp(T_NOV - H, 5.0, 0.0, 1.0, "MAINCOMP"),
            r#"{"timestamp_ms": 1763164800000, "pnl_gain": NaN}"#.to_string(),
        ],
    )]);
    let f = write(dir.path(), "l.json", text.as_bytes());
    let o = weights_at_nov(&f, &["--lenient"]);
    let v = weights_json(&o);
    assert!(stderr(&o).contains("left out") && stderr(&o).contains("checkpoint 1"), "{}", stderr(&o));
    assert_eq!(v["weights"][0]["weight"], 1.0, "one miner under the 31 Oct release: that miner alone");
}

#[test]
fn unknown_status_is_a_warning_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "l.json", &file(vec![cp(T_NOV, 5.0, 0.0, 1.0, "ENTITY")]));
    let o = dustlab(&["inspect", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("unrecognised status \"ENTITY\""), "{}", stderr(&o));
    assert!(stdout(&o).contains("ENTITY"));
}

#[test]
fn inspect_exits_2_on_errors_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "l.json",
        &file(vec![cp(0, 1.0, 0.0, -0.5, "CHALLENGE"), cp(5 * H, 1.0, 0.0, 1.0, "CHALLENGE")]),
    );
    let o = dustlab(&["inspect", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("outside [0, 1]") && err.contains("gap"), "{err}");
    assert!(stdout(&o).contains("miners        1"));
}
