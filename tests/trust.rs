//! Runs a researcher can trust (issue 9): one test per finding of the hostile-user review,
//! each named after the row it pins. Every command runs the real binary in a temporary
//! working directory, so `reports/` is the test's own.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A short clock on the sample: enough to exercise every path, quick to replay.
const START: &str = "2025-12-01";
const END: &str = "2025-12-10";

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dustlab")).current_dir(cwd).args(args).output().expect("the binary runs")
}

fn no_panic(o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "panic: {err}");
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// A scenario on the sample with the short clock; `extra` goes at the top level.
fn scenario(dir: &Path, file: &str, top: &str, tail: &str) -> PathBuf {
    let text = format!(
        "{top}\n[data]\nledgers = {:?}\nbuckets = {:?}\n[clock]\nstart = \"{START}\"\nend = \"{END}\"\n[[policy]]\npreset = \"ptn-dynamic\"\nname = \"production\"\n[[policy]]\npreset = \"ptn-dynamic\"\nname = \"ceiling-3x\"\nceiling_width = 3.0\n{tail}",
        sample().display().to_string(),
        data("sample_ledgers.buckets.csv").display().to_string()
    );
    write(dir, file, text.as_bytes())
}

fn quick(out: &Path, extra: &[&str]) -> Output {
    let sample = sample();
    let mut args = vec![
        "replay",
        "--ledgers",
        sample.to_str().unwrap(),
        "--start",
        START,
        "--end",
        END,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    dustlab(&args)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn a_unsafe_scenario_names_are_refused_by_replay_sweep_and_attack() {
    for name in ["../../x", "/tmp/dustlab-escape", ""] {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("a/b");
        std::fs::create_dir_all(&work).unwrap();
        let s = scenario(&work, "s.toml", &format!("name = {name:?}"), "[sweep.grid]\nlookback_days = [7, 14]\n");
        for args in [
            vec!["replay", s.to_str().unwrap(), "--quiet"],
            vec!["sweep", s.to_str().unwrap(), "--quiet"],
            vec!["attack", s.to_str().unwrap(), "--policy", "production", "--quiet"],
        ] {
            let o = run_in(&work, &args);
            no_panic(&o);
            assert_eq!(o.status.code(), Some(2), "{name:?} {args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains("name"), "the message names the key: {}", stderr(&o));
        }
        assert!(!dir.path().join("x").exists() && !Path::new("/tmp/dustlab-escape").exists());
        assert!(!work.join("reports").exists(), "nothing written for a refused name");
    }
}

#[test]
fn b1_a_failed_run_leaves_the_previous_folder_exactly_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert!(quick(&out, &[]).status.success());
    let before: Vec<(String, Vec<u8>)> = files_in(&out)
        .into_iter()
        .filter(|f| f != "charts")
        .map(|f| (f.clone(), std::fs::read(out.join(&f)).unwrap()))
        .collect();
    let full = std::fs::read(sample()).unwrap();
    let truncated = write(dir.path(), "t.json.gz", &full[..full.len() / 2]);
    let o = dustlab(&["replay", "--ledgers", truncated.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    for (f, bytes) in &before {
        assert_eq!(&std::fs::read(out.join(f)).unwrap(), bytes, "{f} changed");
    }
    assert_eq!(files_in(dir.path()), ["out", "t.json.gz"], "no temporary folder left behind");
    let r = dustlab(&["report", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", stderr(&r));
}

#[test]
fn b2_an_input_inside_the_output_folder_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let input = out.join("ledgers.json.gz");
    std::fs::copy(sample(), &input).unwrap();
    let o = dustlab(&["replay", "--ledgers", input.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("inside the output folder"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&input).unwrap(), std::fs::read(sample()).unwrap(), "the input is intact");
}

#[test]
fn c_a_plain_replay_after_a_monte_carlo_run_shows_no_stale_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mc = scenario(
        dir.path(),
        "mc.toml",
        "name = \"mc\"\nruns = 2",
        "[[adversary]]\nstrategy = \"sybil-split\"\nk = 3\n",
    );
    let o = dustlab(&["replay", mc.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("outcomes.parquet").exists());
    assert!(quick(&out, &[]).status.success());
    assert!(!out.join("outcomes.parquet").exists() && !out.join("outcomes.csv").exists());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["adversaries"].as_array().unwrap().len(), 0);
    // (The gaming watch names every pattern, sybil-split included: the old run's adversary
    // table and its hotkeys are what must be gone.)
    let stale = |html: &str| html.contains("Adversaries (mean over runs") || html.contains("5sybil-split-");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!stale(&html), "the new report mentions the old adversary");
    let r = dustlab(&["report", out.to_str().unwrap()]);
    assert!(r.status.success());
    assert!(!stale(&std::fs::read_to_string(out.join("report.html")).unwrap()));
}

#[test]
fn d1_odd_times_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let sample = sample();
    for bad in ["2025-01-0€", "€", "2025-12-01T0€:00:00Z", "99999999999999999999999"] {
        let o = dustlab(&[
            "replay",
            "--ledgers",
            sample.to_str().unwrap(),
            "--start",
            bad,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
    }
    let s = scenario(dir.path(), "t.toml", "", "");
    let text = std::fs::read_to_string(&s).unwrap().replace(&format!("start = \"{START}\""), "start = \"2025-01-0€\"");
    std::fs::write(&s, text).unwrap();
    let o = dustlab(&["replay", s.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    let b =
        write(dir.path(), "b.csv", format!("hotkey,timestamp_ms,bucket\n{},2025-01-0€,MAINCOMP\n", hk("A")).as_bytes());
    let o = quick(&out, &["--buckets", b.to_str().unwrap()]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("row 1") && stderr(&o).contains("timestamp_ms"), "{}", stderr(&o));
}

#[test]
fn d2_a_snapshot_named_with_odd_characters_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    write(&snaps, "2025-12-0€.json", ledger_file(&[(hk("A"), vec![cp(T_NOV, 1.0, 0.0, 1.0, "CHALLENGE")])]).as_bytes());
    let o = dustlab(&[
        "replay",
        "--ledgers",
        snaps.to_str().unwrap(),
        "--quiet",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no date in its file name"), "{}", stderr(&o));
}

#[test]
fn d3_population_knobs_out_of_range_are_refused_with_their_key() {
    let dir = tempfile::tempdir().unwrap();
    for (knob, value) in [
        ("t_dof", "0"),
        ("forex_share", "2"),
        ("challenge_max_days", "0"),
        ("plagiarism_daily", "2"),
        ("plagiarism_eliminate", "5"),
        ("vol_12h_median", "inf"),
        ("monthly_drift_sd", "-1"),
        ("vol_log_sd", "nan"),
    ] {
        let text = format!(
            "name = \"p\"\n[population]\nminers = 20\ndays = 40\nstart = \"2025-10-01\"\n{knob} = {value}\n[[policy]]\npreset = \"ptn-dynamic\"\n"
        );
        let s = write(dir.path(), "p.toml", text.as_bytes());
        for args in [
            vec!["replay", s.to_str().unwrap(), "--quiet", "--out", dir.path().join("o").to_str().unwrap()],
            vec!["generate", "--scenario", s.to_str().unwrap(), "--out", dir.path().join("g.json").to_str().unwrap()],
        ] {
            let o = dustlab(&args);
            no_panic(&o);
            assert_eq!(o.status.code(), Some(2), "{knob} = {value}: {}", stderr(&o));
            assert!(stderr(&o).contains(knob), "{knob}: {}", stderr(&o));
        }
    }
}

#[test]
fn d4_non_ascii_hotkeys_print_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let day = 86_400_000;
    let names = ["€€€€€€€€€€€€€€€€€€€€", "test_hotkey", "ñandú-miner-with-a-long-name"];
    let ledgers: Vec<(String, Vec<String>)> = names
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let cps = (0..40)
                .map(|k| cp(T_NOV - 20 * day + k * day / 2, (i * k as usize) as f64, 0.0, 1.0, "MAINCOMP"))
                .collect();
            (h.to_string(), cps)
        })
        .collect();
    let f = write(dir.path(), "u.json", ledger_file(&ledgers).as_bytes());
    let o = dustlab(&[
        "replay",
        "--ledgers",
        f.to_str().unwrap(),
        "--policy",
        "static",
        "--policy",
        "ptn-dynamic",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    no_panic(&o);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn d5_a_clock_far_past_the_data_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for end in ["9999-12-31", "2028-02-27"] {
        let t = std::time::Instant::now();
        let sample = sample();
        let o = dustlab(&[
            "replay",
            "--ledgers",
            sample.to_str().unwrap(),
            "--end",
            end,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{end}: {}", stderr(&o));
        assert!(stderr(&o).contains("longest lookback"), "{}", stderr(&o));
        assert!(t.elapsed().as_secs() < 60, "refused before any replay");
    }
    assert!(!out.exists());
}

#[test]
fn e_weights_reads_dated_bucket_and_collateral_histories_as_of_at() {
    let dir = tempfile::tempdir().unwrap();
    let day = 86_400_000;
    let (a, b) = (hk("A"), hk("B"));
    let cps =
        |g: f64| (0..20).map(|k| cp(T_NOV - 10 * day + k * day / 2, g, 0.0, 1.0, "CHALLENGE")).collect::<Vec<_>>();
    let f = write(dir.path(), "l.json", ledger_file(&[(a.clone(), cps(1.0)), (b.clone(), cps(2.0))]).as_bytes());
    let later = T_NOV + day;
    let past = write(
        dir.path(),
        "b0.csv",
        format!("hotkey,timestamp_ms,bucket\n{a},0,CHALLENGE\n{b},0,CHALLENGE\n").as_bytes(),
    );
    let future = write(
        dir.path(),
        "b1.csv",
        format!("hotkey,timestamp_ms,bucket\n{a},0,CHALLENGE\n{b},0,CHALLENGE\n{a},{later},MAINCOMP\n").as_bytes(),
    );
    let c0 = write(dir.path(), "c0.csv", format!("hotkey,timestamp_ms,collateral_usd\n{a},0,0\n{b},0,0\n").as_bytes());
    let c1 = write(
        dir.path(),
        "c1.csv",
        format!("hotkey,timestamp_ms,collateral_usd\n{a},0,0\n{b},0,0\n{a},{later},500000\n").as_bytes(),
    );
    let run = |bk: &Path, c: &Path| {
        weights_json(&weights_at_nov(
            &f,
            &["--policy", "ptn-collateral", "--buckets", bk.to_str().unwrap(), "--collateral", c.to_str().unwrap()],
        ))
    };
    assert_eq!(run(&past, &c0), run(&future, &c1), "rows dated after --at must not count");
    // And a row at or before --at does count.
    let now = write(
        dir.path(),
        "b2.csv",
        format!("hotkey,timestamp_ms,bucket\n{a},0,MAINCOMP\n{b},0,CHALLENGE\n").as_bytes(),
    );
    assert_ne!(run(&past, &c0), run(&now, &c0));
}

#[test]
fn f_console_and_report_agree_on_the_share_at_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let sample = sample();
    let o = dustlab(&[
        "replay",
        "--ledgers",
        sample.to_str().unwrap(),
        "--start",
        START,
        "--end",
        END,
        "--policy",
        "static",
        "--policy",
        "ptn-dynamic",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let stat = &summary["policies"][0];
    assert_eq!(stat["policy"], "static");
    assert_eq!(stat["share_at_ceiling"], 0.0, "static dust has no ceiling above its floor");
    let err = stderr(&o);
    let line = err.lines().find(|l| l.starts_with("static ")).expect("a console row for static");
    let cols: Vec<&str> = line.split_whitespace().collect();
    let (floor, ceil) = (cols[cols.len() - 5], cols[cols.len() - 4]);
    assert_eq!(ceil, "0.0", "{line}");
    assert_eq!(floor, format!("{:.1}", 100.0 * stat["share_at_floor"].as_f64().unwrap()), "{line}");
}

#[test]
fn g_output_failures_exit_1_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "file", b"x");
    let o = quick(&file, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(file.to_str().unwrap()), "{}", stderr(&o));
    let o = quick(Path::new("/proc/dustlab-no/out"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("/proc/dustlab-no/out"), "{}", stderr(&o));
}

const CSV_HEAD: &str =
    "hotkey,timestamp_ms,pnl_gain,pnl_loss,total_penalty,challenge_period_status,chunk_emissions_usd";

#[test]
fn h1_empty_required_csv_cells_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = hk("A");
    for (field, row) in [
        ("total_penalty", format!("{a},{T_NOV},1.0,0.0,,CHALLENGE,0.0")),
        ("challenge_period_status", format!("{a},{T_NOV},1.0,0.0,1.0,,0.0")),
        ("chunk_emissions_usd", format!("{a},{T_NOV},1.0,0.0,1.0,CHALLENGE,")),
    ] {
        let good = format!("{a},{},1.0,0.0,1.0,CHALLENGE,0.0", T_NOV - 43_200_000);
        let f = write(dir.path(), "l.csv", format!("{CSV_HEAD}\n{good}\n{row}\n").as_bytes());
        let o = weights_at_nov(&f, &[]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{field}: {}", stderr(&o));
        assert!(stderr(&o).contains(field) && stderr(&o).contains("row 2"), "{field}: {}", stderr(&o));
    }
}

#[test]
fn h2_bad_collateral_values_and_conflicting_rows_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = hk("A");
    let f = write(
        dir.path(),
        "l.json",
        ledger_file(&[(a.clone(), vec![cp(T_NOV, 1.0, 0.0, 1.0, "CHALLENGE")])]).as_bytes(),
    );
    for (body, expect) in [
        (format!("{a},NaN\n"), "row 1"),
        (format!("{a},inf\n"), "row 1"),
        (format!("{a},lots\n"), "row 1"),
        (format!("{a},100\n{a},200\n"), "rows 1 and 2"),
    ] {
        let c = write(dir.path(), "c.csv", format!("hotkey,collateral_usd\n{body}").as_bytes());
        let o = weights_at_nov(&f, &["--collateral", c.to_str().unwrap()]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{body}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect) && stderr(&o).contains("c.csv"), "{body}: {}", stderr(&o));
    }
    // A negative collateral is a value (production counts it as 0), and the same row twice is no conflict.
    let c = write(dir.path(), "c.csv", format!("hotkey,collateral_usd\n{a},-5\n").as_bytes());
    assert!(weights_at_nov(&f, &["--collateral", c.to_str().unwrap()]).status.success());
    let c = write(dir.path(), "c.csv", format!("hotkey,collateral_usd\n{a},100\n{a},100\n").as_bytes());
    assert!(weights_at_nov(&f, &["--collateral", c.to_str().unwrap()]).status.success());
}

#[test]
fn h3_a_bucket_file_missing_a_hotkey_is_a_data_note() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let text = std::fs::read_to_string(data("sample_ledgers.buckets.csv")).unwrap();
    let first = text.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with(&first)).collect();
    let b = write(dir.path(), "b.csv", (kept.join("\n") + "\n").as_bytes());
    // Over the whole sample, so the dropped hotkey is present at some step.
    let sample = sample();
    let o = dustlab(&[
        "replay",
        "--ledgers",
        sample.to_str().unwrap(),
        "--buckets",
        b.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let notes = run["data_notes"].as_array().unwrap();
    let note = notes.iter().find(|n| n["kind"] == "bucket_fallback").expect("a bucket_fallback note");
    assert!(note["examples"].to_string().contains(&first));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Data notes") && html.contains(&first[..12]));
}

#[test]
fn h4_sweep_ranges_must_be_two_numbers() {
    let dir = tempfile::tempdir().unwrap();
    for range in ["[7, \"60\"]", "[60, 7]", "[7]", "[nan, 7]"] {
        let s = scenario(
            dir.path(),
            "s.toml",
            "name = \"s\"",
            &format!("[sweep]\nsamples = 3\n[sweep.ranges]\nlookback_days = {range}\n"),
        );
        let o = dustlab(&["sweep", s.to_str().unwrap(), "--quiet", "--out", dir.path().join("o").to_str().unwrap()]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{range}: {}", stderr(&o));
        assert!(stderr(&o).contains("lookback_days"), "{}", stderr(&o));
    }
}

#[test]
fn h5_merge_refuses_duplicates_gaps_and_mixed_sweeps_and_takes_empty_shards() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path(), "s.toml", "name = \"s\"", "[sweep.grid]\nlookback_days = [7, 14]\n");
    let shard = |k: &str, n: &str| {
        let out = dir.path().join(format!("shard{k}of{n}"));
        let o = dustlab(&[
            "sweep",
            s.to_str().unwrap(),
            "--quiet",
            "--shard",
            &format!("{k}/{n}"),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let (a, b, c) = (shard("1", "3"), shard("2", "3"), shard("3", "3"));
    let merged = dir.path().join("merged");
    let m = |shards: &[&PathBuf]| {
        let mut args = vec!["merge".to_string(), "--out".into(), merged.to_str().unwrap().into()];
        args.extend(shards.iter().map(|p| p.to_str().unwrap().to_string()));
        dustlab(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = m(&[&a, &a, &b]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
    let o = m(&[&a, &b]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing shard(s) 3/3"), "{}", stderr(&o));
    // Shard 3/3 of two variants holds none: a valid empty table, and the merge takes it.
    let empty = polars_rows(&c.join("sweep.csv"));
    assert_eq!(empty, 0);
    let o = m(&[&a, &b, &c]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(polars_rows(&merged.join("sweep.csv")), 2);
    // A shard of another sweep is refused.
    let other = scenario(dir.path(), "t.toml", "name = \"s\"", "[sweep.grid]\nlookback_days = [7, 21]\n");
    let x = dir.path().join("other");
    assert!(
        dustlab(&["sweep", other.to_str().unwrap(), "--quiet", "--shard", "3/3", "--out", x.to_str().unwrap()])
            .status
            .success()
    );
    let o = m(&[&a, &b, &x]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("another sweep"), "{}", stderr(&o));
}

/// Data rows of a CSV file.
fn polars_rows(csv: &Path) -> usize {
    std::fs::read_to_string(csv).unwrap().lines().count().saturating_sub(1)
}

#[test]
fn x1_two_replays_racing_for_one_folder_never_mix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let sample = sample();
    let spawn = |policy: &str| {
        Command::new(env!("CARGO_BIN_EXE_dustlab"))
            .args(["replay", "--ledgers", sample.to_str().unwrap(), "--start", START, "--end", END, "--quiet"])
            .args(["--policy", policy, "--out", out.to_str().unwrap()])
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let (mut p, mut q) = (spawn("static"), spawn("ptn-dynamic"));
        assert!(p.wait().unwrap().success() && q.wait().unwrap().success());
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let policy = run["policies"][0]["name"].as_str().unwrap().to_string();
        let csv = std::fs::read_to_string(out.join("steps.csv")).unwrap();
        assert!(csv.lines().skip(1).all(|l| l.split(',').nth(1) == Some(policy.as_str())), "steps.csv mixes runs");
        let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
        assert!(summary.contains(&format!("\"baseline\": \"{policy}\"")), "summary.json of another run");
        assert_eq!(files_in(dir.path()), ["out"], "no temporary folder left");
    }
}

#[test]
fn x2_negative_or_non_finite_policy_knobs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (body, key) in [
        ("[floors]\nCHALLENGE = -5.0\n", "floors.CHALLENGE"),
        ("ceiling_width = -2.0\n", "ceiling_width"),
        ("default_floor = nan\n", "default_floor"),
        ("ceiling_width = inf\n", "ceiling_width"),
    ] {
        let text = format!("preset = \"ptn-dynamic\"\nname = \"p\"\n{body}");
        let p = write(dir.path(), "p.toml", text.as_bytes());
        let o = weights_at_nov(&sample(), &["--policy", p.to_str().unwrap()]);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{body}: {}", stderr(&o));
        assert!(stderr(&o).contains(key), "{body}: {}", stderr(&o));
    }
}

#[test]
fn x3_best_toml_is_never_an_infeasible_variant() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    // Narrow CHALLENGE floors make wide ceilings overlap PROBATION's: those variants break the hierarchy.
    let s =
        scenario(dir.path(), "s.toml", "name = \"s\"", "[sweep]\n[sweep.grid]\nceiling_width = [0.5, 1.0, 3.0, 6.0]\n");
    let o = dustlab(&["sweep", s.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sweep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let infeasible: Vec<String> =
        sweep["infeasible"].as_array().unwrap().iter().map(|x| x["variant"].as_str().unwrap().to_string()).collect();
    assert!(!infeasible.is_empty(), "wide ceilings break the hierarchy");
    let front: Vec<String> =
        sweep["pareto_front"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
    assert!(front.iter().all(|v| !infeasible.contains(v)), "front {front:?} infeasible {infeasible:?}");
    if let Ok(best) = std::fs::read_to_string(out.join("best.toml")) {
        assert!(infeasible.iter().all(|v| !best.contains(&format!("name = \"best-{v}\""))), "{best}");
    }
    let html = std::fs::read_to_string(out.join("sweep_report.html")).unwrap();
    assert!(html.contains("Infeasible variants") && html.contains(&infeasible[0]));
}

#[test]
fn x4_report_policies_names_one_baseline_and_measures_against_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let s = scenario(
        dir.path(),
        "s.toml",
        "name = \"s\"",
        "[[policy]]\npreset = \"ptn-collateral\"\nname = \"collateral-rule\"\n",
    );
    assert!(dustlab(&["replay", s.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]).status.success());
    let o = dustlab(&["report", out.to_str().unwrap(), "--policies", "ceiling-3x,collateral-rule"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["baseline"], "ceiling-3x");
    let policies = summary["policies"].as_array().unwrap();
    assert_eq!(policies[0]["policy"], "ceiling-3x");
    assert_eq!(policies[0]["winners"].as_array().unwrap().len(), 0, "the baseline against itself moves nobody");
    assert_eq!(policies[0]["losers"].as_array().unwrap().len(), 0);
    for line in summary["executive_summary"].as_array().unwrap() {
        assert!(!line.as_str().unwrap().contains("production"), "a sentence against the run's old baseline: {line}");
    }
}
