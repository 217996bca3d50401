//! How well the detectors find what the simulator planted: precision and recall per
//! strategy against a truth file (`generate --scenario` writes one), and the false-positive
//! rate on honest miners.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::{Finding, PATTERNS};
use crate::error::InputError;
use crate::metrics::adversary::Band;

/// Who the simulator injected: hotkey → (strategy, role).
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub by_hotkey: HashMap<String, (String, String)>,
}

impl Truth {
    /// Reads `hotkey,adversary,strategy,role`, refusing a row without its four fields or with
    /// an unknown role, naming file and line.
    pub fn read(path: &Path) -> Result<Truth, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError::file(path.display(), e))?;
        let mut lines = text.lines();
        let head = lines.next().unwrap_or_default();
        if head.trim() != "hotkey,adversary,strategy,role" {
            return Err(InputError::file(
                path.display(),
                format!("line 1 must be the header hotkey,adversary,strategy,role, got {head:?}"),
            ));
        }
        let mut by_hotkey = HashMap::new();
        for (n, line) in lines.enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if f.len() != 4 || f.iter().any(|x| x.is_empty()) {
                return Err(InputError::file(
                    path.display(),
                    format!("line {}: expected 4 fields, got {line:?}", n + 2),
                ));
            }
            if f[3] != "adversary" && f[3] != "twin" {
                return Err(InputError::file(
                    path.display(),
                    format!("line {}: role must be adversary or twin, got {:?}", n + 2, f[3]),
                ));
            }
            by_hotkey.insert(f[0].to_string(), (f[2].to_string(), f[3].to_string()));
        }
        Ok(Truth { by_hotkey })
    }

    /// The adversary hotkeys of a strategy (twins are controls, not suspects).
    pub fn adversaries(&self, strategy: &str) -> HashSet<&str> {
        self.by_hotkey.iter().filter(|(_, (s, r))| s == strategy && r == "adversary").map(|(h, _)| h.as_str()).collect()
    }

    pub fn twins(&self) -> HashSet<&str> {
        self.by_hotkey.iter().filter(|(_, (_, r))| r == "twin").map(|(h, _)| h.as_str()).collect()
    }
}

/// One pattern's result on one population.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub pattern: String,
    /// Adversary hotkeys of the strategy in the population.
    pub planted: usize,
    /// Hotkeys the pattern's findings suspect (twins left out).
    pub flagged: usize,
    pub hits: usize,
    /// None when nothing was flagged (precision) or nothing planted (recall).
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// Flagged hotkeys that are no adversary at all, per 100 honest miners.
    pub false_positives_per_100: f64,
}

/// Scores every pattern's findings against the truth; `miners` is every hotkey detection saw.
pub fn score(findings: &[Finding], truth: &Truth, miners: &[String]) -> Vec<Score> {
    let twins = truth.twins();
    let honest = miners.iter().filter(|h| !truth.by_hotkey.contains_key(h.as_str())).count();
    let mut flagged: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for f in findings {
        let set = flagged.entry(f.pattern).or_default();
        set.extend(f.hotkeys.iter().map(String::as_str).filter(|h| !twins.contains(h)));
    }
    PATTERNS
        .iter()
        .map(|p| {
            let planted = truth.adversaries(p);
            let got = flagged.get(p).cloned().unwrap_or_default();
            let hits = got.intersection(&planted).count();
            let honest_flagged = got.iter().filter(|h| !truth.by_hotkey.contains_key(**h)).count();
            Score {
                pattern: p.to_string(),
                planted: planted.len(),
                flagged: got.len(),
                hits,
                precision: (!got.is_empty()).then(|| hits as f64 / got.len() as f64),
                recall: (!planted.is_empty()).then(|| hits as f64 / planted.len() as f64),
                false_positives_per_100: if honest > 0 { 100.0 * honest_flagged as f64 / honest as f64 } else { 0.0 },
            }
        })
        .collect()
}

