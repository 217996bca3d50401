//! Builders for hand-computed test cases.

use crate::ledger::{Checkpoint, Ledger, LedgerSet, Status};

/// A checkpoint with net PnL `net` (as gain/loss), penalty, status and USD emissions.
pub fn cp(ts: i64, net: f64, penalty: f64, status: &str, usd: f64) -> Checkpoint {
    let mut c = Checkpoint::new(ts);
    c.pnl_gain = Some(if net > 0.0 { net } else { 0.0 });
    c.pnl_loss = Some(if net < 0.0 { net } else { 0.0 });
    c.total_penalty = penalty;
    c.status = Status::parse(status);
    c.chunk_emissions_usd = usd;
    c
}

pub fn set(ledgers: Vec<(&str, Vec<Checkpoint>)>) -> LedgerSet {
    LedgerSet {
        format_version: Some("1.0".into()),
        last_update_ms: None,
        ledgers: ledgers
            .into_iter()
            .map(|(h, cps)| Ledger { key: h.to_string(), hotkey: h.to_string(), checkpoints: cps })
            .collect(),
    }
}

/// A checkpoint of the realized/unrealized era (from 29 November 2025).
pub fn rcp(ts: i64, realized: f64, unrealized: f64, penalty: f64, status: &str, usd: f64) -> Checkpoint {
    let mut c = Checkpoint::new(ts);
    c.realized_pnl = Some(realized);
    c.unrealized_pnl = Some(unrealized);
    c.total_penalty = penalty;
    c.status = Status::parse(status);
    c.chunk_emissions_usd = usd;
    c
}
