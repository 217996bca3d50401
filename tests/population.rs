//! Statistical checks of the synthetic population against the ranges the README states for
//! the defaults (fixed seed, 230 slots over a year).

use std::collections::{BTreeMap, HashMap, HashSet};

use dustlab::ledger::Status;
use dustlab::population::generate::{EventKind, PopulationParams, generate};

const DAY: i64 = 86_400_000;

struct Stats {
    pass_rate: f64,
    departures_per_month: Vec<usize>,
    maincomp_max_per_class: usize,
    maincomp_end: usize,
    challenge_share_end: f64,
    kurtosis: f64,
    skew: f64,
    mean_abs_return: f64,
}

fn stats() -> (Stats, dustlab::population::generate::Population) {
    let p = PopulationParams { miners: 230, days: 365, seed: 42, ..PopulationParams::default() };
    let pop = generate(&p);
    let end = p.start_ms + p.days as i64 * DAY;
    // Challenge outcomes of miners registered during the run whose challenge ended in it.
    let registered: HashSet<&str> = pop
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Registered && e.at_ms > p.start_ms)
        .map(|e| e.hotkey.as_str())
        .collect();
    let mut outcome: HashMap<&str, bool> = HashMap::new();
    for e in &pop.events {
        if !registered.contains(e.hotkey.as_str()) || outcome.contains_key(e.hotkey.as_str()) {
            continue;
        }
        match e.kind {
            EventKind::Promoted => {
                outcome.insert(&e.hotkey, true);
            }
            EventKind::Eliminated(_) => {
                outcome.insert(&e.hotkey, false);
            }
            _ => {}
        }
    }
    let passed = outcome.values().filter(|v| **v).count();
    let mut per_month: BTreeMap<i64, usize> = BTreeMap::new();
    for e in pop.events.iter().filter(|e| matches!(e.kind, EventKind::Eliminated(_))) {
        *per_month.entry((e.at_ms - p.start_ms) / (30 * DAY)).or_default() += 1;
    }
    // True buckets over time: replay the bucket history, count MAINCOMP per class at each change.
    let forex: HashMap<&str, bool> = HashMap::new();
    let _ = forex;
    let mut current: HashMap<&str, Status> = HashMap::new();
    let mut alive: HashSet<&str> = HashSet::new();
    let mut max_main = 0;
    let mut changes: Vec<(i64, &str, Option<&Status>)> =
        pop.buckets.iter().map(|(h, t, s)| (*t, h.as_str(), Some(s))).collect();
    changes.extend(
        pop.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Eliminated(_)))
            .map(|e| (e.at_ms, e.hotkey.as_str(), None)),
    );
    changes.sort_by_key(|c| c.0);
    for (i, (t, h, s)) in changes.iter().enumerate() {
        match s {
            // The true bucket history ends a departed miner with an ELIMINATED row.
            Some(s) if s.as_str() == "ELIMINATED" => {
                alive.remove(h);
            }
            Some(s) => {
                current.insert(h, (*s).clone());
                alive.insert(h);
            }
            None => {
                alive.remove(h);
            }
        }
        // Count once all changes at this instant are applied (a promotion and its demotion).
        if changes.get(i + 1).map(|c| c.0) != Some(*t) {
            let mains = alive.iter().filter(|h| current.get(*h) == Some(&Status::Maincomp)).count();
            max_main = max_main.max(mains);
        }
    }
    let maincomp_end = alive.iter().filter(|h| current.get(*h) == Some(&Status::Maincomp)).count();
    let challenge_end = alive.iter().filter(|h| current.get(*h) == Some(&Status::Challenge)).count();
    let _ = end;
    // 12 h returns of all trading checkpoints.
    let mut r = Vec::new();
    for l in &pop.set.ledgers {
        let mut prev = 1.0;
        for c in &l.checkpoints {
            let ret = c.portfolio_return / prev - 1.0;
            prev = c.portfolio_return;
            if c.open_ms > 0 {
                r.push(ret);
            }
        }
    }
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let m2 = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = r.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    let m4 = r.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
    (
        Stats {
            pass_rate: passed as f64 / outcome.len() as f64,
            departures_per_month: per_month.values().copied().collect(),
            maincomp_max_per_class: max_main,
            maincomp_end,
            challenge_share_end: challenge_end as f64 / alive.len() as f64,
            kurtosis: m4 / (m2 * m2),
            skew: m3 / m2.powf(1.5),
            mean_abs_return: r.iter().map(|x| x.abs()).sum::<f64>() / n,
        },
        pop,
    )
}

#[test]
fn population_statistics_fall_in_the_documented_ranges() {
    let (s, pop) = stats();
    eprintln!(
        "pass {:.3} departures {:?} maincomp max {} end {} challenge share {:.2} kurtosis {:.2} skew {:.2} mean|r| {:.5}",
        s.pass_rate,
        s.departures_per_month,
        s.maincomp_max_per_class,
        s.maincomp_end,
        s.challenge_share_end,
        s.kurtosis,
        s.skew,
        s.mean_abs_return
    );
    assert!((0.15..=0.35).contains(&s.pass_rate), "challenge pass rate {}", s.pass_rate);
    let months = &s.departures_per_month[..s.departures_per_month.len().min(12)];
    let mean_dep = months.iter().sum::<usize>() as f64 / months.len() as f64;
    assert!((30.0..=77.0).contains(&mean_dep), "departures per month {months:?}");
    assert!(s.maincomp_max_per_class <= 50, "MAINCOMP holds at most 2 × 25: {}", s.maincomp_max_per_class);
    assert!((30..=50).contains(&s.maincomp_end), "MAINCOMP at the end {}", s.maincomp_end);
    assert!((0.5..=0.9).contains(&s.challenge_share_end), "challenge share {}", s.challenge_share_end);
    assert!(s.kurtosis > 4.0, "12 h returns are heavy-tailed: kurtosis {}", s.kurtosis);
    assert!(s.skew.abs() < 2.0, "skew {}", s.skew);
    assert!((0.001..=0.01).contains(&s.mean_abs_return), "mean |12 h return| {}", s.mean_abs_return);
    // Penalty ranges (DOMAIN).
    for c in pop.set.ledgers.iter().flat_map(|l| &l.checkpoints) {
        assert!((0.0..=1.0).contains(&c.total_penalty));
        assert!((0.69..=0.9918).contains(&c.risk_profile_penalty), "{}", c.risk_profile_penalty);
        assert!(c.min_collateral_penalty == 1.0 || c.min_collateral_penalty == 0.01);
        assert!((0.2..=1.0).contains(&c.risk_adjusted_performance_penalty));
        assert!(c.drawdown_penalty == 0.0 || c.drawdown_penalty == 1.0);
    }
}
