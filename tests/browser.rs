//! The report as a reader sees it: rendered by headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs when missing) to PDF and PNG. Checked: the verdict table is on page 1,
//! every chart has a non-empty drawn area, nothing is wider than the page. The shipped report
//! has no script; the checks run from a script injected into a copy.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let o = Command::new("which").arg(name).output().ok()?;
        o.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    })
}

fn headless(bin: &Path, profile: &Path, args: &[String]) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

const CHECK: &str = r#"<script>
window.addEventListener('load', () => {
  const out = [];
  const w = window.innerWidth;
  if (document.documentElement.scrollWidth > w + 1) out.push('wider than the page: ' + document.documentElement.scrollWidth + ' > ' + w);
  for (const el of document.querySelectorAll('table, figure, pre')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1) out.push('overflows: ' + el.tagName + ' ' + (el.id || el.className) + ' right ' + r.right);
  }
  const svgs = document.querySelectorAll('figure svg');
  for (const s of svgs) {
    const r = s.getBoundingClientRect();
    const drawn = s.querySelectorAll('path, polyline, polygon, rect, circle, line').length;
    if (r.width < 50 || r.height < 50 || drawn < 10) out.push('empty chart: ' + s.parentElement.id + ' ' + r.width + 'x' + r.height + ' ' + drawn);
  }
  document.body.setAttribute('data-check', out.length ? out.join(' | ') : 'OK ' + svgs.length + ' charts');
});
</script>"#;

fn check_report(dir: &Path, bin: &Path) {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // Self-contained: no script, and no URL but SVG's namespace name (which is never fetched).
    let fetched = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !html.contains("<script") && !fetched.contains("http://") && !fetched.contains("https://"),
        "self-contained"
    );
    let probe = dir.join("probe.html");
    std::fs::write(&probe, html.replace("</body>", &format!("{CHECK}</body>"))).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let o = headless(
        bin,
        profile.path(),
        &["--window-size=1280,1600".into(), "--dump-dom".into(), format!("file://{}", probe.display())],
    );
    let dom = String::from_utf8_lossy(&o.stdout);
    let check = dom.split("data-check=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("no result");
    assert!(check.starts_with("OK "), "{}: {check}", dir.display());
    let pdf = dir.join("report.pdf");
    let png = dir.join("report.png");
    let url = format!("file://{}", dir.join("report.html").display());
    headless(
        bin,
        profile.path(),
        &["--no-pdf-header-footer".into(), format!("--print-to-pdf={}", pdf.display()), url.clone()],
    );
    headless(bin, profile.path(), &["--window-size=1280,1600".into(), format!("--screenshot={}", png.display()), url]);
    assert!(std::fs::metadata(&pdf).map(|m| m.len() > 10_000).unwrap_or(false), "PDF printed");
    assert!(std::fs::metadata(&png).map(|m| m.len() > 10_000).unwrap_or(false), "PNG taken");
    // Page 1 of the print holds the verdict table (pdftotext from poppler-utils).
    match Command::new("pdftotext").args(["-f", "1", "-l", "1"]).arg(&pdf).arg("-").output() {
        Ok(t) if t.status.success() => {
            let page1 = String::from_utf8_lossy(&t.stdout);
            assert!(page1.contains("Verdict") && page1.contains("candidate"), "page 1: {page1}");
        }
        _ => eprintln!("pdftotext missing: page-1 check skipped (install poppler-utils)"),
    }
}

#[test]
fn reports_render_in_a_real_browser() {
    let Some(bin) = chromium() else {
        eprintln!("SKIPPED: no chromium on this machine (.ci/run installs Debian's chromium when it can)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("default");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let o = dustlab(&["replay", scenario.to_str().unwrap(), "--out", default.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_report(&default, &bin);
    // A Monte Carlo run with adversaries.
    let text = format!(
        "name = \"mc\"\nruns = 3\n[data]\nledgers = {:?}\n[clock]\nstart = \"2025-12-01\"\nend = \"2026-01-20\"\n[[adversary]]\nstrategy = \"sybil-split\"\nk = 3\n[[adversary]]\nstrategy = \"volatility-lottery\"\n[[policy]]\npreset = \"ptn-dynamic\"\nname = \"production\"\n[[policy]]\npreset = \"ptn-dynamic\"\nname = \"short\"\nlookback_days = 7\n",
        sample().display().to_string()
    );
    let s = write(dir.path(), "mc.toml", text.as_bytes());
    let mc = dir.path().join("mc");
    let o = dustlab(&["replay", s.to_str().unwrap(), "--out", mc.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    check_report(&mc, &bin);
}
