//! `dustlab weights`: what the validator would set at one instant.

use std::fmt::Write;

use crate::cli::{OutputFormat, WeightsArgs};
use crate::ledger::Status;
use crate::ledger::metagraph::Metagraph;
use crate::ledger::store::{AsOf, Store};
use crate::policy::config::{self, DustPolicy};
use crate::policy::evaluate::{Evaluation, evaluate};
use crate::policy::payout::{self, Context, Target, UnknownBucket};
use crate::replay::sources::{self, History};
use crate::time::{format_ms, parse_time};

pub fn run(args: WeightsArgs) -> anyhow::Result<()> {
    // Options first: a bad flag fails before any file is read.
    let at = parse_time(&args.at)?;
    let mut policy = config::resolve(&args.policy)?;
    if let Some(d) = args.dust {
        policy.dust = d;
        policy.check()?;
    }
    let payout_name = args.payout.clone().unwrap_or_else(|| policy.payout.clone());
    let model = payout::model(&payout_name)?;
    // The same readers as `replay`: dated histories are read as of `--at`, never ahead of it.
    let bucket_history = args.buckets.as_deref().map(sources::read_buckets).transpose()?;
    let collateral_history = args.collateral.as_deref().map(sources::read_collateral).transpose()?;
    let metagraph = args.metagraph.as_deref().map(Metagraph::read).transpose()?;

    let loaded = super::load(&args.ledgers, args.lenient)?;
    let store = Store::from_set(&loaded.set);
    let view = AsOf::new(&store, at);
    warn_old_layout(&view, &policy, model.as_ref());
    let buckets = current_buckets(&view, bucket_history.as_ref(), at, model.unknown_bucket());
    let collateral: Vec<f64> = (0..view.len())
        .map(|m| collateral_history.as_ref().and_then(|c| c.at(view.hotkey(m), at).copied()).unwrap_or(0.0))
        .collect();
    let ctx = Context { metagraph: metagraph.as_ref(), paid: None };
    let eval = evaluate(&policy, model.as_ref(), &view, &buckets, &collateral, &ctx)?;
    let burn = burn_hotkey(metagraph.as_ref(), args.testnet);
    let text = match args.format {
        OutputFormat::Json => to_json(at, &policy, model.name(), &view, &eval, burn),
        OutputFormat::Table => to_table(at, &policy, model.name(), &view, &buckets, &eval, burn),
    };
    print!("{text}");
    Ok(())
}

/// The burn hotkey: the metagraph's hotkey at uid 229 (220 on testnet) when it has that uid,
/// else production's placeholder.
pub fn burn_hotkey(metagraph: Option<&Metagraph>, testnet: bool) -> &str {
    let uid = if testnet { 220 } else { 229 };
    metagraph.and_then(|m| m.hotkey_at(uid)).unwrap_or(payout::burn_hotkey(testnet))
}

/// A release that reads realized PnL sees 0 in an older file; production says nothing, dustlab warns.
fn warn_old_layout(view: &AsOf, policy: &DustPolicy, model: &dyn payout::PayoutModel) {
    if !(policy.metric.reads_realized() || model.metric().reads_realized()) {
        return;
    }
    let (checkpoints, miners) = view.old_layout();
    if checkpoints > 0 {
        eprintln!(
            "warning: {checkpoints} checkpoint(s) of {miners} miner(s) carry pnl_gain/pnl_loss but no realized_pnl/unrealized_pnl: \
             this release reads their PnL as 0 (production would, silently)"
        );
    }
}

