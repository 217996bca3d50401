//! A hand-written reader for one ledger's JSON text: the streaming reader's unit of work.
//!
//! Through serde's visitors, a year's file spent most of its read in generic machinery: every
//! key validated as UTF-8 and matched as a `str`, every number through a visitor. This reader
//! walks the bytes once, matches keys as bytes and parses numbers in place.
//!
//! It is a fast path only, like the streaming split around it. It takes what the validator
//! writes and gives up (`None`) on anything else — an escape in a key or a string it keeps, a
//! value of an unexpected type, a syntax error, a number production rejects — and the caller
//! then reads the ledger through serde, which decides and words the error. So where it
//! answers, it answers what that path answers: the same keys dispatch through the same
//! [`Field::lookup`] and [`set_number`], and numbers round as serde_json's (both correctly).

use super::json_read::{Field, Section, set_number};
use super::model::{Checkpoint, Ledger, Status};

/// Nesting deeper than this gives up (serde_json refuses past 128).
const MAX_DEPTH: usize = 100;

/// The ledger in `text` (a whole JSON value: a ledger object or a list of checkpoints), or
/// `None` when serde must decide. `text` is valid UTF-8.
pub(crate) fn ledger(key: &str, text: &[u8]) -> Option<Ledger> {
    let mut c = Cursor { b: text, i: 0, learned: Default::default() };
    c.ws();
    let ledger = match c.peek()? {
        b'[' => Ledger { key: key.to_string(), hotkey: key.to_string(), checkpoints: c.checkpoints()? },
        b'{' => {
            c.i += 1;
            let (mut hotkey, mut checkpoints) = (None, Vec::new());
            let mut more = c.first_member(b'}')?;
            while more {
                match c.key()? {
                    b"hotkey" => hotkey = Some(c.plain_str()?.to_string()),
                    b"checkpoints" => checkpoints = c.checkpoints()?,
                    _ => c.skip(0)?,
                }
                more = c.next_member(b'}')?;
            }
            Ledger { key: key.to_string(), hotkey: hotkey.unwrap_or_else(|| key.to_string()), checkpoints }
        }
        _ => return None,
    };
    c.ws();
    (c.i == c.b.len()).then_some(ledger)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    /// Per section, the keys of the last checkpoint in order with their fields: the validator
    /// writes every checkpoint's keys in one order, so a key is usually the one at its place
    /// last time, recognised by one comparison instead of a scan and a lookup.
    learned: [Vec<(&'a [u8], Field)>; 4],
}

fn slot(section: Section) -> usize {
    match section {
        Section::Top => 0,
        Section::Emissions => 1,
        Section::Performance => 2,
        Section::Penalties => 3,
    }
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// After an opening bracket: whether a first member follows (else the `close` was read).
    fn first_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After a member: whether another follows (`,`), or the `close` was read.
    fn next_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b if b == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string without escapes, as its bytes between the quotes.
    fn plain_bytes(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let len = self.b[start..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        let end = start + len;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// A string without escapes. The text is valid UTF-8 and quotes are ASCII, so the bytes
    /// between two quotes are too.
    fn plain_str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.plain_bytes()?).ok()
    }

    /// An object member's key and its colon.
    fn key(&mut self) -> Option<&'a [u8]> {
        let k = self.plain_bytes()?;
        self.eat(b':')?;
        Some(k)
    }

    fn checkpoints(&mut self) -> Option<Vec<Checkpoint>> {
        self.eat(b'[')?;
        let mut out = Vec::with_capacity(64);
        let mut more = self.first_member(b']')?;
        while more {
            self.eat(b'{')?;
            let mut cp = Checkpoint::new(0);
            let mut seen_ts = false;
            self.fill(&mut cp, &mut seen_ts, Section::Top)?;
            if !seen_ts {
                return None;
            }
            out.push(cp);
            more = self.next_member(b']')?;
        }
        Some(out)
    }

    /// The field of the key at the cursor, the `place`-th of its object, and its colon.
    fn field(&mut self, section: Section, place: usize) -> Option<Field> {
        self.ws();
        let learned = &mut self.learned[slot(section)];
        if let Some(&(key, field)) = learned.get(place) {
            let rest = &self.b[self.i..];
            if rest.len() > key.len() + 1
                && rest[0] == b'"'
                && rest[key.len() + 1] == b'"'
                && &rest[1..=key.len()] == key
            {
                self.i += key.len() + 2;
                self.eat(b':')?;
                return Some(field);
            }
        }
        let key = self.key()?;
        let field = Field::lookup(section, key);
        let learned = &mut self.learned[slot(section)];
        learned.truncate(place);
        learned.push((key, field));
        Some(field)
    }

    /// The members of an object whose `{` was read, into the checkpoint.
    fn fill(&mut self, cp: &mut Checkpoint, seen_ts: &mut bool, section: Section) -> Option<()> {
        let mut more = self.first_member(b'}')?;
        let mut place = 0;
        while more {
            let field = self.field(section, place)?;
            place += 1;
            let sub = match field {
                Field::SectionEmissions => Some(Section::Emissions),
                Field::SectionPerformance => Some(Section::Performance),
                Field::SectionPenalties => Some(Section::Penalties),
                _ => None,
            };
            match (field, sub) {
                (_, Some(sub)) => {
                    self.eat(b'{')?;
                    self.fill(cp, seen_ts, sub)?;
                }
                (Field::Ignored, _) => self.skip(0)?,
                (Field::Status, _) => {
                    cp.status = if self.literal(b"null") { Status::Unknown } else { Status::parse(self.plain_str()?) };
                }
                _ => {
                    let v = self.number()?;
                    set_number(cp, seen_ts, field, v).ok()?;
                }
            }
            more = self.next_member(b'}')?;
        }
        Some(())
    }

    /// Reads `word` if it comes next.
    fn literal(&mut self, word: &[u8]) -> bool {
        self.ws();
        let hit = self.b[self.i..].starts_with(word);
        if hit {
            self.i += word.len();
        }
        hit
    }

    /// A number field's value: a number, `null` (absent), or Python's non-finite tokens, bare
    /// or quoted (as the serde path reads them once quoted).
    fn number(&mut self) -> Option<Option<f64>> {
        self.ws();
        match self.peek()? {
            b'0'..=b'9' => {}
            b'-' if self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit) => {}
            _ => {
                if self.literal(b"null") {
                    return Some(None);
                }
                for (word, v) in [
                    (&b"NaN"[..], f64::NAN),
                    (b"Infinity", f64::INFINITY),
                    (b"-Infinity", f64::NEG_INFINITY),
                    (b"\"NaN\"", f64::NAN),
                    (b"\"Infinity\"", f64::INFINITY),
                    (b"\"-Infinity\"", f64::NEG_INFINITY),
                ] {
                    if self.literal(word) {
                        return Some(Some(v));
                    }
                }
                return None;
            }
        }
        let token = self.number_token()?;
        let v = match exact(token) {
            Some(v) => v,
            // ASCII digits, signs, points and exponents: UTF-8 by construction.
            None => std::str::from_utf8(token).ok()?.parse::<f64>().ok()?,
        };
        // serde_json refuses a number beyond f64's range.
        v.is_finite().then_some(Some(v))
    }

    /// The bytes of a JSON number (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    fn number_token(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        let digits = |c: &mut Self| {
            let from = c.i;
            while let Some(b'0'..=b'9') = c.peek() {
                c.i += 1;
            }
            c.i > from
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some(&self.b[start..self.i])
    }

    /// Skips one JSON value, checking its syntax as serde_json's `IgnoredAny` does (the
    /// non-finite tokens count as the strings the serde path quotes them into).
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut more = self.first_member(b'}')?;
                while more {
                    self.skip_str()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    more = self.next_member(b'}')?;
                }
                Some(())
            }
            b'[' => {
                self.i += 1;
                let mut more = self.first_member(b']')?;
                while more {
                    self.skip(depth + 1)?;
                    more = self.next_member(b']')?;
                }
                Some(())
            }
            b'"' => self.skip_str(),
            _ => {
                for word in [&b"true"[..], b"false", b"null", b"NaN", b"Infinity", b"-Infinity"] {
                    if self.literal(word) {
                        return Some(());
                    }
                }
                self.number_token().map(|_| ())
            }
        }
    }

    /// Skips a string, escapes included.
    fn skip_str(&mut self) -> Option<()> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        loop {
            let len = self.b[self.i..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            self.i += len;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    let esc = *self.b.get(self.i + 1)?;
                    self.i += 2;
                    match esc {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.b.get(self.i..self.i + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 4;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
}

/// Powers of ten that f64 holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A JSON number token's value where one operation on exact operands gives it (Clinger's
/// fast path: at most 2^53 in the digits, a power of ten up to 1e22), hence correctly rounded
/// as a full parse would round it; `None` for the rest, which `str::parse` takes.
fn exact(token: &[u8]) -> Option<f64> {
    let (negative, digits) = match token.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, token),
    };
    let (mut m, mut n, mut scale) = (0u64, 0usize, 0i32);
    let mut fraction = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                n += 1;
                if n > 16 {
                    return None;
                }
                m = m * 10 + u64::from(b - b'0');
                scale -= i32::from(fraction);
            }
            b'.' => fraction = true,
            _ => return None,
        }
    }
    if m > 1 << 53 || scale < -22 {
        return None;
    }
    let v = m as f64 / POW10[(-scale) as usize];
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::json_read::parse_ledger_serde;

    /// The hand-written reader's answer, having checked that it is serde's where it answers.
    fn both(text: &str) -> Option<Ledger> {
        let fast = ledger("5K", text.as_bytes());
        if let Some(l) = &fast {
            let serde = parse_ledger_serde("5K", text.as_bytes());
            assert_eq!(format!("{:?}", Some(l)), format!("{serde:?}"), "{text}");
        }
        fast
    }

    #[test]
    fn a_generated_population_reads_as_serde_reads_it() {
        use crate::population::generate::{PopulationParams, generate};
        let pop = generate(&PopulationParams { miners: 12, days: 90, seed: 9, ..PopulationParams::default() });
        let text = crate::ledger::json_write::to_json(&pop.set);
        // Each ledger's text as the file holds it: between its key and the next.
        for l in &pop.set.ledgers {
            let at = text.find(&format!("\"{}\": {{", l.key)).unwrap() + l.key.len() + 4;
            let end = text[at..].find("]}").unwrap() + at + 2;
            let got = both(&text[at..end]).expect("the validator's layout takes the fast path");
            assert_eq!(got.checkpoints.len(), l.checkpoints.len());
        }
    }

    #[test]
    fn python_tokens_nulls_sections_and_reordered_keys_read_as_serde_reads_them() {
        let texts = [
            // Structured, with Python's tokens bare and quoted, nulls, and an ignored section.
            r#"{"hotkey": "5K", "checkpoints": [{"timestamp_ms": 43200000, "emissions": {"chunk_usd": 2.5, "chunk_alpha": null}, "performance": {"pnl_gain": NaN, "pnl_loss": -Infinity, "net_pnl": "Infinity"}, "penalties": {"cumulative": 0.5, "challenge_period_status": null}, "derived": {"x": [1, {"y": "a \"b\" \\ \u00e9 \/"}, true, false, null, -0.0e-5]}}]}"#,
            // The same keys in another order at the second checkpoint (the learned order misses).
            r#"[{"timestamp_ms": 0, "pnl_gain": 1, "pnl_loss": -2, "total_penalty": 1e-3, "challenge_period_status": "MAINCOMP"},
               {"challenge_period_status": "PLAGIARISM", "total_penalty": 0.25, "pnl_loss": -0, "timestamp_ms": 43200000, "pnl_gain": 12345678901234567890}]"#,
            // Duplicate keys: the last one wins in both readers; other keys are ignored.
            r#"{"checkpoints": [], "summary": {"a": 1}, "hotkey": "5Z", "checkpoints": [{"timestamp_ms": 5, "timestamp_ms": 6}]}"#,
            " \n\t{ }\r\n",
            "[]",
        ];
        for t in texts {
            assert!(both(t).is_some(), "{t}");
        }
        let l = both(texts[1]).unwrap();
        assert_eq!(l.checkpoints[1].status, Status::Plagiarism);
        assert_eq!(l.checkpoints[1].pnl_gain, Some(12345678901234567890.0));
        assert!(l.checkpoints[1].pnl_loss.unwrap().is_sign_negative(), "-0 stays negative zero");
        assert_eq!(both(texts[2]).unwrap().checkpoints[0].timestamp_ms, 6);
    }

    #[test]
    fn what_it_does_not_take_is_left_to_serde() {
        for t in [
            r#"{"hotk\u0065y": "5K", "checkpoints": []}"#,
            r#"{"hotkey": "5\u004b", "checkpoints": []}"#,
            r#"{"hotkey": 5, "checkpoints": []}"#,
            r#"[{"pnl_gain": 1}]"#,
            r#"[{"timestamp_ms": 1.5}]"#,
            r#"[{"timestamp_ms": 0, "pnl_gain": "ten"}]"#,
            r#"[{"timestamp_ms": 0, "pnl_gain": 1e400}]"#,
            r#"[{"timestamp_ms": 0, "pnl_gain": 01}]"#,
            r#"[{"timestamp_ms": 0, "pnl_gain": 1.}]"#,
            r#"[{"timestamp_ms": 0, "challenge_period_status": NaN}]"#,
            r#"[{"timestamp_ms": 0, "emissions": null}]"#,
            r#"[{"timestamp_ms": 0, "x": "\q"}]"#,
            r#"[{"timestamp_ms": 0},]"#,
            "[] []",
            "3",
        ] {
            assert!(ledger("5K", t.as_bytes()).is_none(), "{t}");
        }
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0xfa57),
            ..ProptestConfig::default()
        })]

        /// Any number text in a number field reads as serde reads it: JSON numbers of every
        /// length and exponent, and Rust's renderings of arbitrary f64 bit patterns.
        #[test]
        fn numbers_read_as_serde_reads_them(
            int in "-?(0|[1-9][0-9]{0,22})",
            frac in proptest::option::of("[0-9]{1,20}"),
            exp in proptest::option::of("[eE][+-]?[0-9]{1,3}"),
            bits in any::<u64>(),
        ) {
            let mut n = int.clone();
            if let Some(f) = &frac {
                n.push('.');
                n.push_str(f);
            }
            if let Some(e) = &exp {
                n.push_str(e);
            }
            let x = f64::from_bits(bits);
            for v in [n, format!("{x:?}"), format!("{x}")] {
                let t = format!(r#"[{{"timestamp_ms": 0, "pnl_gain": {v}}}]"#);
                // Every number serde takes, this reader takes too, to the bit.
                let fast = ledger("5K", t.as_bytes());
                let serde = parse_ledger_serde("5K", t.as_bytes());
                prop_assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{}", v);
            }
        }

        /// Whatever an edit does to a ledger, an answer of the hand-written reader is serde's.
        #[test]
        fn an_edited_ledger_reads_as_serde_reads_it_or_is_left_to_serde(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"{}[]\":,\\ 0.eE-+aNnul/".to_vec())), 1..4),
        ) {
            let base = r#"{"hotkey": "5K", "checkpoints": [{"timestamp_ms": 1764547200000, "emissions": {"chunk_usd": 0.7085}, "penalties": {"cumulative": 0.45, "challenge_period_status": "MAINCOMP"}, "note": ["x", {"y": null}]}, {"timestamp_ms": 1764590400000, "pnl_gain": -12.5e1, "pnl_loss": NaN}]}"#;
            let mut bytes = base.as_bytes().to_vec();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(fast) = ledger("5K", &bytes) {
                let serde = parse_ledger_serde("5K", &bytes);
                prop_assert!(serde.is_some(), "{}", String::from_utf8_lossy(&bytes));
                prop_assert_eq!(format!("{fast:?}"), format!("{:?}", serde.unwrap()));
            }
        }
    }
}
