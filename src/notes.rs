//! Data notes: every warning and every fallback a run takes (a pool or price defaulted, a
//! bucket taken from checkpoints, items `--lenient` left out). They are printed, counted in
//! `run.json` and listed in the report's "Data notes", so nothing a run assumed is silent.

use serde::{Deserialize, Serialize};

/// How many examples a note keeps (the count is always exact).
const EXAMPLES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// A stable key (`bucket_fallback`, `price_default`, `lenient_dropped`, …).
    pub kind: String,
    /// How many items (hotkeys, steps, checkpoints) the note covers.
    pub count: usize,
    pub message: String,
    /// The first few items, for a reader to look up.
    #[serde(default)]
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Notes(pub Vec<Note>);

impl Notes {
    /// Adds a note unless `count` is 0; examples beyond the first few are dropped.
    pub fn add(&mut self, kind: &str, count: usize, message: impl Into<String>, examples: Vec<String>) {
        if count == 0 {
            return;
        }
        self.0.push(Note {
            kind: kind.to_string(),
            count,
            message: message.into(),
            examples: examples.into_iter().take(EXAMPLES).collect(),
        });
    }

    pub fn extend(&mut self, other: Notes) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One `warning:` line per note on stderr.
    pub fn print(&self) {
        for n in &self.0 {
            eprintln!("warning: {}", n.line());
        }
    }
}

impl Note {
    /// The note as one line: message, count, examples.
    pub fn line(&self) -> String {
        let more = if self.count > self.examples.len() { ", …" } else { "" };
        if self.examples.is_empty() {
            format!("{} ({})", self.message, self.count)
        } else {
            format!("{} ({}: {}{more})", self.message, self.count, self.examples.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_counts_are_not_notes_and_examples_are_capped() {
        let mut n = Notes::default();
        n.add("x", 0, "nothing", vec![]);
        assert!(n.is_empty());
        n.add("y", 12, "twelve", (0..12).map(|i| i.to_string()).collect());
        assert_eq!(n.0[0].examples.len(), 10);
        assert_eq!(n.0[0].line(), "twelve (12: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …)");
    }
}