/// One run's scores: with adversaries, and the honest population's false positives.
#[derive(Debug, Clone, Serialize)]
pub struct RunScores {
    pub run: usize,
    pub miners: usize,
    pub scores: Vec<Score>,
    /// Per pattern: hotkeys flagged per 100 miners of the population without adversaries.
    pub honest_fp_per_100: Vec<(String, f64)>,
}

/// Per pattern over the runs.
#[derive(Debug, Clone, Serialize)]
pub struct PatternSummary {
    pub pattern: String,
    pub runs: usize,
    pub planted_per_run: f64,
    pub precision: Option<Band>,
    pub recall: Option<Band>,
    /// Runs where the pattern flagged nothing (precision undefined there).
    pub runs_without_flags: usize,
    pub honest_fp_per_100: Option<Band>,
}

/// Mean and 5–95 % band per pattern over the runs.
pub fn summarize(runs: &[RunScores]) -> Vec<PatternSummary> {
    PATTERNS
        .iter()
        .map(|p| {
            let of = |r: &RunScores| r.scores.iter().find(|s| s.pattern == *p).cloned();
            let scores: Vec<Score> = runs.iter().filter_map(of).collect();
            let precision: Vec<f64> = scores.iter().filter_map(|s| s.precision).collect();
            let recall: Vec<f64> = scores.iter().filter_map(|s| s.recall).collect();
            let fp: Vec<f64> =
                runs.iter().filter_map(|r| r.honest_fp_per_100.iter().find(|(q, _)| q == p).map(|(_, v)| *v)).collect();
            PatternSummary {
                pattern: p.to_string(),
                runs: runs.len(),
                planted_per_run: scores.iter().map(|s| s.planted as f64).sum::<f64>() / runs.len().max(1) as f64,
                precision: Band::of(&precision),
                recall: Band::of(&recall),
                runs_without_flags: scores.iter().filter(|s| s.flagged == 0).count(),
                honest_fp_per_100: Band::of(&fp),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(pattern: &'static str, hotkeys: &[&str]) -> Finding {
        Finding {
            pattern,
            hotkeys: hotkeys.iter().map(|h| h.to_string()).collect(),
            score: 1.0,
            leader: None,
            lag_periods: None,
            evidence: String::new(),
            first_seen_ms: 0,
            last_seen_ms: 0,
        }
    }

    #[test]
    fn precision_and_recall_by_hand() {
        let mut truth = Truth::default();
        for (h, s, r) in [
            ("s1", "sybil-split", "adversary"),
            ("s2", "sybil-split", "adversary"),
            ("t", "sybil-split", "twin"),
            ("c", "copycat", "adversary"),
        ] {
            truth.by_hotkey.insert(h.into(), (s.into(), r.into()));
        }
        let miners: Vec<String> =
            ["s1", "s2", "t", "c", "h1", "h2", "h3", "h4"].iter().map(|s| s.to_string()).collect();
        // Sybil finds s1 with its twin and one honest miner: the twin is left out, so 1 hit of 2 flagged.
        let findings = vec![finding("sybil-split", &["s1", "t", "h1"]), finding("copycat", &["c"])];
        let s = score(&findings, &truth, &miners);
        let sybil = s.iter().find(|x| x.pattern == "sybil-split").unwrap();
        assert_eq!((sybil.planted, sybil.flagged, sybil.hits), (2, 2, 1));
        assert_eq!((sybil.precision, sybil.recall), (Some(0.5), Some(0.5)));
        assert_eq!(sybil.false_positives_per_100, 25.0, "1 of 4 honest miners");
        let copy = s.iter().find(|x| x.pattern == "copycat").unwrap();
        assert_eq!((copy.precision, copy.recall), (Some(1.0), Some(1.0)));
        let whale = s.iter().find(|x| x.pattern == "whale-compression").unwrap();
        assert_eq!((whale.precision, whale.recall), (None, None));
    }
}
