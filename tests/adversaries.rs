//! One test per adversary strategy on a small, hand-checkable case, plus Monte Carlo
//! determinism.

mod common;
use common::*;

use dustlab::ledger::store::Store;
use dustlab::ledger::{LedgerSet, Status};
use dustlab::policy::{DustPolicy, preset};
use dustlab::population::adversary::{AdversarySpec, Context, Injected, inject};
use dustlab::population::seed;
use dustlab::population::uniform::uniform;
use dustlab::replay::engine::Engine;
use dustlab::replay::sources::History;
use dustlab::time::{CHECKPOINT_MS, MS_PER_DAY};

const START: i64 = 1_759_276_800_000; // 2025-10-01, all pre-activation below
const DAYS: usize = 40;

/// A small population (every status but the adversary's bucket is crowded) plus one adversary.
fn setup(spec: &AdversarySpec, population: LedgerSet) -> (LedgerSet, Injected, History<f64>) {
    let ctx = Context { start_ms: START, steps: DAYS * 2, population: &population };
    let (who, ledgers) = inject(spec, &ctx, &mut seed::rng(1, 1));
    let mut set = population.clone();
    let mut coll = History::new();
    for l in &set.ledgers {
        coll.insert(&l.key, i64::MIN, 200_000.0);
    }
    for (l, c) in ledgers {
        coll.insert(&l.key, i64::MIN, c);
        set.ledgers.push(l);
    }
    (set, who, coll)
}

/// (hotkey → per-step dust) over daily steps from day 31 to day 40 under one policy.
fn dust_by_hotkey(
    set: &LedgerSet,
    coll: &History<f64>,
    policy: DustPolicy,
) -> std::collections::HashMap<String, Vec<f64>> {
    let store = Store::from_set(set);
    let steps: Vec<i64> = (31..=DAYS as i64).map(|d| START + d * MS_PER_DAY).collect();
    let policies = [policy];
    let mut e = Engine::new(&policies, steps.clone(), MS_PER_DAY).unwrap();
    e.collateral = Some(coll);
    e.run_segment(&store, 0..steps.len(), START + DAYS as i64 * MS_PER_DAY, &|_| {}).unwrap();
    let mut out: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for i in 0..e.rows[0].step.len() {
        out.entry(e.hotkeys.names[e.rows[0].hotkey[i] as usize].clone()).or_default().push(e.rows[0].dust[i]);
    }
    out
}

fn spec(strategy: &str) -> AdversarySpec {
    AdversarySpec { strategy: strategy.into(), ..AdversarySpec::default() }
}

fn with_payout(name: &str, payout: &str) -> DustPolicy {
    let mut p = preset(name).unwrap();
    p.payout = payout.into();
    p
}

#[test]
fn sybil_split_collects_k_floors_under_static() {
    let s = AdversarySpec { k: 3, ..spec("sybil-split") };
    let (set, who, coll) = setup(&s, uniform(6, DAYS * 2 + 1, START, 1));
    assert_eq!(who.adversary.len(), 3);
    let d = dust_by_hotkey(&set, &coll, with_payout("static", "dust-only"));
    for (step, twin) in d[&who.twin[0]].iter().enumerate() {
        let sybils: f64 = who.adversary.iter().map(|h| d[h][step]).sum();
        assert_eq!(sybils, 3.0 * DUST, "three CHALLENGE floors");
        assert_eq!(*twin, DUST, "the twin's one floor");
    }
    assert_eq!(d[&who.twin[0]].len(), 10);
    assert_eq!(who.adversary_costs_usd, 3.0 * 0.5 * 400.0, "three registrations");
}

