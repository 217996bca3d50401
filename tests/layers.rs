//! The layer order of ARCHITECTURE.md, held: a module may use only its own layer and those
//! below. This test reads `src/` and fails on an upward import, naming file and line.

use std::path::{Path, PathBuf};

/// Top-level module → layer, lowest first (ARCHITECTURE.md).
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("notes", 0),
    ("progress", 0),
    ("stats", 0),
    ("time", 0),
    ("ledger", 1),
    ("policy", 2),
    ("population", 3),
    ("replay", 4),
    ("metrics", 5),
    ("detect", 5),
    ("report", 6),
    ("experiment", 7),
    ("cli", 8),
    ("app", 8),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level modules a line of code refers to through `crate::`.
fn referenced(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.push(name);
        }
    }
    out
}

/// (file, line number, from, to) of every upward reference in `src/`.
fn upward(src: &Path) -> Vec<(String, usize, String, String)> {
    let mut all = Vec::new();
    files(src, &mut all);
    all.sort();
    let mut bad = Vec::new();
    for f in all {
        let rel = f.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
        let top = rel.split(['/', '.']).next().unwrap().to_string();
        // main.rs and lib.rs sit above everything; testutil is a test-only helper.
        let Some(own) = layer(&top) else { continue };
        let text = std::fs::read_to_string(&f).unwrap();
        // Unit tests may reach anywhere: only the module's own code is checked.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap();
            for m in referenced(line) {
                let Some(l) = layer(&m) else { continue };
                if l > own {
                    bad.push((rel.clone(), n + 1, top.clone(), m));
                }
            }
        }
    }
    bad
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = upward(&src);
    let lines: Vec<String> = bad
        .iter()
        .map(|(f, n, from, to)| {
            format!("src/{f}:{n}: {from} (layer {:?}) uses {to} (layer {:?})", layer(from), layer(to))
        })
        .collect();
    assert!(lines.is_empty(), "upward imports:\n{}", lines.join("\n"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for line in lib.lines().filter(|l| l.starts_with("pub mod ")) {
        let m = line.trim_start_matches("pub mod ").trim_end_matches(';');
        assert!(layer(m).is_some(), "module {m} is in no layer: add it to ARCHITECTURE.md and this test");
    }
}

#[test]
fn the_checker_sees_an_upward_import() {
    // The test must be able to fail: a planted upward reference is found, grouped or not.
    assert_eq!(referenced("use crate::{report::x, ledger::Status};"), ["report", "ledger"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policy")).unwrap();
    std::fs::write(dir.path().join("policy/x.rs"), "use crate::replay::engine::Engine; // upward\n").unwrap();
    std::fs::write(dir.path().join("ledger.rs"), "use crate::time::MS_PER_DAY;\n").unwrap();
    let bad = upward(dir.path());
    assert_eq!(bad, vec![("policy/x.rs".to_string(), 1, "policy".to_string(), "replay".to_string())]);
}

#[test]
fn the_module_tree_shows_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for gone in ["replay/montecarlo.rs", "replay/scenario.rs", "replay/run.rs", "attack", "sweep"] {
        assert!(!src.join(gone).exists(), "src/{gone} belongs to the experiment layer");
    }
    for here in ["experiment/scenario.rs", "experiment/montecarlo.rs", "experiment/folder.rs", "stats.rs"] {
        assert!(src.join(here).exists(), "src/{here} missing");
    }
}
