//! Reading a gzip ledger file as a pipeline: one thread inflates, this one splits the JSON
//! into ledgers as the bytes arrive, and the pool parses each ledger as soon as it is whole.
//! A plain JSON file is split the same way, beside its parsing.
//!
//! Inflating a year's file is single-threaded and took as long as the whole parse; done one
//! after the other, half the machine idled through each. Splitting on arrival also never holds
//! the whole document, which at 160 MB was most of the read's memory (and its page faults).
//!
//! This is a fast path only. Whatever it does not expect — a document that is not an object,
//! a key with an escape, a ledger that is not an object or a list, any syntax error, a gzip
//! error — makes it give up, and the caller reads the file the whole-document way, which
//! words the error with its place. So a file it accepts is one that path accepts, with the
//! same result: ledgers are parsed by the same code, and the outline (the document with every
//! ledger written as `0`) by the same top-level reader, whose keys must match the split's.

use std::io::Read;
use std::sync::mpsc;

use flate2::read::MultiGzDecoder;

use super::json_read::{parse_ledger, parse_outline};
use super::model::{Ledger, LedgerSet};

/// Inflated bytes handed from the inflating thread to the splitter at a time.
const CHUNK: usize = 1 << 20;

/// The ledger set of a gzip JSON document, or `None` when the whole-document reader must
/// decide (and word the error).
pub fn parse_gz(compressed: &[u8]) -> Option<LedgerSet> {
    let (chunks_tx, chunks) = mpsc::sync_channel::<Vec<u8>>(4);
    let (used_tx, used) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let inflater = s.spawn(move || inflate(compressed, chunks_tx, used));
        // The splitter owns the receiver: giving up hangs up on the inflater.
        let set = split(chunks.into_iter(), |chunk| {
            let _ = used_tx.send(chunk);
        });
        let inflated = inflater.join().ok()?;
        inflated.ok()?;
        set
    })
}

/// The same for a plain JSON document already in memory: the split runs beside the parsing
/// instead of a skim of the whole document before it.
pub fn parse_plain(bytes: &[u8]) -> Option<LedgerSet> {
    split(bytes.chunks(CHUNK), |_| {})
}

/// Splits the document arriving in `chunks` into ledgers, parses each on the pool as soon as
/// it is whole, and reads the outline; `done_with` takes each chunk back once it is split.
fn split<C: AsRef<[u8]>>(chunks: impl Iterator<Item = C>, mut done_with: impl FnMut(C)) -> Option<LedgerSet> {
    let (parsed_tx, parsed) = mpsc::channel::<(usize, Option<Ledger>)>();
    let splitter = rayon::in_place_scope(|pool| {
        let mut splitter = Splitter::default();
        for chunk in chunks {
            let bytes = chunk.as_ref();
            let mut at = 0;
            while at < bytes.len() {
                let (next, whole) = splitter.feed(bytes, at)?;
                at = next;
                if let Some((index, key, text)) = whole {
                    let parsed_tx = parsed_tx.clone();
                    pool.spawn(move |_| {
                        let _ = parsed_tx.send((index, parse_ledger(&key, &text)));
                    });
                }
            }
            done_with(chunk);
        }
        Some(splitter)
    });
    drop(parsed_tx);
    let (format_version, last_update_ms, keys) = splitter?.finish()?;
    let mut ledgers: Vec<Option<Ledger>> = (0..keys.len()).map(|_| None).collect();
    for (index, ledger) in parsed.iter() {
        *ledgers.get_mut(index)? = Some(ledger?);
    }
    let ledgers = ledgers.into_iter().collect::<Option<Vec<_>>>()?;
    Some(LedgerSet { format_version, last_update_ms, ledgers })
}