#[test]
fn whale_compression_pushes_every_rival_within_one_percent_of_the_floor() {
    let s = AdversarySpec {
        bucket: "MAINCOMP".into(),
        factor: 1000.0,
        monthly_drift: 0.3,
        vol_12h: 0.0,
        ..spec("whale-compression")
    };
    let pop = uniform(10, DAYS * 2 + 1, START, 2);
    let (set, who, coll) = setup(&s, pop.clone());
    let rivals: Vec<String> =
        pop.ledgers.iter().filter(|l| l.checkpoints[0].status == Status::Maincomp).map(|l| l.key.clone()).collect();
    assert!(rivals.len() >= 3);
    let with_whale = dust_by_hotkey(&set, &coll, preset("ptn-dynamic").unwrap());
    let floor = 3.0 * DUST;
    for r in &rivals {
        assert!(with_whale[r].iter().all(|d| *d <= floor * 1.01), "rival {r} above 1.01 × floor: {:?}", with_whale[r]);
    }
    assert!(with_whale[&who.adversary[0]].iter().all(|d| *d == floor + DUST), "the whale sits at the ceiling");
    // Without the whale (and its twin) the same rivals spread out.
    let (plain, _, coll0) = setup(&AdversarySpec { bucket: "CHALLENGE".into(), ..spec("volatility-lottery") }, pop);
    let without = dust_by_hotkey(&plain, &coll0, preset("ptn-dynamic").unwrap());
    assert!(
        rivals.iter().any(|r| without[r].iter().any(|d| *d > floor * 1.2)),
        "rivals are not compressed without the whale"
    );
}

#[test]
fn volatility_lottery_buys_dust_with_variance() {
    // Zero drift: the same expected PnL; the lottery's losses floor at 0, its gains do not.
    let s = AdversarySpec { monthly_drift: 0.0, vol_multiplier: 20.0, ..spec("volatility-lottery") };
    let (set, who, coll) = setup(&s, uniform(6, DAYS * 2 + 1, START, 3));
    let d = dust_by_hotkey(&set, &coll, with_payout("ptn-dynamic", "dust-only"));
    let mean = |h: &str| d[h].iter().sum::<f64>() / d[h].len() as f64;
    assert!(mean(&who.adversary[0]) > mean(&who.twin[0]), "{} vs {}", mean(&who.adversary[0]), mean(&who.twin[0]));
}

#[test]
fn window_timing_concentrates_pnl_inside_a_short_lookback() {
    let s = AdversarySpec { period_days: 10.0, burst_days: 1.0, ..spec("window-timing") };
    let (set, who, _) = setup(&s, uniform(2, DAYS * 2 + 1, START, 4));
    let find = |h: &str| set.ledgers.iter().find(|l| l.key == h).unwrap();
    let total = |h: &str| find(h).checkpoints.iter().map(|c| c.net_pnl()).sum::<f64>();
    let (adv, twin) = (&who.adversary[0], &who.twin[0]);
    assert!((total(adv) - total(twin)).abs() < 0.05 * 80.0, "same total PnL: {} vs {}", total(adv), total(twin));
    // Within each 10-day period all PnL sits in the last day.
    let nonzero = find(adv).checkpoints.iter().filter(|c| c.net_pnl() != 0.0).count();
    assert!(nonzero <= 2 * (DAYS / 10) + 1, "{nonzero} checkpoints carry PnL");
}

#[test]
fn collateral_rule_zeroes_a_zero_collateral_squatter() {
    let s = AdversarySpec { collateral_usd: 0.0, monthly_drift: 0.01, vol_12h: 0.0, ..spec("challenge-squatter") };
    let (set, who, coll) = setup(&s, uniform(10, DAYS * 2 + 1, START, 5));
    let zeroed = dust_by_hotkey(&set, &coll, preset("ptn-collateral").unwrap());
    let squatter = &who.adversary[0];
    assert!(zeroed[squatter].iter().all(|d| *d == 0.0), "{:?}", zeroed[squatter]);
    let dynamic = dust_by_hotkey(&set, &coll, preset("ptn-dynamic").unwrap());
    assert!(dynamic[squatter].iter().all(|d| *d >= DUST), "ptn-dynamic pays the squatter its floor");
}

