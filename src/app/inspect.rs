//! `dustlab inspect FILE|DIR`: every validation problem, then a summary; exit 2 on errors.
//! For a directory of dated snapshots, how much history each snapshot revised.

use std::collections::HashMap;
use std::path::Path;

use crate::cli::InspectArgs;
use crate::error::InputError;
use crate::ledger::{Checkpoint, LedgerSet, io, summary, validate};
use crate::replay::sources::list_snapshots;
use crate::time::format_ms;

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    if args.file.is_dir() {
        return inspect_snapshots(&args.file);
    }
    if let Some(m) = as_metagraph(&args.file)? {
        print_metagraph(&m);
        return Ok(());
    }
    let set = io::read_raw(&args.file)?;
    let errors = report(&args.file, &set);
    print!("{}", summary::summarize(&set));
    if errors > 0 {
        return Err(InputError::Invalid(format!(
            "{}: {errors} validation error(s), listed above",
            args.file.display()
        ))
        .into());
    }
    Ok(())
}

/// A metagraph JSON file (an object without `ledgers` whose keys are all metagraph keys), read
/// and checked; None for anything else (then it is read as ledgers).
fn as_metagraph(path: &Path) -> Result<Option<crate::ledger::metagraph::Metagraph>, InputError> {
    use crate::ledger::metagraph::{KEYS, Metagraph};
    let Ok(bytes) = std::fs::read(path) else { return Ok(None) };
    if bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(b"PAR1") {
        return Ok(None);
    }
    let strict = crate::ledger::json_read::strict_json(&bytes);
    // The top-level keys only: values are skimmed, not built (a year of ledgers as a JSON
    // value tree took a gigabyte to learn that it is not a metagraph).
    type Keys = std::collections::BTreeMap<String, serde::de::IgnoredAny>;
    let Ok(obj) = serde_json::from_slice::<Keys>(&strict) else {
        return Ok(None);
    };
    if obj.is_empty() || !obj.keys().all(|k| KEYS.contains(&k.as_str())) {
        return Ok(None);
    }
    Metagraph::parse(&bytes, &path.display().to_string()).map(Some)
}

fn print_metagraph(m: &crate::ledger::metagraph::Metagraph) {
    let e = m.emission.as_ref();
    println!("{}", m.source);
    println!(
        "metagraph     {} hotkey(s); burn uid 229: {}; uid 220: {}",
        m.hotkeys.len(),
        m.hotkey_at(229).unwrap_or("(none: placeholder burn_uid_229)"),
        m.hotkey_at(220).unwrap_or("(none: placeholder burn_uid_220)")
    );
    println!(
        "emission      {} ({:?}); sum {}",
        e.map(|l| format!("{} uid(s)", l.len())).unwrap_or_else(|| "missing (R2 raises)".into()),
        m.emission_dtype,
        e.map(|l| l.iter().fold(0.0, |a, x| a + x).to_string()).unwrap_or_else(|| "-".into())
    );
    println!(
        "reserves      TAO {} rao, ALPHA {} rao",
        m.tao_reserve_rao.map(|x| x.to_string()).unwrap_or_else(|| "missing".into()),
        m.alpha_reserve_rao.map(|x| x.to_string()).unwrap_or_else(|| "missing".into())
    );
    println!("TAO price     {:?}", m.tao_to_usd_rate);
    println!("timestamp     {}", m.timestamp_ms.map(format_ms).unwrap_or_else(|| "none".into()));
}

/// Prints every problem of one file; returns the error count.
fn report(path: &Path, set: &LedgerSet) -> usize {
    let rep = validate::validate(set);
    let shown = path.display();
    for p in &rep.problems {
        eprintln!("{shown}: {p}");
    }
    let (errors, warnings) = (rep.errors().count(), rep.warnings().count());
    println!("{shown}");
    println!("validation    {errors} error(s), {warnings} warning(s)");
    errors
}

/// Checkpoints of `cur` at or before `until` that differ from, or are missing in, `prev`.
fn revisions(prev: &LedgerSet, cur: &LedgerSet, until: i64) -> (usize, usize, usize, usize) {
    let index: HashMap<&str, &Vec<Checkpoint>> = cur.ledgers.iter().map(|l| (l.key.as_str(), &l.checkpoints)).collect();
    let (mut revised, mut removed, mut dropped) = (0, 0, 0);
    for l in &prev.ledgers {
        let Some(now) = index.get(l.key.as_str()) else {
            dropped += 1;
            continue;
        };
        let by_ts: HashMap<i64, &Checkpoint> = now.iter().map(|c| (c.timestamp_ms, c)).collect();
        for c in l.checkpoints.iter().filter(|c| c.timestamp_ms <= until) {
            match by_ts.get(&c.timestamp_ms) {
                None => removed += 1,
                Some(n) if !same(c, n) => revised += 1,
                _ => {}
            }
        }
    }
    let before: std::collections::HashSet<&str> = prev.ledgers.iter().map(|l| l.key.as_str()).collect();
    let added = cur.ledgers.iter().filter(|l| !before.contains(l.key.as_str())).count();
    (revised, removed, added, dropped)
}

/// Equal as data (a stored `net_pnl` is not data: it is recomputed).
fn same(a: &Checkpoint, b: &Checkpoint) -> bool {
    let mut b = b.clone();
    b.stored_net_pnl = a.stored_net_pnl;
    *a == b
}

fn inspect_snapshots(dir: &Path) -> anyhow::Result<()> {
    let snaps = list_snapshots(dir)?;
    let mut errors = 0;
    let mut prev: Option<(LedgerSet, i64)> = None;
    let mut table = vec![format!(
        "{:<40} {:<24} {:>7} {:>11} {:>9} {:>8} {:>6} {:>8}",
        "snapshot", "taken", "miners", "checkpoints", "revised", "removed", "added", "dropped"
    )];
    for s in &snaps {
        let set = io::read_raw(&s.path)?;
        errors += report(&s.path, &set);
        let name = s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (rev, rem, add, drop) = match &prev {
            Some((p, taken)) => revisions(p, &set, *taken),
            None => (0, 0, set.ledgers.len(), 0),
        };
        table.push(format!(
            "{:<40} {:<24} {:>7} {:>11} {:>9} {:>8} {:>6} {:>8}",
            name,
            format_ms(s.taken_ms),
            set.ledgers.len(),
            set.checkpoint_count(),
            rev,
            rem,
            add,
            drop
        ));
        prev = Some((set, s.taken_ms));
    }
    println!("\n{} snapshots in {}; history revised by each against the one before it:", snaps.len(), dir.display());
    println!(
        "(revised: checkpoints up to the previous snapshot's date whose values changed; removed: such checkpoints gone;"
    );
    println!(" added / dropped: hotkeys new in / missing from this snapshot)");
    for line in table {
        println!("{line}");
    }
    if errors > 0 {
        return Err(
            InputError::Invalid(format!("{}: {errors} validation error(s), listed above", dir.display())).into()
        );
    }
    Ok(())
}
