//! The human summary `dustlab inspect` prints: miners, checkpoints, dates, statuses over
//! time, PnL and emission totals.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::LedgerSet;
use crate::time::{Month, format_ms};

pub fn summarize(set: &LedgerSet) -> String {
    let mut out = String::new();
    let n_cp = set.checkpoint_count();
    let first = set.ledgers.iter().filter_map(|l| l.checkpoints.first()).map(|c| c.timestamp_ms).min();
    let last = set.ledgers.iter().filter_map(|l| l.checkpoints.last()).map(|c| c.timestamp_ms).max();
    let _ = writeln!(out, "miners        {}", set.ledgers.len());
    let _ = writeln!(out, "checkpoints   {n_cp}");
    if let Some(v) = &set.format_version {
        let _ = writeln!(out, "format        {v}");
    }
    if let Some(t) = set.last_update_ms {
        let _ = writeln!(out, "last update   {}", format_ms(t));
    }
    match (first, last) {
        (Some(a), Some(b)) => {
            let _ = writeln!(
                out,
                "date range    {} .. {} ({:.1} days)",
                format_ms(a),
                format_ms(b),
                (b - a) as f64 / 86_400_000.0
            );
        }
        _ => {
            let _ = writeln!(out, "date range    (no checkpoints)");
        }
    }
    let (mut net, mut adj, mut gain, mut loss, mut alpha, mut tao, mut usd) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for cp in set.ledgers.iter().flat_map(|l| &l.checkpoints) {
        net += cp.net_pnl();
        adj += cp.net_pnl() * cp.total_penalty;
        gain += cp.pnl_gain.unwrap_or(0.0);
        loss += cp.pnl_loss.unwrap_or(0.0);
        alpha += cp.chunk_emissions_alpha;
        tao += cp.chunk_emissions_tao;
        usd += cp.chunk_emissions_usd;
    }
    let _ = writeln!(out, "PnL (USD)     net {net:.2}  penalty-adjusted {adj:.2}  gain {gain:.2}  loss {loss:.2}");
    let _ = writeln!(out, "emissions     {alpha:.4} alpha  {tao:.6} TAO  {usd:.2} USD");

    // Statuses over time: each miner's status at the end of each month it has checkpoints in.
    let mut by_month: BTreeMap<Month, BTreeMap<String, usize>> = BTreeMap::new();
    let mut statuses: BTreeMap<String, ()> = BTreeMap::new();
    for l in &set.ledgers {
        let mut last_of_month: BTreeMap<Month, &str> = BTreeMap::new();
        for cp in &l.checkpoints {
            last_of_month.insert(Month::of_ms(cp.timestamp_ms), cp.status.as_str());
        }
        for (m, s) in last_of_month {
            *by_month.entry(m).or_default().entry(s.to_string()).or_default() += 1;
            statuses.insert(s.to_string(), ());
        }
    }
    if !by_month.is_empty() {
        let cols: Vec<&String> = statuses.keys().collect();
        let _ = writeln!(out, "\nstatuses at each miner's last checkpoint of the month:");
        let _ = write!(out, "  {:<8}", "month");
        for c in &cols {
            let _ = write!(out, " {:>11}", c);
        }
        let _ = writeln!(out);
        for (m, counts) in &by_month {
            let _ = write!(out, "  {:<8}", m.to_string());
            for c in &cols {
                let _ = write!(out, " {:>11}", counts.get(*c).copied().unwrap_or(0));
            }
            let _ = writeln!(out);
        }
    }
    out
}