#[test]
fn copycat_mirrors_the_leader_with_a_lag_and_gets_caught() {
    let pop = uniform(6, DAYS * 2 + 1, START, 6);
    let s = AdversarySpec { lag_days: 1.0, detection_daily: 0.0, ..spec("copycat") };
    let (set, who, _) = setup(&s, pop.clone());
    let leader = pop.ledgers.iter().max_by(|a, b| {
        let t = |l: &dustlab::ledger::Ledger| l.checkpoints.iter().map(|c| c.net_pnl()).sum::<f64>();
        t(a).total_cmp(&t(b))
    });
    let leader = leader.unwrap();
    let copy = set.ledgers.iter().find(|l| l.key == who.adversary[0]).unwrap();
    for c in copy.checkpoints.iter().skip(2).take(20) {
        let src = leader.checkpoints.iter().find(|l| l.timestamp_ms == c.timestamp_ms - MS_PER_DAY).unwrap();
        assert!((c.net_pnl() - src.net_pnl()).abs() <= 0.011, "copies the leader a day late");
    }
    assert!(!who.caught);
    let caught = AdversarySpec { detection_daily: 1.0, ..s };
    let (set, who, _) = setup(&caught, pop);
    let copy = set.ledgers.iter().find(|l| l.key == who.adversary[0]).unwrap();
    assert!(who.caught);
    assert_eq!(copy.checkpoints[1].status, Status::Plagiarism);
    assert_eq!(copy.checkpoints.len(), 1 + 28, "flagged on day 1, eliminated after a 14-day review");
}

#[test]
fn churn_re_registers_after_losses() {
    let s =
        AdversarySpec { monthly_drift: -0.2, vol_12h: 0.002, loss_threshold: 0.02, ..spec("re-registration-churn") };
    let (set, who, _) = setup(&s, uniform(2, DAYS * 2 + 1, START, 7));
    assert!(who.adversary.len() > 1, "losses trigger fresh hotkeys");
    assert_eq!(who.adversary_costs_usd, who.adversary.len() as f64 * 200.0);
    for h in &who.adversary {
        let l = set.ledgers.iter().find(|l| &l.key == h).unwrap();
        let window: f64 = l.checkpoints.iter().rev().take(60).map(|c| c.net_pnl()).sum();
        let last = l.checkpoints.last().unwrap().timestamp_ms;
        let ended_early = last < START + DAYS as i64 * MS_PER_DAY - 2 * CHECKPOINT_MS;
        if ended_early {
            assert!(window < -0.02 * 200_000.0, "{h} left with a window of {window}");
        }
    }
}

#[test]
fn monte_carlo_is_deterministic_and_seeds_matter() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |seed: u64| {
        format!(
            r#"name = "mc"
seed = {seed}
runs = 3
[population]
miners = 24
days = 45
start = "2025-10-01"
[[policy]]
preset = "ptn-dynamic"
[[policy]]
preset = "ptn-collateral"
[[adversary]]
strategy = "sybil-split"
k = 2
[[adversary]]
strategy = "challenge-squatter"
collateral_usd = 0
"#
        )
    };
    let mut outs = Vec::new();
    for (k, seed) in [(0, 8), (1, 8), (2, 9)] {
        let f = write(dir.path(), &format!("s{k}.toml"), scenario(seed).as_bytes());
        let out = dir.path().join(format!("o{k}"));
        let o = dustlab(&["replay", f.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        outs.push(out);
    }
    for f in ["steps.parquet", "steps.csv", "outcomes.parquet", "outcomes.csv"] {
        let read = |k: usize| std::fs::read(outs[k].join(f)).unwrap();
        assert_eq!(read(0), read(1), "{f}: same seed, same bytes");
        assert_ne!(read(0), read(2), "{f}: another seed, other results");
    }
    let csv = std::fs::read_to_string(outs[0].join("outcomes.csv")).unwrap();
    assert!(csv.starts_with("run,policy,adversary,strategy,reward_usd"));
    assert_eq!(csv.lines().count(), 1 + 3 * 2 * 2, "runs × policies × adversaries");
}

#[test]
fn generated_files_pass_inspect_and_read_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let mut sets = Vec::new();
    for name in ["p.json.gz", "p.parquet", "p.csv"] {
        let f = dir.path().join(name);
        let g = dustlab(&["generate", "--miners", "30", "--days", "40", "--seed", "3", "--out", f.to_str().unwrap()]);
        assert!(g.status.success(), "{}", stderr(&g));
        let i = dustlab(&["inspect", f.to_str().unwrap()]);
        assert!(i.status.success() && stdout(&i).contains("0 error(s)"), "{name}: {}", stderr(&i));
        sets.push(dustlab::ledger::io::read_raw(&f).unwrap());
    }
    let g = dustlab::population::generate::generate(&dustlab::population::generate::PopulationParams {
        miners: 30,
        days: 40,
        seed: 3,
        maincomp_per_class: 3,
        ..Default::default()
    });
    for s in &sets {
        assert_eq!(s.ledgers.len(), g.set.ledgers.len());
        for (a, b) in s.ledgers.iter().zip(&g.set.ledgers) {
            assert_eq!(a.key, b.key);
            for (x, y) in a.checkpoints.iter().zip(&b.checkpoints) {
                assert_eq!(x.clone(), y.clone().with_stored_net(), "{} at {}", a.key, x.timestamp_ms);
            }
        }
    }
}