/// Each miner's bucket: the `--buckets` history's latest row at or before `at`; a hotkey the
/// history does not cover gets what its release does: the releases up to 30 November 2025
/// crash (dustlab uses the status of its latest checkpoint at or before `at` and warns), later
/// ones treat it as `unknown`. Without `--buckets`, the checkpoints' status stands in for the
/// challenge-period manager.
pub fn current_buckets(view: &AsOf, given: Option<&History<Status>>, at: i64, rule: UnknownBucket) -> Vec<Status> {
    let mut fallbacks = Vec::new();
    let buckets = (0..view.len())
        .map(|m| {
            let hk = view.hotkey(m);
            let from_checkpoints = || view.checkpoint_status(m).cloned().unwrap_or(Status::Unknown);
            match given {
                Some(g) => match g.at(hk, at) {
                    Some(b) => b.clone(),
                    None if rule == UnknownBucket::AsUnknown => Status::Unknown,
                    None => {
                        let s = from_checkpoints();
                        fallbacks.push((hk.to_string(), s.clone()));
                        s
                    }
                },
                None => from_checkpoints(),
            }
        })
        .collect();
    if let Some(g) = given {
        for (hk, s) in &fallbacks {
            eprintln!(
                "warning: --buckets has no row for hotkey {hk} at or before --at (using {s}); production would crash here"
            );
        }
        let known: std::collections::HashSet<&str> = (0..view.len()).map(|m| view.hotkey(m)).collect();
        let mut unknown: Vec<&String> = g.hotkeys().filter(|h| !known.contains(h.as_str())).collect();
        unknown.sort();
        for hk in unknown {
            eprintln!("warning: --buckets names hotkey {hk}, which has no ledger; ignored");
        }
    }
    buckets
}

fn name_of<'a>(view: &AsOf<'a>, t: Target, burn: &'a str) -> &'a str {
    match t {
        Target::Miner(m) => view.hotkey(m),
        Target::Burn => burn,
    }
}

fn json_f64(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_else(|_| "null".into())
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

pub fn to_json(at: i64, policy: &DustPolicy, payout: &str, view: &AsOf, eval: &Evaluation, burn: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"at_ms\": {at}, \"policy\": {}, \"payout\": {}, \"weights\": [",
        json_str(&policy.name),
        json_str(payout)
    );
    for (i, (t, w)) in eval.payout.entries().iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{{\"hotkey\": {}, \"weight\": {}}}", json_str(name_of(view, *t, burn)), json_f64(*w));
    }
    out.push_str("], \"dust\": {");
    for m in 0..view.len() {
        if m > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}: {}", json_str(view.hotkey(m)), json_f64(eval.dust[m]));
    }
    out.push_str("}}\n");
    out
}

fn to_table(
    at: i64,
    policy: &DustPolicy,
    payout: &str,
    view: &AsOf,
    buckets: &[Status],
    eval: &Evaluation,
    burn: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "weights at {} ({at})  policy {}  payout {payout}  DUST {:e}",
        format_ms(at),
        policy.name,
        policy.dust
    );
    let _ = writeln!(
        out,
        "{:>4}  {:<48}  {:<10}  {:>14}  {:>13}  {:>7}  {:>14}  {:>22}",
        "#", "hotkey", "bucket", "score_usd", "dust_weight", "xDUST", "remaining_usd", "final_weight"
    );
    let (mut dust_total, mut final_total) = (0.0, 0.0);
    for (rank, (t, w)) in eval.payout.entries().iter().enumerate() {
        final_total += w;
        match *t {
            Target::Miner(m) => {
                dust_total += eval.dust[m];
                let _ = writeln!(
                    out,
                    "{:>4}  {:<48}  {:<10}  {:>14.2}  {:>13.6e}  {:>7.3}  {:>14.2}  {:>22}",
                    rank + 1,
                    view.hotkey(m),
                    buckets[m].as_str(),
                    eval.scores[m],
                    eval.dust[m],
                    eval.dust[m] / policy.dust,
                    eval.payout.remaining_usd.get(m).copied().unwrap_or(0.0),
                    json_f64(*w)
                );
            }
            Target::Burn => {
                let _ = writeln!(
                    out,
                    "{:>4}  {:<48}  {:<10}  {:>14}  {:>13}  {:>7}  {:>14}  {:>22}",
                    rank + 1,
                    name_of(view, *t, burn),
                    "burn",
                    "",
                    "",
                    "",
                    "",
                    json_f64(*w)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "      {:<48}  {:<10}  {:>14}  {:>13.6e}  {:>7.3}  {:>14}  {:>22}",
        format!("total ({} miners)", view.len()),
        "",
        "",
        dust_total,
        dust_total / policy.dust,
        "",
        json_f64(final_total)
    );
    out
}
