//! Reader for the validator's own ledger file: `{"format_version", "last_update_ms",
//! "ledgers": {hotkey: ledger}}` or a bare `{hotkey: ledger}` map, checkpoints in the
//! structured (`emissions`/`performance`/`penalties`) or the flat form.
//!
//! The files are written by Python's `json`, which emits bare `NaN`, `Infinity` and
//! `-Infinity`. serde_json rejects those, so a string-aware pre-pass quotes them (only when
//! the bytes contain one) and the number visitor turns the quoted tokens back into floats;
//! validation then reports them as invalid values.
//!
//! Deserialisation is hand-written on serde's visitor API so that keys dispatch without
//! allocating, file order is kept, duplicate hotkeys are seen, and every error names the
//! hotkey, checkpoint index, timestamp and field it happened in.

use std::fmt;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::model::{Checkpoint, Ledger, LedgerSet, Status};

/// Parses decompressed JSON bytes into a ledger set. Errors are plain messages; the caller
/// prefixes the file name.
pub fn parse_json(bytes: &[u8]) -> Result<LedgerSet, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("the file is empty".into());
    }
    let bytes = &*strict_json(bytes);
    // Phase 1 skims the document, keeping each ledger as raw text; phase 2 parses the
    // ledgers in parallel. Skimming validates the JSON syntax, so errors keep their place.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = TopSeed.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| format!("trailing data after the JSON document: {e}"))?;
    let ledgers = top
        .ledgers
        .par_iter()
        .map(|(key, raw)| {
            let mut de = serde_json::Deserializer::from_str(raw.get());
            LedgerSeed { key }.deserialize(&mut de).map_err(|e| {
                // Positions inside the ledger are relative to it: report the absolute line.
                let offset = raw.get().as_ptr() as usize - bytes.as_ptr() as usize;
                let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + e.line();
                let msg = e.to_string();
                let msg = msg.rsplit_once(" at line ").map(|(m, _)| m.to_string()).unwrap_or(msg);
                format!("hotkey {key}: {msg} (at line {line} of the document)")
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(LedgerSet { format_version: top.format_version, last_update_ms: top.last_update_ms, ledgers })
}

/// One ledger's JSON text parsed on its own (the streaming reader's unit of work). Errors
/// only tell the caller to take the whole-document path, which words them. Like that path,
/// which reads each ledger as a `str`, it holds every byte to UTF-8 (the parse itself would
/// not check the strings it ignores).
pub(crate) fn parse_ledger(key: &str, text: &[u8]) -> Option<Ledger> {
    if !text.is_ascii() {
        std::str::from_utf8(text).ok()?;
    }
    super::json_fast::ledger(key, text).or_else(|| parse_ledger_serde(key, text))
}

/// [`parse_ledger`] through serde alone: what the hand-written reader answers, when it does.
pub(super) fn parse_ledger_serde(key: &str, text: &[u8]) -> Option<Ledger> {
    let text = strict_json(text);
    let mut de = serde_json::Deserializer::from_slice(&text);
    let ledger = LedgerSeed { key }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(ledger)
}

/// The document's outline, with every ledger written as `0`: its format version, last update
/// and ledger keys in file order (`None` when the outline is not what the streaming reader
/// expects).
pub(crate) fn parse_outline(text: &[u8]) -> Option<(Option<String>, Option<i64>, Vec<String>)> {
    let text = strict_json(text);
    let mut de = serde_json::Deserializer::from_slice(&text);
    let top = TopSeed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let keys = top.ledgers.into_iter().map(|(k, raw)| (raw.get() == "0").then_some(k)).collect::<Option<Vec<_>>>()?;
    Some((top.format_version, top.last_update_ms, keys))
}

/// The document with its ledgers still raw.
struct Top<'a> {
    format_version: Option<String>,
    last_update_ms: Option<i64>,
    ledgers: Vec<(String, &'a RawValue)>,
}

/// Python's JSON as strict JSON: bare `NaN`/`Infinity`/`-Infinity` become the strings
/// `"NaN"`, `"Infinity"`, `"-Infinity"` (other readers, the metagraph's, take them from there).
pub fn strict_json(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if has_non_finite_tokens(bytes) {
        std::borrow::Cow::Owned(quote_non_finite(bytes))
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

fn has_non_finite_tokens(bytes: &[u8]) -> bool {
    // A cheap superset test: a hotkey string may contain "NaN"; quote_non_finite is exact.
    memchr::memmem::find(bytes, b"NaN").is_some() || memchr::memmem::find(bytes, b"Infinity").is_some()
}

/// Rewrites bare NaN / Infinity / -Infinity tokens (outside strings) as JSON strings.
fn quote_non_finite(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1024);
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        let token: Option<&[u8]> = if rest.starts_with(b"NaN") {
            Some(b"NaN")
        } else if rest.starts_with(b"-Infinity") {
            Some(b"-Infinity")
        } else if rest.starts_with(b"Infinity") {
            Some(b"Infinity")
        } else {
            None
        };
        match token {
            Some(t) => {
                out.push(b'"');
                out.extend_from_slice(t);
                out.push(b'"');
                i += t.len();
            }
            None => {
                if b == b'"' {
                    in_string = true;
                }
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Top level

struct TopSeed;

impl<'de> DeserializeSeed<'de> for TopSeed {
    type Value = Top<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top<'de>, D::Error> {
        d.deserialize_map(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object: the validator's ledger file or a {hotkey: ledger} map")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let mut set = Top { format_version: None, last_update_ms: None, ledgers: Vec::new() };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format_version" => {
                    let v: serde_json::Value = map.next_value()?;
                    set.format_version = Some(match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    });
                }
                "last_update_ms" => {
                    let v = map.next_value_seed(NumSeed)?;
                    set.last_update_ms = v.map(|x| x as i64);
                }
                "ledgers" => {
                    let ledgers = map.next_value_seed(LedgerMapSeed)?;
                    set.ledgers.extend(ledgers);
                }
                _ => {
                    // Bare {hotkey: ledger} layout.
                    let raw: &'de RawValue = map.next_value()?;
                    set.ledgers.push((key, raw));
                }
            }
        }
        Ok(set)
    }
}

struct LedgerMapSeed;

impl<'de> DeserializeSeed<'de> for LedgerMapSeed {
    type Value = Vec<(String, &'de RawValue)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(LedgerMapVisitor)
    }
}

struct LedgerMapVisitor;

impl<'de> Visitor<'de> for LedgerMapVisitor {
    type Value = Vec<(String, &'de RawValue)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object mapping hotkeys to ledgers under \"ledgers\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(256));
        while let Some(key) = map.next_key::<String>()? {
            let raw: &'de RawValue = map.next_value()?;
            out.push((key, raw));
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// One ledger

struct LedgerSeed<'k> {
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for LedgerSeed<'_> {
    type Value = Ledger;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Ledger, D::Error> {
        d.deserialize_any(LedgerVisitor { key: self.key })
    }
}

struct LedgerVisitor<'k> {
    key: &'k str,
}

impl<'de> Visitor<'de> for LedgerVisitor<'_> {
    type Value = Ledger;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a ledger object {\"hotkey\", \"checkpoints\": [...]} or a list of checkpoints")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Ledger, A::Error> {
        Ok(Ledger {
            key: self.key.to_string(),
            hotkey: self.key.to_string(),
            checkpoints: CheckpointsVisitor.visit_seq(seq)?,
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ledger, A::Error> {
        let mut hotkey = None;
        let mut checkpoints = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "hotkey" => {
                    let v: serde_json::Value = map.next_value()?;
                    match v {
                        serde_json::Value::String(s) => hotkey = Some(s),
                        other => {
                            return Err(de::Error::custom(format!("field `hotkey`: expected a string, found {other}")));
                        }
                    }
                }
                "checkpoints" => checkpoints = map.next_value_seed(CheckpointsSeed)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Ledger { key: self.key.to_string(), hotkey: hotkey.unwrap_or_else(|| self.key.to_string()), checkpoints })
    }
}

struct CheckpointsSeed;

impl<'de> DeserializeSeed<'de> for CheckpointsSeed {
    type Value = Vec<Checkpoint>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Checkpoint>, D::Error> {
        d.deserialize_seq(CheckpointsVisitor)
    }
}

struct CheckpointsVisitor;

impl<'de> Visitor<'de> for CheckpointsVisitor {
    type Value = Vec<Checkpoint>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of checkpoints")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Checkpoint>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(64));
        loop {
            let index = out.len();
            match seq.next_element_seed(CheckpointSeed { index }) {
                Ok(Some(cp)) => out.push(cp),
                Ok(None) => break,
                Err(e) => {
                    // Name the previous checkpoint's timestamp when this one's is unknown.
                    let msg = e.to_string();
                    if msg.starts_with("checkpoint ") {
                        return Err(e);
                    }
                    return Err(de::Error::custom(format!("checkpoint {index}: {msg}")));
                }
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// One checkpoint

/// Which object a key was found in: the flat checkpoint itself or one of its sections.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Section {
    Top,
    Emissions,
    Performance,
    Penalties,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Field {
    Timestamp,
    Alpha,
    Tao,
    Usd,
    AlphaTaoRate,
    TaoUsdRate,
    TaoBalance,
    AlphaBalance,
    PortfolioReturn,
    PnlGain,
    PnlLoss,
    Realized,
    Unrealized,
    NetPnl,
    SpreadFee,
    CarryFee,
    CumulativeFees,
    MaxDrawdown,
    MaxPortfolioValue,
    OpenMs,
    AccumMs,
    NUpdates,
    DrawdownPenalty,
    RiskProfilePenalty,
    MinCollateralPenalty,
    RapPenalty,
    TotalPenalty,
    Status,
    SectionEmissions,
    SectionPerformance,
    SectionPenalties,
    Ignored,
}

impl Field {
    pub(super) fn lookup(section: Section, key: &[u8]) -> Field {
        use Field::*;
        match (section, key) {
            (Section::Top, b"timestamp_ms") => Timestamp,
            (Section::Top, b"emissions") => SectionEmissions,
            (Section::Top, b"performance") => SectionPerformance,
            (Section::Top, b"penalties") => SectionPenalties,
            (Section::Top, b"chunk_emissions_alpha") | (Section::Emissions, b"chunk_alpha") => Alpha,
            (Section::Top, b"chunk_emissions_tao") | (Section::Emissions, b"chunk_tao") => Tao,
            (Section::Top, b"chunk_emissions_usd") | (Section::Emissions, b"chunk_usd") => Usd,
            (Section::Top | Section::Emissions, b"avg_alpha_to_tao_rate") => AlphaTaoRate,
            (Section::Top | Section::Emissions, b"avg_tao_to_usd_rate") => TaoUsdRate,
            (Section::Top | Section::Emissions, b"tao_balance_snapshot") => TaoBalance,
            (Section::Top | Section::Emissions, b"alpha_balance_snapshot") => AlphaBalance,
            (Section::Top | Section::Performance, b"portfolio_return") => PortfolioReturn,
            (Section::Top | Section::Performance, b"pnl_gain") => PnlGain,
            (Section::Top | Section::Performance, b"pnl_loss") => PnlLoss,
            (Section::Top | Section::Performance, b"realized_pnl") => Realized,
            (Section::Top | Section::Performance, b"unrealized_pnl") => Unrealized,
            (Section::Top | Section::Performance, b"net_pnl") => NetPnl,
            (Section::Top | Section::Performance, b"spread_fee_loss") => SpreadFee,
            (Section::Top | Section::Performance, b"carry_fee_loss") => CarryFee,
            (Section::Top | Section::Performance, b"cumulative_fees_usd") => CumulativeFees,
            (Section::Top | Section::Performance, b"max_drawdown") => MaxDrawdown,
            (Section::Top | Section::Performance, b"max_portfolio_value") => MaxPortfolioValue,
            (Section::Top | Section::Performance, b"open_ms") => OpenMs,
            (Section::Top | Section::Performance, b"accum_ms") => AccumMs,
            (Section::Top | Section::Performance, b"n_updates") => NUpdates,
            (Section::Top, b"drawdown_penalty") | (Section::Penalties, b"drawdown") => DrawdownPenalty,
            (Section::Top, b"risk_profile_penalty") | (Section::Penalties, b"risk_profile") => RiskProfilePenalty,
            (Section::Top, b"min_collateral_penalty") | (Section::Penalties, b"min_collateral") => MinCollateralPenalty,
            (Section::Top, b"risk_adjusted_performance_penalty")
            | (Section::Penalties, b"risk_adjusted_performance") => RapPenalty,
            (Section::Top, b"total_penalty") | (Section::Penalties, b"cumulative") => TotalPenalty,
            (Section::Top | Section::Penalties, b"challenge_period_status") => Status,
            _ => Ignored,
        }
    }

    /// The flat name, used in error messages whatever form the file used.
    fn name(self) -> &'static str {
        use Field::*;
        match self {
            Timestamp => "timestamp_ms",
            Alpha => "chunk_emissions_alpha",
            Tao => "chunk_emissions_tao",
            Usd => "chunk_emissions_usd",
            AlphaTaoRate => "avg_alpha_to_tao_rate",
            TaoUsdRate => "avg_tao_to_usd_rate",
            TaoBalance => "tao_balance_snapshot",
            AlphaBalance => "alpha_balance_snapshot",
            PortfolioReturn => "portfolio_return",
            PnlGain => "pnl_gain",
            PnlLoss => "pnl_loss",
            Realized => "realized_pnl",
            Unrealized => "unrealized_pnl",
            NetPnl => "net_pnl",
            SpreadFee => "spread_fee_loss",
            CarryFee => "carry_fee_loss",
            CumulativeFees => "cumulative_fees_usd",
            MaxDrawdown => "max_drawdown",
            MaxPortfolioValue => "max_portfolio_value",
            OpenMs => "open_ms",
            AccumMs => "accum_ms",
            NUpdates => "n_updates",
            DrawdownPenalty => "drawdown_penalty",
            RiskProfilePenalty => "risk_profile_penalty",
            MinCollateralPenalty => "min_collateral_penalty",
            RapPenalty => "risk_adjusted_performance_penalty",
            TotalPenalty => "total_penalty",
            Status => "challenge_period_status",
            SectionEmissions => "emissions",
            SectionPerformance => "performance",
            SectionPenalties => "penalties",
            Ignored => "(ignored)",
        }
    }
}

struct KeySeed(Section);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Field;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_str(KeyVisitor(self.0))
    }
}

struct KeyVisitor(Section);

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Field;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        Ok(Field::lookup(self.0, v.as_bytes()))
    }
}

struct CheckpointSeed {
    index: usize,
}

impl<'de> DeserializeSeed<'de> for CheckpointSeed {
    type Value = Checkpoint;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Checkpoint, D::Error> {
        d.deserialize_map(CheckpointVisitor { index: self.index })
    }
}

struct CheckpointVisitor {
    index: usize,
}

/// Fills a checkpoint from one object (the checkpoint or one of its sections).
fn fill<'de, A: MapAccess<'de>>(
    cp: &mut Checkpoint,
    seen_ts: &mut bool,
    section: Section,
    map: &mut A,
) -> Result<(), A::Error> {
    while let Some(field) = map.next_key_seed(KeySeed(section))? {
        let section_of = match field {
            Field::SectionEmissions => Some(Section::Emissions),
            Field::SectionPerformance => Some(Section::Performance),
            Field::SectionPenalties => Some(Section::Penalties),
            _ => None,
        };
        if let Some(sub) = section_of {
            map.next_value_seed(SectionSeed { cp: &mut *cp, seen_ts: &mut *seen_ts, section: sub })?;
            continue;
        }
        match field {
            Field::Ignored => {
                map.next_value::<IgnoredAny>()?;
            }
            Field::Status => {
                let s = map.next_value_seed(StatusSeed).map_err(|e| field_error::<A::Error>(field, cp, *seen_ts, e))?;
                cp.status = s;
            }
            _ => {
                let v = map.next_value_seed(NumSeed).map_err(|e| field_error::<A::Error>(field, cp, *seen_ts, e))?;
                set_number(cp, seen_ts, field, v).map_err(|m| field_error::<A::Error>(field, cp, *seen_ts, m))?;
            }
        }
    }
    Ok(())
}

fn field_error<E: de::Error>(field: Field, cp: &Checkpoint, seen_ts: bool, e: impl fmt::Display) -> E {
    if seen_ts {
        E::custom(format!("timestamp_ms {}: field `{}`: {e}", cp.timestamp_ms, field.name()))
    } else {
        E::custom(format!("field `{}`: {e}", field.name()))
    }
}

pub(super) fn set_number(cp: &mut Checkpoint, seen_ts: &mut bool, field: Field, v: Option<f64>) -> Result<(), String> {
    use Field::*;
    let int = |v: Option<f64>, default: i64| -> Result<i64, String> {
        match v {
            None => Ok(default),
            Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
            Some(x) => Err(format!("expected an integer, found {x}")),
        }
    };
    match field {
        Timestamp => {
            cp.timestamp_ms = match v {
                None => return Err("expected an integer timestamp, found null".into()),
                some => int(some, 0)?,
            };
            *seen_ts = true;
        }
        Alpha => cp.chunk_emissions_alpha = v.unwrap_or(0.0),
        Tao => cp.chunk_emissions_tao = v.unwrap_or(0.0),
        Usd => cp.chunk_emissions_usd = v.unwrap_or(0.0),
        AlphaTaoRate => cp.avg_alpha_to_tao_rate = v.unwrap_or(0.0),
        TaoUsdRate => cp.avg_tao_to_usd_rate = v.unwrap_or(0.0),
        TaoBalance => cp.tao_balance_snapshot = v.unwrap_or(0.0),
        AlphaBalance => cp.alpha_balance_snapshot = v.unwrap_or(0.0),
        PortfolioReturn => cp.portfolio_return = v.unwrap_or(1.0),
        PnlGain => cp.pnl_gain = v,
        PnlLoss => cp.pnl_loss = v,
        Realized => cp.realized_pnl = v,
        Unrealized => cp.unrealized_pnl = v,
        NetPnl => cp.stored_net_pnl = v,
        SpreadFee => cp.spread_fee_loss = v.unwrap_or(0.0),
        CarryFee => cp.carry_fee_loss = v.unwrap_or(0.0),
        CumulativeFees => cp.cumulative_fees_usd = v,
        MaxDrawdown => cp.max_drawdown = v.unwrap_or(1.0),
        MaxPortfolioValue => cp.max_portfolio_value = v.unwrap_or(0.0),
        OpenMs => cp.open_ms = int(v, 0)?,
        AccumMs => cp.accum_ms = int(v, 0)?,
        NUpdates => cp.n_updates = int(v, 0)?,
        DrawdownPenalty => cp.drawdown_penalty = v.unwrap_or(1.0),
        RiskProfilePenalty => cp.risk_profile_penalty = v.unwrap_or(1.0),
        MinCollateralPenalty => cp.min_collateral_penalty = v.unwrap_or(1.0),
        RapPenalty => cp.risk_adjusted_performance_penalty = v.unwrap_or(1.0),
        TotalPenalty => cp.total_penalty = v.unwrap_or(1.0),
        Status | SectionEmissions | SectionPerformance | SectionPenalties | Ignored => {}
    }
    Ok(())
}

impl<'de> Visitor<'de> for CheckpointVisitor {
    type Value = Checkpoint;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a checkpoint object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checkpoint, A::Error> {
        let mut cp = Checkpoint::new(0);
        let mut seen_ts = false;
        fill(&mut cp, &mut seen_ts, Section::Top, &mut map)?;
        if !seen_ts {
            return Err(de::Error::custom(format!("checkpoint {}: missing field `timestamp_ms`", self.index)));
        }
        Ok(cp)
    }
}

struct SectionSeed<'a> {
    cp: &'a mut Checkpoint,
    seen_ts: &'a mut bool,
    section: Section,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a checkpoint section object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        fill(self.cp, self.seen_ts, self.section, &mut map)
    }
}

/// A JSON number, `null` (absent: the field takes its default), or one of the quoted
/// non-finite tokens produced by the pre-pass.
struct NumSeed;

impl<'de> DeserializeSeed<'de> for NumSeed {
    type Value = Option<f64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<f64>, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<f64>, E> {
        Ok(Some(v as f64))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<f64>, E> {
        match v {
            "NaN" => Ok(Some(f64::NAN)),
            "Infinity" => Ok(Some(f64::INFINITY)),
            "-Infinity" => Ok(Some(f64::NEG_INFINITY)),
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<f64>, E> {
        Err(E::invalid_type(de::Unexpected::Bool(v), &self))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Option<f64>, A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Seq, &self))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Option<f64>, A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Map, &self))
    }
}

