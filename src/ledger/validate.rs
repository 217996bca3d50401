//! Validation of a ledger set against the validator's own invariants. Every problem names
//! the hotkey, checkpoint index, timestamp and field; lenient mode drops what is broken
//! and says exactly what it dropped.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rayon::prelude::*;

use super::model::{Checkpoint, LedgerSet};
use crate::time::{CHECKPOINT_MS, format_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// What lenient mode does about a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Remedy {
    /// Nothing to drop: the data is usable as it is (warnings, gaps).
    Keep,
    DropCheckpoint,
    DropLedger,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub severity: Severity,
    pub hotkey: Option<String>,
    pub ledger_index: Option<usize>,
    pub checkpoint: Option<usize>,
    pub timestamp_ms: Option<i64>,
    pub field: Option<&'static str>,
    pub message: String,
    remedy: Remedy,
}

impl Problem {
    /// Where and what, without the severity: "hotkey H, checkpoint i, timestamp_ms T (…), field `f`: message".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(h) = &self.hotkey {
            parts.push(format!("hotkey {h}"));
        }
        if let Some(i) = self.checkpoint {
            parts.push(format!("checkpoint {i}"));
        }
        if let Some(t) = self.timestamp_ms {
            parts.push(format!("timestamp_ms {t} ({})", format_ms(t)));
        }
        if let Some(field) = self.field {
            parts.push(format!("field `{field}`"));
        }
        if parts.is_empty() { self.message.clone() } else { format!("{}: {}", parts.join(", "), self.message) }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}: {}", self.describe())
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Warning)
    }
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

struct Ctx<'a> {
    out: &'a mut Vec<Problem>,
    hotkey: &'a str,
    ledger_index: usize,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        severity: Severity,
        remedy: Remedy,
        cp: Option<(usize, i64)>,
        field: Option<&'static str>,
        message: String,
    ) {
        self.out.push(Problem {
            severity,
            hotkey: Some(self.hotkey.to_string()),
            ledger_index: Some(self.ledger_index),
            checkpoint: cp.map(|c| c.0),
            timestamp_ms: cp.map(|c| c.1),
            field,
            message,
            remedy,
        });
    }
}

/// Checks every ledger and checkpoint. Ledgers are checked in parallel; problems come out
/// in file order.
pub fn validate(set: &LedgerSet) -> Report {
    let mut seen: HashSet<&str> = HashSet::new();
    let duplicate: Vec<bool> = set.ledgers.iter().map(|l| !seen.insert(l.key.as_str())).collect();
    let per_ledger: Vec<Vec<Problem>> = set
        .ledgers
        .par_iter()
        .enumerate()
        .map(|(li, ledger)| {
            let mut out = Vec::new();
            let mut ctx = Ctx { out: &mut out, hotkey: &ledger.key, ledger_index: li };
            if duplicate[li] {
                ctx.push(
                    Severity::Error,
                    Remedy::DropLedger,
                    None,
                    None,
                    "duplicate hotkey: the file holds more than one ledger under this key (the first is kept)".into(),
                );
            }
            if ledger.hotkey != ledger.key {
                ctx.push(
                    Severity::Error,
                    Remedy::DropLedger,
                    None,
                    Some("hotkey"),
                    format!("ledger stored under key {} says its hotkey is {}", ledger.key, ledger.hotkey),
                );
            }
            let mut prev_ts: Option<i64> = None;
            for (i, cp) in ledger.checkpoints.iter().enumerate() {
                check_checkpoint(&mut ctx, i, cp, &mut prev_ts);
            }
            out
        })
        .collect();
    let mut problems: Vec<Problem> = per_ledger.into_iter().flatten().collect();
    identical_performance_warning(set, &mut problems);
    Report { problems }
}

