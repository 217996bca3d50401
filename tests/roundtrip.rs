//! Format round trips on the multi-miner sample: validator .json.gz → Parquet → CSV →
//! .json.gz keeps every checkpoint and gives the same weights.

mod common;
use common::*;
use dustlab::ledger::io;

#[test]
fn json_parquet_csv_json_keeps_checkpoints_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let src = sample();
    for (a, b) in [(src.clone(), d("s.parquet")), (d("s.parquet"), d("s.csv")), (d("s.csv"), d("back.json.gz"))] {
        let o = dustlab(&["convert", a.to_str().unwrap(), b.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let orig = io::read_raw(&src).unwrap();
    let back = io::read_raw(&d("back.json.gz")).unwrap();
    assert!(orig.ledgers.len() > 20 && orig.checkpoint_count() > 5000);
    assert_eq!(orig.ledgers.len(), back.ledgers.len());
    for (x, y) in orig.ledgers.iter().zip(&back.ledgers) {
        assert_eq!(x.hotkey, y.hotkey);
        assert_eq!(x.checkpoints.len(), y.checkpoints.len());
        for (p, q) in x.checkpoints.iter().zip(&y.checkpoints) {
            let mut q = q.clone();
            q.stored_net_pnl = p.stored_net_pnl;
            assert_eq!(*p, q, "{} checkpoint at {}", x.hotkey, p.timestamp_ms);
        }
    }
    for at in ["2025-11-20T00:00:00Z", "2026-01-15T12:00:00Z", "2026-02-27T00:00:00Z"] {
        for policy in ["ptn-dynamic", "ptn-collateral", "static"] {
            let run = |f: &std::path::Path| {
                stdout(&dustlab(&[
                    "weights",
                    "--ledgers",
                    f.to_str().unwrap(),
                    "--at",
                    at,
                    "--policy",
                    policy,
                    "--format",
                    "json",
                ]))
            };
            let (a, b, c) = (run(&src), run(&d("s.parquet")), run(&d("back.json.gz")));
            assert!(a.contains("\"weights\""));
            assert_eq!(a, b, "parquet at {at} {policy}");
            assert_eq!(a, c, "json.gz at {at} {policy}");
        }
    }
}

#[test]
fn json_written_twice_is_byte_identical_and_python_shaped() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json.gz"), dir.path().join("b.json.gz"));
    for p in [&a, &b] {
        assert!(dustlab(&["convert", sample().to_str().unwrap(), p.to_str().unwrap()]).status.success());
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let plain = dir.path().join("c.json");
    assert!(dustlab(&["convert", a.to_str().unwrap(), plain.to_str().unwrap()]).status.success());
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(text.starts_with(r#"{"format_version": "1.0", "last_update_ms": "#), "{}", &text[..80]);
    assert!(text.contains(r#""penalties": {"drawdown": "#) && text.contains(r#"+00:00""#));
}

#[test]
fn sample_is_valid_and_regenerates_identically() {
    let o = dustlab(&["inspect", sample().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("0 error(s), 0 warning(s)"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample_ledgers.json.gz");
    let g = dustlab(&[
        "generate",
        "--miners",
        "40",
        "--days",
        "150",
        "--start",
        "2025-10-01",
        "--seed",
        "8",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(g.status.success(), "{}", stderr(&g));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(sample()).unwrap(),
        "the README's command regenerates data/ byte for byte"
    );
    for side in [
        "sample_ledgers.collateral.csv",
        "sample_ledgers.buckets.csv",
        "sample_ledgers.calibration.md",
        "sample_ledgers.calibration.json",
    ] {
        let bundled = sample().with_file_name(side);
        assert_eq!(std::fs::read(dir.path().join(side)).unwrap(), std::fs::read(bundled).unwrap(), "{side}");
    }
    let statuses = stdout(&o);
    for s in ["CHALLENGE", "MAINCOMP", "PROBATION", "PLAGIARISM", "unknown"] {
        assert!(statuses.contains(s), "sample lacks {s}");
    }
}
