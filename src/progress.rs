//! Progress bars for long work: on stderr, hidden when asked to be quiet (indicatif also hides
//! them when stderr is not a terminal), one look for every command.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` units named `unit`, prefixed with `prefix`.
pub fn bar(quiet: bool, len: u64, unit: &str, prefix: String) -> ProgressBar {
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(len) };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{prefix}} [{{bar:40}}] {{pos}}/{{len}} {unit}, {{elapsed}} elapsed, ETA {{eta}}"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix);
    bar
}
