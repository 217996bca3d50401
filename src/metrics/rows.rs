//! The one builder of metric rows from engine rows: rewards through the emission model's one
//! formula, deltas against engine policy 0. Sweeps read a variant's rows through it a step at a
//! time; the report reads the same values back from the results table, which the same formula
//! wrote.

use super::policy::{Names, Row, StepRows, dust_paid};
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;

/// Row `i` of engine policy `pi` as a metric row (baseline: engine policy 0).
pub fn row(engine: &Engine, pi: usize, em: &Emission, i: usize) -> Row {
    let (rows, base) = (&engine.rows[pi], &engine.rows[0]);
    let s = rows.step[i] as usize;
    let reward_usd = em.usd(s, rows.final_w[i]);
    let baseline_usd = em.usd(base.step[i] as usize, base.final_w[i]);
    Row {
        step: s,
        miner: rows.hotkey[i],
        bucket: rows.bucket[i],
        window_score: rows.window_score[i],
        dust: rows.dust[i],
        payout: rows.payout[i],
        final_w: rows.final_w[i],
        reward_alpha: em.alpha(s, rows.final_w[i]),
        reward_usd,
        delta_usd: reward_usd - baseline_usd,
        baseline_usd,
        debt: rows.debt[i],
        baseline_dust_paid: dust_paid(baseline_usd, base.dust[i], base.payout[i], base.debt[i]),
    }
}

/// Engine policy `pi`'s metric rows, built a step at a time into one buffer.
pub struct EngineRows<'e> {
    engine: &'e Engine<'e>,
    pi: usize,
    em: &'e Emission,
    next: usize,
    buf: Vec<Row>,
}

impl<'e> EngineRows<'e> {
    pub fn new(engine: &'e Engine<'e>, pi: usize, em: &'e Emission) -> Self {
        EngineRows { engine, pi, em, next: 0, buf: Vec::new() }
    }
}

impl StepRows for EngineRows<'_> {
    fn buckets_seen(&self, n_buckets: usize, burn: Option<u32>) -> Vec<bool> {
        let rows = &self.engine.rows[self.pi];
        super::policy::buckets_seen(rows.hotkey.iter().copied().zip(rows.bucket.iter().copied()), n_buckets, burn)
    }

    fn step(&mut self, step: usize) -> &[Row] {
        let steps = &self.engine.rows[self.pi].step;
        self.buf.clear();
        while self.next < steps.len() && steps[self.next] as usize == step {
            self.buf.push(row(self.engine, self.pi, self.em, self.next));
            self.next += 1;
        }
        &self.buf
    }
}

/// The engine's name tables, with the burn's id.
pub fn names<'a>(engine: &'a Engine) -> Names<'a> {
    Names { miners: &engine.hotkeys.names, buckets: &engine.bucket_names.names, burn: engine.burn_id() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::policy::{policy_metrics, policy_metrics_ordered};
    use crate::policy::preset;
    use crate::population::generate::{PopulationParams, generate};
    use crate::replay::emission::Source;
    use crate::replay::engine::Feedback;
    use crate::time::MS_PER_DAY;

    /// Variants whose lookbacks differ by less than a checkpoint share their window scores and
    /// the kept sort; the metrics read through them equal the metrics that sort every step.
    #[test]
    fn shared_windows_and_kept_orders_give_the_metrics_of_sorting_every_step() {
        let pop = generate(&PopulationParams { miners: 40, days: 90, seed: 11, ..PopulationParams::default() });
        let store = crate::ledger::store::Store::from_set(&pop.set);
        let (buckets, collateral) = crate::experiment::montecarlo::histories(&pop);
        let last = pop.set.ledgers.iter().map(|l| l.checkpoints.last().unwrap().timestamp_ms).max().unwrap();
        let steps: Vec<i64> = (35..90)
            .map(|d| pop.set.ledgers[0].checkpoints[0].timestamp_ms / MS_PER_DAY * MS_PER_DAY + d * MS_PER_DAY)
            .collect();
        use crate::policy::config::Normalization::*;
        let policies: Vec<_> = [(30.0, Max), (30.0 + 1.0 / 24.0, Rank), (30.4, Log), (14.0, Minmax), (14.2, Max)]
            .iter()
            .enumerate()
            .map(|(i, (lookback, norm))| {
                let mut p = preset("ptn-dynamic").unwrap();
                p.name = format!("v{i}");
                p.lookback_days = *lookback;
                p.normalization = *norm;
                p
            })
            .collect();
        let mut e = Engine::new(&policies, steps.clone(), MS_PER_DAY).unwrap();
        e.buckets = Some(&buckets);
        e.collateral = Some(&collateral);
        e.feedback = Feedback::Simulated;
        e.keep_orders = true;
        e.run_segment(&store, 0..steps.len(), last, &|_| {}).unwrap();
        // 30 days and 30 days + 1 h start between the same two checkpoints: one window.
        assert_eq!(e.rows[0].window_score, e.rows[1].window_score);
        assert_eq!(e.rows[0].score_window, e.rows[1].score_window);
        assert_ne!(e.rows[0].window_score, e.rows[3].window_score, "14 days is another window");
        let em = Emission::of(&e, &Source::Constant(7200.0), &Source::Constant(1.0));
        let names = names(&e);
        for (pi, policy) in policies.iter().enumerate() {
            let r = &e.rows[pi];
            let all: Vec<Row> = (0..r.step.len()).map(|i| row(&e, pi, &em, i)).collect();
            let orders: Vec<Option<&[u32]>> = (0..steps.len()).map(|s| e.score_order(pi, s)).collect();
            for (s, o) in orders.iter().enumerate() {
                let scores: Vec<f64> =
                    all.iter().filter(|x| x.step == s && Some(x.miner) != names.burn).map(|x| x.window_score).collect();
                let o = o.expect("an order kept at every step");
                assert_eq!(o.len(), scores.len());
                assert!(o.windows(2).all(|w| scores[w[0] as usize] <= scores[w[1] as usize]), "step {s} sorted");
            }
            let bounds = |b: &str| policy.bounds(b);
            let plain = policy_metrics(&policy.name, steps.len(), &all, &names, &bounds);
            let ordered = policy_metrics_ordered(
                &policy.name,
                steps.len(),
                &mut EngineRows::new(&e, pi, &em),
                &names,
                &bounds,
                &orders,
            );
            assert_eq!(serde_json::to_string(&plain).unwrap(), serde_json::to_string(&ordered).unwrap(), "{pi}");
            assert!(plain.reward_score_spearman.is_some());
        }
    }
}
