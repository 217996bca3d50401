//! `dustlab report DIR`: rebuild a run's report from its tables.

use crate::cli::ReportArgs;
use crate::report::{ReportOptions, build};
use crate::time::parse_time;

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let opts = ReportOptions { day: args.day.as_deref().map(parse_time).transpose()?, policies: args.policies.clone() };
    let t = std::time::Instant::now();
    let w = build(&args.dir, &opts)?;
    eprintln!(
        "wrote {} files into {} (report.html, report.md, summary.json, charts/) in {:.2} s; baseline {}",
        w.files.len(),
        args.dir.display(),
        t.elapsed().as_secs_f64(),
        w.summary.baseline
    );
    Ok(())
}