/// Inflates into chunks until the end or until the splitter hangs up. Chunks come back to
/// be refilled: inflating into fresh memory spent more time faulting pages in than inflating.
fn inflate(compressed: &[u8], out: mpsc::SyncSender<Vec<u8>>, used: mpsc::Receiver<Vec<u8>>) -> std::io::Result<()> {
    let mut gz = MultiGzDecoder::new(compressed);
    loop {
        let mut chunk = used.try_recv().unwrap_or_else(|_| vec![0; CHUNK]);
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        while filled < CHUNK {
            match gz.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        chunk.truncate(filled);
        if filled == 0 || out.send(chunk).is_err() {
            return Ok(());
        }
    }
}

/// Where the splitter is in the document's outline (outside any ledger).
#[derive(Default)]
struct Splitter {
    outline: Vec<u8>,
    started: bool,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The string being read is a key at depth 1, or at depth 2 inside `"ledgers"`.
    reading_key: bool,
    key: Vec<u8>,
    /// The latest depth-1 key.
    top_key: Vec<u8>,
    /// Inside the `"ledgers"` object.
    in_ledgers: bool,
    /// A `:` was read and its value has not begun.
    after_colon: bool,
    /// The ledger being split off.
    ledger: Option<Open>,
    /// Keys of the ledgers split so far, in file order.
    keys: Vec<String>,
}

/// A ledger whose closing bracket has not arrived yet.
struct Open {
    text: Vec<u8>,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

/// A whole ledger: its index in file order, key and JSON text.
type Whole = (usize, String, Vec<u8>);

impl Splitter {
    /// Reads `chunk` from `at` until a ledger is whole or the chunk ends; returns where it
    /// stopped and the ledger, or `None` to give up.
    fn feed(&mut self, chunk: &[u8], at: usize) -> Option<(usize, Option<Whole>)> {
        if let Some(open) = &mut self.ledger {
            let (end, closed) = open.scan(&chunk[at..]);
            open.text.extend_from_slice(&chunk[at..at + end]);
            if !closed {
                return Some((chunk.len(), None));
            }
            let open = self.ledger.take().expect("an open ledger");
            let key = self.keys.last().expect("its key").clone();
            return Some((at + end, Some((self.keys.len() - 1, key, open.text))));
        }
        for (i, &b) in chunk.iter().enumerate().skip(at) {
            if self.in_string {
                self.outline.push(b);
                if std::mem::take(&mut self.escaped) {
                    continue;
                }
                match b {
                    b'\\' if self.reading_key => return None,
                    b'\\' => self.escaped = true,
                    b'"' => {
                        self.in_string = false;
                        if self.reading_key {
                            self.reading_key = false;
                            if self.depth == 1 {
                                self.top_key = std::mem::take(&mut self.key);
                            }
                        }
                    }
                    _ if self.reading_key => self.key.push(b),
                    _ => {}
                }
                continue;
            }
            if b.is_ascii_whitespace() {
                self.outline.push(b);
                continue;
            }
            if !self.started {
                if b != b'{' {
                    return None;
                }
                self.started = true;
            }
            let value_start = std::mem::take(&mut self.after_colon);
            if value_start {
                let top = self.top_key.as_slice();
                let is_ledger = (self.depth == 1 && !matches!(top, b"format_version" | b"last_update_ms" | b"ledgers"))
                    || (self.depth == 2 && self.in_ledgers);
                if is_ledger {
                    if b != b'{' && b != b'[' {
                        return None;
                    }
                    let key = if self.depth == 1 { &self.top_key } else { &self.key };
                    self.keys.push(String::from_utf8(key.clone()).ok()?);
                    self.outline.push(b'0');
                    self.ledger = Some(Open { text: Vec::new(), depth: 0, in_string: false, escaped: false });
                    return Some((i, None));
                }
                if self.depth == 1 && top == b"ledgers" {
                    if b != b'{' {
                        return None;
                    }
                    self.in_ledgers = true;
                }
            }
            self.outline.push(b);
            match b {
                b'"' => {
                    self.in_string = true;
                    if !value_start && (self.depth == 1 || (self.depth == 2 && self.in_ledgers)) {
                        self.reading_key = true;
                        self.key.clear();
                    }
                }
                b':' => self.after_colon = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.checked_sub(1)?;
                    if self.depth <= 1 {
                        self.in_ledgers = false;
                    }
                }
                _ => {}
            }
        }
        Some((chunk.len(), None))
    }

    /// The document's format version, last update and ledger keys, once every byte is read.
    fn finish(self) -> Option<(Option<String>, Option<i64>, Vec<String>)> {
        if !self.started || self.depth != 0 || self.in_string || self.ledger.is_some() {
            return None;
        }
        let (format_version, last_update_ms, keys) = parse_outline(&self.outline)?;
        (keys == self.keys).then_some((format_version, last_update_ms, keys))
    }
}

impl Open {
    /// Bytes of `rest` that belong to the ledger, and whether they close it. A 64-byte block
    /// goes by bit masks (the splitter's thread reads every byte of the file, so it paces the
    /// pipeline); a block with a backslash goes byte by byte.
    fn scan(&mut self, rest: &[u8]) -> (usize, bool) {
        let mut at = 0;
        while let Some(block) = rest.get(at..at + 64) {
            let Masks { quote, backslash, open, close } = Masks::of(block);
            if backslash != 0 || self.escaped {
                if let (end, true) = self.scan_bytes(block) {
                    return (at + end, true);
                }
                at += 64;
                continue;
            }
            // Bit j: byte j is inside a string (the parity of the quotes up to it).
            let mut inside = quote;
            for shift in [1, 2, 4, 8, 16, 32] {
                inside ^= inside << shift;
            }
            if self.in_string {
                inside = !inside;
            }
            let (open, close) = (open & !inside, close & !inside);
            if (close.count_ones() as usize) < self.depth {
                self.depth += open.count_ones() as usize;
                self.depth -= close.count_ones() as usize;
            } else {
                let mut bits = open | close;
                while bits != 0 {
                    let j = bits.trailing_zeros();
                    if open >> j & 1 == 1 {
                        self.depth += 1;
                    } else {
                        self.depth -= 1;
                        if self.depth == 0 {
                            return (at + j as usize + 1, true);
                        }
                    }
                    bits &= bits - 1;
                }
            }
            self.in_string = inside >> 63 == 1;
            at += 64;
        }
        let (end, closed) = self.scan_bytes(&rest[at..]);
        (at + end, closed)
    }

    fn scan_bytes(&mut self, rest: &[u8]) -> (usize, bool) {
        for (i, &b) in rest.iter().enumerate() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return (i + 1, true);
                    }
                }
                _ => {}
            }
        }
        (rest.len(), false)
    }
}

