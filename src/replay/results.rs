//! The long results table: one row per policy, step and hotkey, burn included.

use polars::prelude::*;

use super::emission::Emission;
use super::engine::{Engine, Rows};

/// Column names of the results table, in order (documented in the README).
pub const COLUMNS: &[&str] = &[
    "run",
    "policy",
    "at_ms",
    "hotkey",
    "bucket",
    "window_score",
    "dust_weight",
    "payout_weight",
    "debt_weight",
    "final_weight",
    "reward_alpha",
    "reward_usd",
    "baseline_reward_usd",
    "delta_usd",
];

/// Builds the long table. Each column is one pass over the engine's rows, and the columns are
/// built in parallel: row by row, thirteen growing vectors and the hotkey strings were a
/// quarter of the replay stage.
pub fn frame(engine: &Engine, em: &Emission, run: u32) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let base = &engine.rows[0];
    for rows in &engine.rows {
        assert_eq!(rows.step.len(), base.step.len(), "policies share population and clock");
    }
    let total = base.step.len() * engine.rows.len();
    let all = &engine.rows;
    let usd = |rows: &Rows, i: usize| em.usd(rows.step[i] as usize, rows.final_w[i]);
    let strings = |name: &str, ids: fn(&Rows) -> &Vec<u32>, names: &[String]| -> PolarsResult<Column> {
        names_column(name, names, all.iter().flat_map(|rows| ids(rows).iter().copied()), total)
    };
    let concat = |name: &str, of: fn(&Rows) -> &Vec<f64>| {
        Column::new(name.into(), gather(all, total, |rows| of(rows).iter().copied()))
    };
    let build = |c: usize| -> PolarsResult<Column> {
        Ok(match COLUMNS[c] {
            "run" => Column::new("run".into(), vec![run; total]),
            "policy" => {
                let names: Vec<String> = engine.policies.iter().map(|p| p.name.clone()).collect();
                let ids = all.iter().enumerate().flat_map(|(k, rows)| std::iter::repeat_n(k as u32, rows.step.len()));
                names_column("policy", &names, ids, total)?
            }
            "at_ms" => Column::new(
                "at_ms".into(),
                gather(all, total, |rows| rows.step.iter().map(|&s| engine.steps[s as usize])),
            ),
            "hotkey" => strings("hotkey", |r| &r.hotkey, &engine.hotkeys.names)?,
            "bucket" => strings("bucket", |r| &r.bucket, &engine.bucket_names.names)?,
            "window_score" => concat("window_score", |r| &r.window_score),
            "dust_weight" => concat("dust_weight", |r| &r.dust),
            "payout_weight" => concat("payout_weight", |r| &r.payout),
            "debt_weight" => concat("debt_weight", |r| &r.debt),
            "final_weight" => concat("final_weight", |r| &r.final_w),
            "reward_alpha" => Column::new(
                "reward_alpha".into(),
                per_row(all, total, |rows, i| em.alpha(rows.step[i] as usize, rows.final_w[i])),
            ),
            "reward_usd" => Column::new("reward_usd".into(), per_row(all, total, usd)),
            "baseline_reward_usd" => {
                Column::new("baseline_reward_usd".into(), per_row(all, total, |_, i| usd(base, i)))
            }
            "delta_usd" => Column::new("delta_usd".into(), per_row(all, total, |rows, i| usd(rows, i) - usd(base, i))),
            other => unreachable!("column {other} has no builder"),
        })
    };
    let columns = (0..COLUMNS.len()).into_par_iter().with_max_len(1).map(build).collect::<PolarsResult<_>>()?;
    DataFrame::new(total, columns)
}

/// `f(rows, i)` for every row of every policy; generic, so `f` is inlined into the loop
/// rather than called through a pointer per row.
fn per_row(all: &[Rows], total: usize, f: impl Fn(&Rows, usize) -> f64) -> Vec<f64> {
    let f = &f;
    gather(all, total, |rows| (0..rows.step.len()).map(move |i| f(rows, i)))
}

/// One column: `of(rows)` of every policy in turn, in a vector of its final length (collected
/// through a flat map, whose length is unknown, each column grew by doubling and was copied
/// twice on the way).
fn gather<'a, T, I: Iterator<Item = T>>(all: &'a [Rows], total: usize, of: impl Fn(&'a Rows) -> I) -> Vec<T> {
    let mut v = Vec::with_capacity(total);
    for rows in all {
        v.extend(of(rows));
    }
    v
}

/// A string column of `names[id]` per id, as views into one buffer holding each name once (a
/// name of up to 12 bytes lives in its view).
fn names_column(name: &str, names: &[String], ids: impl Iterator<Item = u32>, len: usize) -> PolarsResult<Column> {
    use polars_arrow::array::{Utf8ViewArray, View};
    use polars_arrow::datatypes::ArrowDataType;
    let mut bytes: Vec<u8> = Vec::new();
    let views: Vec<View> = names
        .iter()
        .map(|n| {
            let offset = u32::try_from(bytes.len()).map_err(|_| polars_err!(ComputeError: "names exceed 4 GiB"))?;
            if n.len() > View::MAX_INLINE_SIZE as usize {
                bytes.extend_from_slice(n.as_bytes());
            }
            Ok(View::new_from_bytes(n.as_bytes(), 0, offset))
        })
        .collect::<PolarsResult<_>>()?;
    let mut total_bytes = 0;
    let mut rows: Vec<View> = Vec::with_capacity(len);
    rows.extend(ids.map(|id| {
        let v = views[id as usize];
        total_bytes += v.length as usize;
        v
    }));
    let buffer_len = bytes.len();
    // SAFETY: each view was made by `View::new_from_bytes` from a `&str` (valid UTF-8); one
    // longer than 12 bytes points into buffer 0 at the offset its name was copied to. Checking
    // the views again (`try_new`) cost as much as building the column.
    let array = unsafe {
        Utf8ViewArray::new_unchecked(
            ArrowDataType::Utf8View,
            rows.into(),
            vec![bytes.into()].into(),
            None,
            Some(total_bytes),
            buffer_len,
        )
    };
    Ok(StringChunked::with_chunk(name.into(), array).into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_names_column_equals_the_strings_column_it_stands_for() {
        let names: Vec<String> = [
            "MAINCOMP",
            "",
            "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
            "twelve bytes",
            "thirteen byte",
            "é—ü 名前",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ids: Vec<u32> = vec![2, 0, 1, 3, 4, 5, 2, 2, 5, 0, 4];
        let got = names_column("hotkey", &names, ids.iter().copied(), ids.len()).unwrap();
        let want = Column::new("hotkey".into(), ids.iter().map(|&i| names[i as usize].as_str()).collect::<Vec<_>>());
        assert!(got.equals(&want), "{got:?} against {want:?}");
        let s = got.str().unwrap();
        assert_eq!(s.get(2), Some(""));
        assert_eq!(s.get(8), Some("é—ü 名前"));
        assert_eq!(s.get(0), Some("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"));
    }
}
