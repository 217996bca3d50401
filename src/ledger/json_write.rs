//! Writer for the validator's own file layout, byte-compatible with Python's `json.dumps`
//! defaults (", " and ": " separators, `repr` floats, `NaN`/`Infinity` tokens), so a file
//! dustlab writes is one the validator's loader reads and a person can diff against.

use std::fmt::Write;

use super::model::{Checkpoint, LedgerSet};

/// Formats a float the way Python's `repr` does: shortest round-trip digits, fixed notation
/// for exponents in [-4, 16), scientific with a two-digit signed exponent otherwise.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let sci = format!("{x:e}"); // e.g. "-1.2345e-5", shortest round-trip digits
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        if exp < 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else if exp + 1 >= n {
            format!("{sign}{digits}{}.0", "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let m = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

fn py_str(out: &mut String, s: &str) {
    // Python's json.dumps escapes non-ASCII by default (ensure_ascii=True).
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }
    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        py_str(self.out, k);
        self.out.push_str(": ");
        self.out
    }
    fn num(&mut self, k: &str, v: f64) {
        let s = py_float(v);
        self.key(k).push_str(&s);
    }
    fn int(&mut self, k: &str, v: i64) {
        let _ = write!(self.key(k), "{v}");
    }
    fn close(self) {
        self.out.push('}');
    }
}

/// Python's `datetime.isoformat()` of an aware UTC datetime, as the validator stores it.
fn iso_utc(ms: i64) -> String {
    let base = crate::time::format_ms(ms - ms.rem_euclid(1000));
    let base = base.trim_end_matches('Z');
    let micros = ms.rem_euclid(1000) * 1000;
    if micros == 0 { format!("{base}+00:00") } else { format!("{base}.{micros:06}+00:00") }
}

fn write_checkpoint(out: &mut String, cp: &Checkpoint) {
    let mut o = Obj::open(out);
    o.int("timestamp_ms", cp.timestamp_ms);
    let iso = iso_utc(cp.timestamp_ms);
    py_str(o.key("timestamp_utc"), &iso);
    {
        let mut e = Obj::open(o.key("emissions"));
        e.num("chunk_alpha", cp.chunk_emissions_alpha);
        e.num("chunk_tao", cp.chunk_emissions_tao);
        e.num("chunk_usd", cp.chunk_emissions_usd);
        e.num("avg_alpha_to_tao_rate", cp.avg_alpha_to_tao_rate);
        e.num("avg_tao_to_usd_rate", cp.avg_tao_to_usd_rate);
        e.num("tao_balance_snapshot", cp.tao_balance_snapshot);
        e.num("alpha_balance_snapshot", cp.alpha_balance_snapshot);
        e.close();
    }
    {
        let mut p = Obj::open(o.key("performance"));
        p.num("portfolio_return", cp.portfolio_return);
        for (k, v) in [
            ("pnl_gain", cp.pnl_gain),
            ("pnl_loss", cp.pnl_loss),
            ("realized_pnl", cp.realized_pnl),
            ("unrealized_pnl", cp.unrealized_pnl),
        ] {
            if let Some(v) = v {
                p.num(k, v);
            }
        }
        p.num("net_pnl", cp.net_pnl());
        p.num("spread_fee_loss", cp.spread_fee_loss);
        p.num("carry_fee_loss", cp.carry_fee_loss);
        p.num("total_fees", cp.total_fees());
        if let Some(v) = cp.cumulative_fees_usd {
            p.num("cumulative_fees_usd", v);
        }
        p.num("max_drawdown", cp.max_drawdown);
        p.num("max_portfolio_value", cp.max_portfolio_value);
        p.int("open_ms", cp.open_ms);
        p.int("accum_ms", cp.accum_ms);
        p.int("n_updates", cp.n_updates);
        p.close();
    }
    {
        let mut p = Obj::open(o.key("penalties"));
        p.num("drawdown", cp.drawdown_penalty);
        p.num("risk_profile", cp.risk_profile_penalty);
        p.num("min_collateral", cp.min_collateral_penalty);
        p.num("risk_adjusted_performance", cp.risk_adjusted_performance_penalty);
        p.num("cumulative", cp.total_penalty);
        py_str(p.key("challenge_period_status"), cp.status.as_str());
        p.close();
    }
    {
        let mut d = Obj::open(o.key("derived"));
        d.num("return_after_fees", cp.portfolio_return);
        d.num("weighted_score", cp.portfolio_return * cp.total_penalty);
        d.close();
    }
    o.close();
}

/// Serialises a ledger set in the validator's structured layout.
pub fn to_json(set: &LedgerSet) -> String {
    let mut out = String::with_capacity(set.checkpoint_count() * 900 + 256);
    let mut top = Obj::open(&mut out);
    let version = set.format_version.clone().unwrap_or_else(|| "1.0".into());
    py_str(top.key("format_version"), &version);
    // Deterministic: never the wall clock. Without a stored value, the newest checkpoint.
    let last = set.last_update_ms.unwrap_or_else(|| {
        set.ledgers.iter().filter_map(|l| l.checkpoints.last()).map(|c| c.timestamp_ms).max().unwrap_or(0)
    });
    top.int("last_update_ms", last);
    {
        let mut ledgers = Obj::open(top.key("ledgers"));
        for l in &set.ledgers {
            let mut lo = Obj::open(ledgers.key(&l.key));
            py_str(lo.key("hotkey"), &l.hotkey);
            lo.int("total_checkpoints", l.checkpoints.len() as i64);
            {
                let mut s = Obj::open(lo.key("summary"));
                if let Some(latest) = l.checkpoints.last() {
                    let sum = |f: fn(&Checkpoint) -> f64| l.checkpoints.iter().map(f).sum::<f64>();
                    s.num("cumulative_emissions_alpha", sum(|c| c.chunk_emissions_alpha));
                    s.num("cumulative_emissions_tao", sum(|c| c.chunk_emissions_tao));
                    s.num("cumulative_emissions_usd", sum(|c| c.chunk_emissions_usd));
                    s.num("portfolio_return", latest.portfolio_return);
                    s.num("weighted_score", latest.portfolio_return * latest.total_penalty);
                    s.num("net_pnl", latest.net_pnl());
                    s.num("total_fees", latest.total_fees());
                }
                s.close();
            }
            lo.key("checkpoints").push('[');
            for (i, cp) in l.checkpoints.iter().enumerate() {
                if i > 0 {
                    lo.out.push_str(", ");
                }
                write_checkpoint(lo.out, cp);
            }
            lo.out.push(']');
            lo.close();
        }
        ledgers.close();
    }
    top.close();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_python_repr() {
        for (x, py) in [
            (1.0, "1.0"),
            (1.5e-05, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456.789, "123456.789"),
            (-4.0, "-4.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e16, "1.2345678901234568e+16"),
            (999999999999999.9, "999999999999999.9"),
            (0.1 + 0.2, "0.30000000000000004"),
            (4.5e-05, "4.5e-05"),
            (1.4999999999999999e-05, "1.4999999999999999e-05"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(py_float(x), py, "{x:e}");
        }
    }

    #[test]
    fn iso_matches_python_isoformat() {
        assert_eq!(iso_utc(1_761_955_200_000), "2025-11-01T00:00:00+00:00");
        assert_eq!(iso_utc(1_761_955_200_500), "2025-11-01T00:00:00.500000+00:00");
    }
}