/// Bit j of each mask: byte j of a 64-byte block is that character (`open`: `{` or `[`,
/// `close`: `}` or `]`).
#[derive(Debug, PartialEq)]
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

impl Masks {
    /// Sixteen bytes per compare on x86-64, whose baseline has SSE2.
    #[cfg(target_arch = "x86_64")]
    fn of(block: &[u8]) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
        for (k, lane) in block.chunks_exact(16).enumerate() {
            let lane: &[u8; 16] = lane.try_into().expect("16 bytes");
            // SAFETY: SSE2 is in every x86-64 CPU (the intrinsics need `unsafe` only because
            // they are `target_feature` functions); the load reads the 16 bytes of `lane`,
            // unaligned.
            let (quote, backslash, open, close) = unsafe {
                let v = _mm_loadu_si128(lane.as_ptr().cast());
                // `{` and `[` (0x7B, 0x5B) differ only in bit 5, as do `}` and `]`.
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8))),
                )
            };
            let bits = |x: i32| u64::from(x as u16) << (16 * k);
            m.quote |= bits(quote);
            m.backslash |= bits(backslash);
            m.open |= bits(open);
            m.close |= bits(close);
        }
        m
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn of(block: &[u8]) -> Masks {
        Masks::bytewise(block)
    }

    /// One byte at a time: other targets, and the reference the SSE2 path is tested against.
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn bytewise(block: &[u8]) -> Masks {
        let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
        for (j, &b) in block.iter().enumerate() {
            m.quote |= u64::from(b == b'"') << j;
            m.backslash |= u64::from(b == b'\\') << j;
            m.open |= u64::from(b | 0x20 == b'{') << j;
            m.close |= u64::from(b | 0x20 == b'}') << j;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::ledger::json_read::parse_json;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    /// The fast path's answer, having checked it is the whole-document reader's.
    fn streamed(text: &str) -> Option<LedgerSet> {
        let fast = parse_gz(&gz(text.as_bytes()));
        let plain = parse_plain(text.as_bytes());
        assert_eq!(format!("{fast:?}"), format!("{plain:?}"), "gzip and plain agree");
        if let Some(set) = &fast {
            let whole = parse_json(text.as_bytes()).expect("the whole-document reader accepts what the stream does");
            assert_eq!(format!("{set:?}"), format!("{whole:?}"));
        }
        fast
    }

    #[test]
    fn a_generated_population_reads_the_same_as_the_whole_document() {
        use crate::population::generate::{PopulationParams, generate};
        let pop = generate(&PopulationParams { miners: 24, days: 120, seed: 5, ..PopulationParams::default() });
        let text = crate::ledger::json_write::to_json(&pop.set);
        // Several chunks, so ledgers and the outline straddle chunk boundaries.
        assert!(text.len() > 3 * CHUNK, "{} bytes", text.len());
        let set = streamed(&text).expect("the fast path takes the validator's layout");
        assert_eq!(set.ledgers.len(), pop.set.ledgers.len());
        let n: usize = set.ledgers.iter().map(|l| l.checkpoints.len()).sum();
        assert_eq!(n, pop.set.ledgers.iter().map(|l| l.checkpoints.len()).sum::<usize>());
    }

    #[test]
    fn python_tokens_escapes_and_both_layouts_take_the_fast_path() {
        let cp = |ts: i64, penalty: &str, status: &str| {
            format!(
                r#"{{"timestamp_ms": {ts}, "pnl_gain": 1.5, "pnl_loss": -Infinity, "total_penalty": {penalty}, "challenge_period_status": "{status}", "note": "a \"quoted\" }} ] \\ \u00e9"}}"#
            )
        };
        let doc = format!(
            r#"{{"format_version": "1.0 \"}}\" {{", "ledgers": {{"5Aa": {{"hotkey": "5Aa", "checkpoints": [{}, {}]}}, "5Bb": [{}]}}, "last_update_ms": 1764590400000, "5Cc": {{"checkpoints": []}}}}"#,
            cp(1764547200000, "NaN", "MAINCOMP"),
            cp(1764590400000, "0.5", "CHALLENGE"),
            cp(1764547200000, "1.0", "PROBATION"),
        );
        let set = streamed(&doc).expect("fast path");
        let keys: Vec<&str> = set.ledgers.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, ["5Aa", "5Bb", "5Cc"]);
        assert_eq!(set.format_version.as_deref(), Some("1.0 \"}\" {"));
        assert_eq!(set.last_update_ms, Some(1_764_590_400_000));
        assert!(set.ledgers[0].checkpoints[0].total_penalty.is_nan());
        assert_eq!(set.ledgers[0].checkpoints[1].total_penalty, 0.5);
        assert_eq!(set.ledgers[0].checkpoints[0].pnl_loss, Some(f64::NEG_INFINITY));
        assert_eq!(set.ledgers[1].checkpoints.len(), 1);
        assert!(set.ledgers[2].checkpoints.is_empty());
    }

    #[test]
    fn what_it_does_not_expect_goes_to_the_whole_document_reader() {
        let good = r#"{"ledgers": {"5A": {"hotkey": "5A", "checkpoints": []}}}"#;
        assert!(streamed(good).is_some());
        for doc in [
            r#"{"ledgers": {"5\u0041": {"checkpoints": []}}}"#,
            r#"{"ledgers": {"5A": 3}}"#,
            r#"{"ledgers": {"5A": {"checkpoints": [}}}"#,
            r#"{"ledgers": {"5A": {"checkpoints": []}}} trailing"#,
            r#"{"ledgers": {"5A": {"checkpoints": []}}"#,
            r#"[{"5A": {}}]"#,
            r#"{"ledgers": [{"5A": {}}]}"#,
            "",
        ] {
            assert!(streamed(doc).is_none(), "{doc}");
        }
        // A gzip stream cut short: the whole-document reader names the gzip error.
        let bytes = gz(good.as_bytes());
        assert!(parse_gz(&bytes[..bytes.len() - 6]).is_none());
    }

    #[test]
    fn the_block_masks_are_the_bytewise_ones() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        // The structural bytes, their bit-5 neighbours (`;`, `=`, `{` without the fold) and noise.
        let alphabet = b"\"\\{}[]:;=,0aN ~\x7f\x80\xff\x1b\x3b\x3d";
        for _ in 0..2000 {
            let block: Vec<u8> = (0..64).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
            assert_eq!(Masks::of(&block), Masks::bytewise(&block), "{block:?}");
        }
        let all: Vec<u8> = (0..=255u8).collect();
        for block in all.chunks(64) {
            assert_eq!(Masks::of(block), Masks::bytewise(block));
        }
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 300,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_0b1e),
            ..ProptestConfig::default()
        })]

        /// Whatever an edit does to a document, a fast-path answer is the whole reader's.
        #[test]
        fn an_accepted_document_is_read_as_the_whole_reader_reads_it(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"{}[]\":,\\ 0aN-".to_vec())), 1..4),
        ) {
            let base = r#"{"format_version": "1", "ledgers": {"5A": {"hotkey": "5A", "checkpoints": [{"timestamp_ms": 1764547200000, "total_penalty": 0.5, "note": "x"}]}, "5B": []}, "5C": [[]]}"#;
            let mut bytes = base.as_bytes().to_vec();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            let fast = parse_gz(&gz(&bytes));
            prop_assert_eq!(format!("{fast:?}"), format!("{:?}", parse_plain(&bytes)));
            if let Some(set) = fast {
                let whole = parse_json(&bytes);
                prop_assert!(whole.is_ok(), "{}", String::from_utf8_lossy(&bytes));
                prop_assert_eq!(format!("{set:?}"), format!("{:?}", whole.unwrap()));
            }
        }
    }
}
