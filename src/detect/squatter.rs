//! Challenge squatter: in CHALLENGE with zero or low collateral and almost no trading, held
//! until it is eliminated — collecting the floor without competing.

use super::{Finding, Knobs, Panel, seen};
use crate::ledger::Status;

/// DOMAIN: the minimum-collateral penalty applies below a 150 000 USD account.
const MIN_ACCOUNT: f64 = 150_000.0;

pub fn detect(panel: &Panel, knobs: &Knobs) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, s) in panel.miners.iter().enumerate() {
        if s.status != Status::Challenge || s.pnl.len() < knobs.min_overlap {
            continue;
        }
        let collateral = s.collateral.unwrap_or(0.0);
        if collateral >= MIN_ACCOUNT {
            continue;
        }
        let flat = s.pnl.iter().filter(|v| **v == 0.0).count() as f64 / s.pnl.len() as f64;
        if flat < knobs.squatter_flat_share {
            continue;
        }
        let held = s.pnl.len() as f64 / 2.0;
        let ended = s.last_ms < panel.at;
        let (first, last) = seen(panel, &[i]);
        out.push(Finding {
            pattern: "challenge-squatter",
            hotkeys: vec![s.hotkey.clone()],
            score: flat,
            leader: None,
            lag_periods: None,
            evidence: format!(
                "CHALLENGE for {held:.0} days{}, flat in {:.0}% of periods, collateral {}",
                if ended { ", then gone" } else { "" },
                100.0 * flat,
                s.collateral.map(|c| format!("{c:.0} USD")).unwrap_or_else(|| "unknown (read as 0)".into())
            ),
            first_seen_ms: first,
            last_seen_ms: last,
        });
    }
    out
}
