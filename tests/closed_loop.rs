//! The closed loop: a policy's payout model reads what that policy paid, not what history
//! paid. Invariants from the eras issue, each against the open loop.

mod common;
use common::*;
use dustlab::ledger::io;
use dustlab::population::uniform::uniform;
use std::path::Path;

const START: i64 = 1_763_596_800_000; // 2025-11-20
const DAY: i64 = 86_400_000;

fn replay(ledgers: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["replay", "--ledgers", ledgers.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let o = dustlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// (at_ms, hotkey) → (payout_weight, final_weight, reward_usd) of one policy.
fn rows(out: &Path, policy: &str) -> std::collections::BTreeMap<(i64, String), (f64, f64, f64)> {
    let text = std::fs::read_to_string(out.join("steps.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == policy)
        .map(|f| {
            (
                (f[2].parse().unwrap(), f[3].to_string()),
                (f[7].parse().unwrap(), f[9].parse().unwrap(), f[11].parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn b_dust_only_payout_is_the_same_closed_or_open() {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("l.parquet");
    io::write(&uniform(12, 170, START, 3), &l).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    replay(
        &l,
        &a,
        &["--payout", "dust-only", "--feedback", "simulated", "--policy", "ptn-dynamic", "--policy", "static"],
    );
    replay(
        &l,
        &b,
        &["--payout", "dust-only", "--feedback", "historical", "--policy", "ptn-dynamic", "--policy", "static"],
    );
    assert_eq!(std::fs::read(a.join("steps.csv")).unwrap(), std::fs::read(b.join("steps.csv")).unwrap());
}

#[test]
fn d_what_a_policy_pays_this_month_lowers_the_debt_it_still_owes() {
    let dir = tempfile::tempdir().unwrap();
    // The record says nothing was paid after the replay starts: the open loop keeps owing the
    // whole of December's debt all January; the closed loop pays it down day by day.
    let mut set = uniform(12, 170, START, 3);
    let jan = 1_767_225_600_000; // 2026-01-01
    for l in &mut set.ledgers {
        for c in l.checkpoints.iter_mut().filter(|c| c.timestamp_ms > jan) {
            c.chunk_emissions_usd = 0.0;
        }
    }
    let l = dir.path().join("l.parquet");
    io::write(&set, &l).unwrap();
    let (closed, open) = (dir.path().join("closed"), dir.path().join("open"));
    let clock = [
        "--start",
        "2026-01-01",
        "--end",
        "2026-01-20",
        "--policy",
        "ptn-collateral",
        "--payout",
        "monthly-2025-11-06",
    ];
    replay(&l, &closed, &[&clock[..], &["--feedback", "simulated"]].concat());
    replay(&l, &open, &[&clock[..], &["--feedback", "historical"]].concat());
    let (c, o) = (rows(&closed, "ptn-collateral"), rows(&open, "ptn-collateral"));
    let t2 = jan + DAY;
    let t15 = jan + 14 * DAY;
    let mut lowered = 0;
    for ((t, h), (pay, _, _)) in &c {
        if *t != t15 || h.starts_with("burn_uid") {
            continue;
        }
        let open_pay = o[&(*t, h.clone())].0;
        let earlier = c[&(t2, h.clone())].0;
        // Owed USD (the payout weight on the debt path) never rises within the month…
        if earlier > 1.0 {
            assert!(*pay <= earlier + 1e-9, "{h}: {pay} > {earlier}");
        }
        // …and what the closed loop paid is no longer owed, while the open loop still owes it.
        if open_pay > 1.0 {
            assert!(*pay < open_pay, "{h}: closed {pay} ≥ open {open_pay}");
            lowered += 1;
        }
    }
    assert!(lowered > 0, "some miner's debt was paid down");
    // The open loop owes the same on the 15th as on the 2nd (nothing recorded as paid).
    for ((t, h), (pay, _, _)) in &o {
        if *t == t15 && !h.starts_with("burn_uid") && *pay > 1.0 {
            assert_eq!(*pay, o[&(t2, h.clone())].0, "{h}");
        }
    }
}

#[test]
fn closed_loop_payments_are_what_the_results_table_pays() {
    // Under a constant pool and price, what the closed loop credits on (t, t + 1 day] is the
    // reward_usd the results table shows at t: the debt next step falls by exactly that.
    let dir = tempfile::tempdir().unwrap();
    let mut set = uniform(6, 170, START, 4);
    for l in &mut set.ledgers {
        for c in &mut l.checkpoints {
            c.status = dustlab::ledger::Status::Maincomp;
        }
    }
    let l = dir.path().join("l.parquet");
    io::write(&set, &l).unwrap();
    let text = format!(
        "name = \"c\"\nfeedback = \"simulated\"\n[data]\nledgers = {:?}\n[clock]\nstart = \"2026-01-03\"\nend = \"2026-01-09\"\n[emission]\npool_alpha_per_day = 2950\nalpha_to_usd = 30.4\n[[policy]]\npreset = \"ptn-collateral\"\n",
        l.display().to_string()
    );
    let s = write(dir.path(), "c.toml", text.as_bytes());
    let out = dir.path().join("out");
    let o = dustlab(&["replay", s.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = rows(&out, "ptn-collateral");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["feedback"], "simulated");
    let t = 1_767_398_400_000i64; // 2026-01-03
    let mut checked = 0;
    for ((at, h), (pay, _, usd)) in &r {
        if *at != t || h.starts_with("burn_uid") || *pay <= 1.0 {
            continue;
        }
        let (next, _, _) = r[&(t + DAY, h.clone())];
        // remaining(t + 1 day) = remaining(t) − reward paid at t (both on MAINCOMP checkpoints;
        // the miner's PnL of last month is fixed within January).
        let want = (pay - usd).max(0.0);
        assert!((next - want).abs() <= 1e-6 * pay.max(1.0), "{h}: {next} vs {want}");
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn c_replaying_the_paying_policy_closed_loop_reproduces_the_record() {
    // A population whose emissions were paid by ptn-dynamic (release of 31 October 2025) at a
    // constant pool and price, recorded unrounded and without back-filled statuses.
    let dir = tempfile::tempdir().unwrap();
    let generator = write(
        dir.path(),
        "gen.toml",
        b"name = \"gen\"\n[population]\nminers = 30\ndays = 80\nstart = \"2025-11-20\"\nseed = 11\nalpha_walk_sd = 0.0\ntao_walk_sd = 0.0\nexact_record = true\n[[policy]]\npreset = \"ptn-dynamic\"\n",
    );
    let pop = dir.path().join("pop.json.gz");
    let o = dustlab(&["generate", "--scenario", generator.to_str().unwrap(), "--out", pop.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let set = io::read_raw(&pop).unwrap();
    // Every hotkey registered: who is scored is decided by the true bucket history.
    let hotkeys: Vec<String> = set.ledgers.iter().map(|l| format!("{:?}", l.hotkey)).collect();
    let m = write(dir.path(), "m.json", format!("{{\"hotkeys\": [{}]}}", hotkeys.join(", ")).as_bytes());
    let text = format!(
        "name = \"c\"\nfeedback = \"simulated\"\n[data]\nledgers = \"pop.json.gz\"\nbuckets = \"pop.buckets.csv\"\ncollateral = \"pop.collateral.csv\"\nmetagraph = \"m.json\"\n[clock]\nstart = \"2025-11-20\"\nend = \"2026-02-07\"\n[emission]\npool_alpha_per_day = 2950\nalpha_to_usd = {}\n[[policy]]\npreset = \"ptn-dynamic\"\n",
        0.076 * 400.0
    );
    let s = write(dir.path(), "c.toml", text.as_bytes());
    let _ = m;
    let out = dir.path().join("out");
    let o = dustlab(&["replay", s.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = rows(&out, "ptn-dynamic");
    // The record: per miner, USD and alpha over (t, t + 1 day].
    let mut checked = (0, 0);
    let mut debt_steps = 0;
    for l in &set.ledgers {
        for ((t, h), (_, w, usd)) in r.range((i64::MIN, l.hotkey.clone())..).filter(|((_, h), _)| *h == l.hotkey) {
            let _ = h;
            let cps: Vec<_> =
                l.checkpoints.iter().filter(|c| c.timestamp_ms > *t && c.timestamp_ms <= t + DAY).collect();
            if cps.len() < 2 {
                continue; // the last step, or a miner leaving: its day is not fully recorded
            }
            let rec_usd: f64 = cps.iter().map(|c| c.chunk_emissions_usd).sum();
            let rec_w: f64 = cps.iter().map(|c| c.chunk_emissions_alpha).sum::<f64>() / 2950.0;
            assert!(
                (usd - rec_usd).abs() <= 1e-9 * rec_usd.abs().max(1.0),
                "{} at {t}: paid {usd}, recorded {rec_usd}",
                l.hotkey
            );
            assert!(
                (w - rec_w).abs() <= 1e-9 * rec_w.abs().max(1e-6),
                "{} at {t}: weight {w}, recorded {rec_w}",
                l.hotkey
            );
            checked.0 += 1;
            if *t >= 1_767_225_600_000 && rec_usd > 100.0 {
                debt_steps += 1;
            }
        }
        checked.1 += 1;
    }
    assert!(checked.0 > 1000, "{checked:?}");
    assert!(debt_steps > 0, "the debt path (January 2026) was reproduced too");
}

#[test]
fn the_closed_loop_carries_its_payments_across_snapshots() {
    // Two snapshots that hold the same full history (dated apart): a closed-loop replay over
    // them pays exactly as one over the single file does.
    let dir = tempfile::tempdir().unwrap();
    let set = uniform(10, 170, START, 6);
    let l = dir.path().join("l.parquet");
    io::write(&set, &l).unwrap();
    let snaps = dir.path().join("snaps");
    std::fs::create_dir(&snaps).unwrap();
    for (k, date) in ["2025-12-01", "2026-01-10"].iter().enumerate() {
        let mut s = set.clone();
        s.last_update_ms = Some(dustlab::time::parse_time(date).unwrap());
        io::write(&s, &snaps.join(format!("snap{k}.json"))).unwrap();
    }
    let clock =
        ["--start", "2025-12-01", "--end", "2026-02-05", "--policy", "ptn-collateral", "--feedback", "simulated"];
    let (one, many) = (dir.path().join("one"), dir.path().join("many"));
    replay(&l, &one, &clock);
    replay(&snaps, &many, &clock);
    let (a, b) = (rows(&one, "ptn-collateral"), rows(&many, "ptn-collateral"));
    assert_eq!(a.len(), b.len());
    for (k, v) in &a {
        let w = b[k];
        assert!((v.2 - w.2).abs() <= 1e-9 * v.2.abs().max(1.0), "{k:?}: {v:?} vs {w:?}");
        assert!((v.0 - w.0).abs() <= 1e-9 * v.0.abs().max(1e-9), "{k:?}: {v:?} vs {w:?}");
    }
}