struct StatusSeed;

impl<'de> DeserializeSeed<'de> for StatusSeed {
    type Value = Status;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Status, D::Error> {
        d.deserialize_any(StatusVisitor)
    }
}

struct StatusVisitor;

impl<'de> Visitor<'de> for StatusVisitor {
    type Value = Status;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a status string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Status, E> {
        Ok(Status::parse(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Status, E> {
        Ok(Status::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_bare_tokens() {
        let src = br#"{"a": NaN, "b": [Infinity, -Infinity], "NaN": "xNaNy"}"#;
        let out = String::from_utf8(quote_non_finite(src)).unwrap();
        assert_eq!(out, r#"{"a": "NaN", "b": ["Infinity", "-Infinity"], "NaN": "xNaNy"}"#);
    }

    #[test]
    fn structured_and_flat_forms_agree() {
        let structured = br#"{"5A": {"hotkey": "5A", "checkpoints": [{"timestamp_ms": 43200000,
            "emissions": {"chunk_usd": 2.5}, "performance": {"pnl_gain": 10.0, "pnl_loss": -4.0, "net_pnl": 6.0},
            "penalties": {"cumulative": 0.5, "drawdown": 1.0, "challenge_period_status": "MAINCOMP"},
            "derived": {"weighted_score": 1.0}}]}}"#;
        let flat = br#"{"ledgers": {"5A": {"hotkey": "5A", "checkpoints": [{"timestamp_ms": 43200000,
            "chunk_emissions_usd": 2.5, "pnl_gain": 10.0, "pnl_loss": -4, "net_pnl": 6.0,
            "total_penalty": 0.5, "drawdown_penalty": 1.0, "challenge_period_status": "MAINCOMP"}]}}}"#;
        let a = parse_json(structured).unwrap();
        let b = parse_json(flat).unwrap();
        assert_eq!(a.ledgers, b.ledgers);
        let cp = &a.ledgers[0].checkpoints[0];
        assert_eq!(cp.net_pnl(), 6.0);
        assert_eq!(cp.total_penalty, 0.5);
        assert_eq!(cp.status, Status::Maincomp);
        assert_eq!(cp.portfolio_return, 1.0, "missing fields take the validator's defaults");
        assert_eq!(cp.max_drawdown, 1.0);
    }

    #[test]
    fn errors_name_hotkey_checkpoint_and_field() {
        let src = br#"{"ledgers": {"5A": {"hotkey": "5A", "checkpoints": [{"timestamp_ms": 0},
            {"timestamp_ms": 43200000, "pnl_gain": "ten"}]}}}"#;
        let err = parse_json(src).unwrap_err();
        assert!(err.contains("hotkey 5A"), "{err}");
        assert!(err.contains("checkpoint 1"), "{err}");
        assert!(err.contains("pnl_gain"), "{err}");
        assert!(err.contains("43200000"), "{err}");
    }

    #[test]
    fn non_finite_tokens_parse_as_floats() {
        let src = br#"{"5A": {"checkpoints": [{"timestamp_ms": 0, "pnl_gain": NaN, "pnl_loss": -Infinity}]}}"#;
        let set = parse_json(src).unwrap();
        let cp = &set.ledgers[0].checkpoints[0];
        assert!(cp.pnl_gain.unwrap().is_nan());
        assert_eq!(cp.pnl_loss, Some(f64::NEG_INFINITY));
    }
}
