//! The run folder: a run writes into a fresh temporary folder beside its target and, only
//! when everything succeeded, puts it in the target's place as a whole. A failed or
//! interrupted run leaves the previous folder exactly as it was; two runs racing for one
//! folder never mix (each rename moves a whole folder, so one wins whole).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;

use super::scenario::check_name;
use crate::error::InputError;

/// Where a run writes: `--out`, else `reports/<name>` (the name one safe path component).
pub fn target(out: Option<&Path>, name: &str) -> Result<PathBuf, InputError> {
    match out {
        Some(p) => Ok(p.to_path_buf()),
        None => {
            check_name(name).map_err(InputError::Usage)?;
            Ok(PathBuf::from("reports").join(name))
        }
    }
}

/// Refuses an input that lies inside the output folder: the run replaces that folder whole,
/// so the input would vanish with it (and a reader of the folder would take it for output).
pub fn refuse_inputs_inside<'a>(
    target: &Path,
    inputs: impl IntoIterator<Item = &'a PathBuf>,
) -> Result<(), InputError> {
    let Ok(out) = target.canonicalize() else { return Ok(()) };
    for input in inputs {
        if let Ok(p) = input.canonicalize()
            && p.starts_with(&out)
        {
            return Err(InputError::Usage(format!(
                "input {} is inside the output folder {}, which the run replaces whole: move the input out or choose another --out",
                input.display(),
                target.display()
            )));
        }
    }
    Ok(())
}

/// A run folder being written.
#[derive(Debug)]
pub struct RunFolder {
    target: PathBuf,
    temp: PathBuf,
    files: Vec<String>,
    committed: bool,
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

impl RunFolder {
    /// Creates the temporary folder beside `target` (and `target`'s parents). Fails at once,
    /// before any work, when the target cannot be a folder or its parent is not writable.
    pub fn begin(target: &Path) -> anyhow::Result<RunFolder> {
        if target.exists() && !target.is_dir() {
            anyhow::bail!("output {}: exists and is not a folder", target.display());
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n != ".." && n != ".")
            .ok_or_else(|| InputError::Usage(format!("output {}: names no folder", target.display())))?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("output {}: cannot create its parent folder", target.display()))?;
        let temp = parent.join(format!(".{name}.partial-{}", unique_suffix()));
        std::fs::create_dir(&temp)
            .with_context(|| format!("output {}: cannot create a folder in {}", target.display(), parent.display()))?;
        Ok(RunFolder { target: target.to_path_buf(), temp, files: Vec::new(), committed: false })
    }

    /// The folder being written (not the target).
    pub fn dir(&self) -> &Path {
        &self.temp
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The path to write `name` (relative, `/`-separated) at, recorded as a file of the run.
    pub fn file(&mut self, name: &str) -> PathBuf {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
        self.temp.join(name)
    }

    /// Records a file written by someone else (the report) as a file of the run.
    pub fn record(&mut self, name: &str) {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
    }

    /// Records every file now in the folder (sorted), for stages that write files themselves.
    pub fn record_tree(&mut self) -> anyhow::Result<()> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
            let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let p = e.path();
                if p.is_dir() {
                    walk(root, &p, out)?;
                } else if let Ok(rel) = p.strip_prefix(root) {
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
            Ok(())
        }
        let mut found = Vec::new();
        walk(&self.temp, &self.temp, &mut found).with_context(|| format!("cannot list {}", self.temp.display()))?;
        for f in found {
            self.record(&f);
        }
        Ok(())
    }

    /// Every file of the run so far, in the order first written.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Puts the finished folder in the target's place. The old folder, if any, is moved aside
    /// first and deleted after; if another run takes the place in between, this one retries,
    /// so the target is always one run's folder, whole.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        let parent = self.temp.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let name = self.target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut old = Vec::new();
        let mut tries = 0;
        loop {
            match std::fs::rename(&self.temp, &self.target) {
                Ok(()) => break,
                Err(e) if tries < 100 && self.target.is_dir() => {
                    tries += 1;
                    let aside = parent.join(format!(".{name}.old-{}-{tries}", unique_suffix()));
                    match std::fs::rename(&self.target, &aside) {
                        Ok(()) => old.push(aside),
                        Err(e2) if e2.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e2) => {
                            return Err(e2)
                                .with_context(|| format!("output {}: cannot replace it ({e})", self.target.display()));
                        }
                    }
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("output {}: cannot move the finished run into place", self.target.display())
                    });
                }
            }
        }
        self.committed = true;
        for o in old {
            // The new run is in place; a leftover old folder is only clutter, but say so.
            if let Err(e) = std::fs::remove_dir_all(&o) {
                eprintln!("warning: could not delete the previous run folder {}: {e}", o.display());
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for RunFolder {
    /// A run that did not commit leaves nothing behind.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_one_safe_component() {
        for bad in ["../../x", "/tmp/x", "", ".", "..", ".hidden", "a/b", "a\\b", "x\0y", "é"] {
            assert!(target(None, bad).is_err(), "{bad:?}");
        }
        assert_eq!(target(None, "default").unwrap(), PathBuf::from("reports/default"));
        assert_eq!(target(Some(Path::new("/tmp/o")), "../x").unwrap(), PathBuf::from("/tmp/o"));
    }

    #[test]
    fn commit_replaces_whole_and_drop_leaves_the_old_folder() {
        let root = tempfile::tempdir().unwrap();
        let t = root.path().join("run");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join("old.txt"), "old").unwrap();
        {
            let mut f = RunFolder::begin(&t).unwrap();
            std::fs::write(f.file("new.txt"), "new").unwrap();
            // dropped without commit: the old folder stays as it was, no temp left
        }
        assert!(t.join("old.txt").exists() && !t.join("new.txt").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
        let mut f = RunFolder::begin(&t).unwrap();
        std::fs::write(f.file("new.txt"), "new").unwrap();
        assert_eq!(f.files(), ["new.txt"]);
        f.commit().unwrap();
        assert!(!t.join("old.txt").exists() && t.join("new.txt").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "no temp or old folder left");
    }

    #[test]
    fn a_regular_file_is_no_target() {
        let root = tempfile::tempdir().unwrap();
        let f = root.path().join("file");
        std::fs::write(&f, "x").unwrap();
        assert!(RunFolder::begin(&f).is_err());
    }
}