#[test]
fn generate_writes_paid_adversaries_and_a_truth_file() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("s.toml");
    std::fs::write(
        &sc,
        "name = \"adv\"\n[population]\nminers = 30\ndays = 60\nstart = \"2025-10-01\"\nseed = 5\nmaincomp_per_class = 3\n\
         [[policy]]\npreset = \"ptn-dynamic\"\n\
         [[adversary]]\nstrategy = \"sybil-split\"\nk = 3\n\
         [[adversary]]\nstrategy = \"whale-compression\"\nbucket = \"MAINCOMP\"\nfactor = 20\n",
    )
    .unwrap();
    let out = dir.path().join("pop.json.gz");
    let g = dustlab(&["generate", "--scenario", sc.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(g.status.success(), "{}", stderr(&g));
    // Byte-identical on a second run.
    let again = dir.path().join("again.json.gz");
    assert!(
        dustlab(&["generate", "--scenario", sc.to_str().unwrap(), "--out", again.to_str().unwrap()]).status.success()
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());

    let inspect = dustlab(&["inspect", out.to_str().unwrap()]);
    assert!(inspect.status.success() && stdout(&inspect).contains("0 error(s)"), "{}", stdout(&inspect));
    let truth = std::fs::read_to_string(dir.path().join("pop.truth.csv")).unwrap();
    let rows: Vec<Vec<&str>> = truth.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(truth.lines().next(), Some("hotkey,adversary,strategy,role"));
    assert_eq!(rows.iter().filter(|r| r[2] == "sybil-split" && r[3] == "adversary").count(), 3);
    assert_eq!(rows.iter().filter(|r| r[2] == "whale-compression").count(), 2, "the whale and its twin");

    let set = dustlab::ledger::io::read_raw(&out).unwrap();
    for r in &rows {
        let l = set.ledgers.iter().find(|l| l.hotkey == r[0]).unwrap_or_else(|| panic!("{} not in the file", r[0]));
        let usd: f64 = l.checkpoints.iter().map(|c| c.chunk_emissions_usd).sum();
        let alpha: f64 = l.checkpoints.iter().map(|c| c.chunk_emissions_alpha).sum();
        assert!(usd > 0.0 && alpha > 0.0, "{} {} is unpaid", r[2], r[3]);
        assert!(l.checkpoints.iter().all(|c| c.avg_alpha_to_tao_rate > 0.0 && c.avg_tao_to_usd_rate > 0.0));
        // USD = alpha × alpha→TAO × TAO→USD, to the rounding of the written fields.
        for c in &l.checkpoints {
            let implied = c.chunk_emissions_alpha * c.avg_alpha_to_tao_rate * c.avg_tao_to_usd_rate;
            assert!(
                (implied - c.chunk_emissions_usd).abs() <= 1e-4 + 1e-5 * c.chunk_emissions_usd,
                "{implied} vs {}",
                c.chunk_emissions_usd
            );
        }
    }
    // Their collateral and buckets are written beside, like everyone's.
    let coll = std::fs::read_to_string(dir.path().join("pop.collateral.csv")).unwrap();
    let buckets = std::fs::read_to_string(dir.path().join("pop.buckets.csv")).unwrap();
    for r in &rows {
        assert!(coll.contains(r[0]) && buckets.contains(r[0]), "{} lacks collateral or bucket rows", r[0]);
    }
}