fn check_checkpoint(ctx: &mut Ctx, i: usize, cp: &Checkpoint, prev_ts: &mut Option<i64>) {
    let at = Some((i, cp.timestamp_ms));
    let ts = cp.timestamp_ms;
    let mut timing_ok = true;
    if ts.rem_euclid(CHECKPOINT_MS) != 0 {
        timing_ok = false;
        ctx.push(
            Severity::Error,
            Remedy::DropCheckpoint,
            at,
            Some("timestamp_ms"),
            format!("not aligned to 12 h (43 200 000 ms): {} ms past the boundary", ts.rem_euclid(CHECKPOINT_MS)),
        );
    }
    if let Some(prev) = *prev_ts {
        if ts == prev {
            timing_ok = false;
            ctx.push(
                Severity::Error,
                Remedy::DropCheckpoint,
                at,
                Some("timestamp_ms"),
                "duplicate timestamp: same as the previous checkpoint".into(),
            );
        } else if ts < prev {
            timing_ok = false;
            ctx.push(
                Severity::Error,
                Remedy::DropCheckpoint,
                at,
                Some("timestamp_ms"),
                format!("timestamps not increasing: previous checkpoint is at {prev} ({})", format_ms(prev)),
            );
        } else if ts.rem_euclid(CHECKPOINT_MS) == 0 && ts - prev > CHECKPOINT_MS {
            let missing = (ts - prev) / CHECKPOINT_MS - 1;
            ctx.push(
                Severity::Error,
                Remedy::Keep,
                at,
                Some("timestamp_ms"),
                format!("gap: {missing} checkpoint(s) missing after the previous one at {prev} ({})", format_ms(prev)),
            );
        } else if ts.rem_euclid(CHECKPOINT_MS) == 0 && ts - prev < CHECKPOINT_MS {
            timing_ok = false;
            ctx.push(
                Severity::Error,
                Remedy::DropCheckpoint,
                at,
                Some("timestamp_ms"),
                format!("overlap: only {} ms after the previous checkpoint", ts - prev),
            );
        }
    }
    if timing_ok || prev_ts.is_none() && ts.rem_euclid(CHECKPOINT_MS) == 0 {
        *prev_ts = Some(ts);
    }
    for (name, value) in cp.float_fields() {
        if let Some(v) = value
            && !v.is_finite()
        {
            ctx.push(
                Severity::Error,
                Remedy::DropCheckpoint,
                at,
                Some(name),
                format!("non-finite value {}", crate::ledger::json_write::py_float(v)),
            );
        }
    }
    for (name, v) in cp.penalties() {
        if v.is_finite() && !(0.0..=1.0).contains(&v) {
            ctx.push(Severity::Error, Remedy::DropCheckpoint, at, Some(name), format!("penalty {v} outside [0, 1]"));
        }
    }
    if let (Some(stored), true) = (cp.stored_net_pnl, cp.pnl_gain.is_some() || cp.pnl_loss.is_some()) {
        let net = cp.pnl_gain.unwrap_or(0.0) + cp.pnl_loss.unwrap_or(0.0);
        let scale = cp.pnl_gain.unwrap_or(0.0).abs() + cp.pnl_loss.unwrap_or(0.0).abs();
        if stored.is_finite() && net.is_finite() && (stored - net).abs() > 1e-9 * scale.max(1.0) {
            ctx.push(
                Severity::Error,
                Remedy::DropCheckpoint,
                at,
                Some("net_pnl"),
                format!("stored net_pnl {stored} disagrees with pnl_gain + pnl_loss = {net}"),
            );
        }
    }
    if !cp.status.is_known() {
        ctx.push(
            Severity::Warning,
            Remedy::Keep,
            at,
            Some("challenge_period_status"),
            format!("unrecognised status {:?}: kept as is; policies give it their default floor", cp.status.as_str()),
        );
    }
}

/// Files written between 31 October and 5 December 2025 carry, by a validator bug, the same
/// performance values for every miner. Flag timestamps where all miners agree.
fn identical_performance_warning(set: &LedgerSet, out: &mut Vec<Problem>) {
    type Perf = (u64, u64, u64);
    let mut by_ts: HashMap<i64, (Perf, usize, bool)> = HashMap::new();
    for l in &set.ledgers {
        for cp in &l.checkpoints {
            let perf = (
                cp.pnl_gain.unwrap_or(0.0).to_bits(),
                cp.pnl_loss.unwrap_or(0.0).to_bits(),
                cp.portfolio_return.to_bits(),
            );
            let e = by_ts.entry(cp.timestamp_ms).or_insert((perf, 0, true));
            e.1 += 1;
            e.2 &= e.0 == perf;
        }
    }
    let mut hits: Vec<i64> = by_ts
        .iter()
        .filter(|(_, (perf, n, same))| *same && *n >= 2 && (perf.0 != 0 || perf.1 != 0))
        .map(|(t, _)| *t)
        .collect();
    if hits.is_empty() {
        return;
    }
    hits.sort_unstable();
    out.push(Problem {
        severity: Severity::Warning,
        hotkey: None,
        ledger_index: None,
        checkpoint: None,
        timestamp_ms: None,
        field: Some("pnl_gain/pnl_loss/portfolio_return"),
        message: format!(
            "{} timestamp(s) between {} and {} have identical non-zero performance for every miner \
             (the validator bug of files written 31 Oct - 5 Dec 2025?): PnL-based scores there are not per-miner",
            hits.len(),
            format_ms(hits[0]),
            format_ms(*hits.last().unwrap())
        ),
        remedy: Remedy::Keep,
    });
}

/// What lenient mode left out, one line per item.
#[derive(Debug, Default)]
pub struct Dropped {
    pub lines: Vec<String>,
}

/// Removes every ledger and checkpoint with an error that makes it unusable.
pub fn drop_broken(set: &mut LedgerSet, report: &Report) -> Dropped {
    let mut drop_ledgers: HashSet<usize> = HashSet::new();
    let mut drop_cps: HashMap<usize, HashSet<usize>> = HashMap::new();
    let mut dropped = Dropped::default();
    for p in report.errors() {
        match (p.remedy, p.ledger_index, p.checkpoint) {
            (Remedy::DropLedger, Some(li), _) if drop_ledgers.insert(li) => {
                dropped.lines.push(format!(
                    "left out ledger {} ({} checkpoints): {}",
                    p.hotkey.as_deref().unwrap_or("?"),
                    set.ledgers[li].checkpoints.len(),
                    p.message
                ));
            }
            (Remedy::DropCheckpoint, Some(li), Some(ci)) if drop_cps.entry(li).or_default().insert(ci) => {
                dropped.lines.push(format!("left out {}", p.describe()));
            }
            _ => {}
        }
    }
    for (li, cps) in &drop_cps {
        if drop_ledgers.contains(li) {
            continue;
        }
        let ledger = &mut set.ledgers[*li];
        let mut i = 0;
        ledger.checkpoints.retain(|_| {
            let keep = !cps.contains(&i);
            i += 1;
            keep
        });
    }
    let mut li = 0;
    set.ledgers.retain(|_| {
        let keep = !drop_ledgers.contains(&li);
        li += 1;
        keep
    });
    dropped
}
