//! Metric rows from engine rows: rewards through the emission model's one formula, deltas
//! against engine policy 0. Sweeps read a variant's rows through it a step at a time; the
//! report reads the same values back from the results table, which the same formula wrote.

use super::policy::{Names, StepCols, StepRows, dust_paid};
use crate::replay::emission::Emission;
use crate::replay::engine::Engine;

/// The baseline's (engine policy 0's) reward and dust-paid reward per row: every policy's rows
/// line up with the baseline's, so a sweep's chunk computes them once for all its variants.
pub struct Baseline {
    usd: Vec<f64>,
    dust_paid: Vec<f64>,
}

impl Baseline {
    pub fn of(engine: &Engine, em: &Emission) -> Baseline {
        let base = &engine.rows[0];
        let usd: Vec<f64> = base.step.iter().zip(&base.final_w).map(|(&s, &w)| em.usd(s as usize, w)).collect();
        let dust_paid = (0..usd.len()).map(|i| dust_paid(usd[i], base.dust[i], base.payout[i], base.debt[i])).collect();
        Baseline { usd, dust_paid }
    }
}

/// Engine policy `pi`'s metric rows a step at a time: the engine's own columns, with the
/// rewards of the step computed into reused buffers.
pub struct EngineRows<'e> {
    engine: &'e Engine<'e>,
    pi: usize,
    em: &'e Emission,
    base: &'e Baseline,
    next: usize,
    /// reward_alpha, reward_usd, delta_usd of the step's rows.
    buf: [Vec<f64>; 3],
}

impl<'e> EngineRows<'e> {
    pub fn new(engine: &'e Engine<'e>, pi: usize, em: &'e Emission, base: &'e Baseline) -> Self {
        EngineRows { engine, pi, em, base, next: 0, buf: Default::default() }
    }
}

impl StepRows for EngineRows<'_> {
    fn buckets_seen(&self, n_buckets: usize, burn: Option<u32>) -> Vec<bool> {
        let rows = &self.engine.rows[self.pi];
        super::policy::buckets_seen(rows.hotkey.iter().copied().zip(rows.bucket.iter().copied()), n_buckets, burn)
    }

    fn step(&mut self, step: usize) -> StepCols<'_> {
        let r = &self.engine.rows[self.pi];
        let start = self.next;
        while self.next < r.step.len() && r.step[self.next] as usize == step {
            self.next += 1;
        }
        let at = start..self.next;
        let [alpha, usd, delta] = &mut self.buf;
        alpha.clear();
        usd.clear();
        self.em.rewards(step, &r.final_w[at.clone()], alpha, usd);
        delta.clear();
        delta.extend(usd.iter().zip(&self.base.usd[at.clone()]).map(|(u, b)| u - b));
        StepCols {
            miner: &r.hotkey[at.clone()],
            bucket: &r.bucket[at.clone()],
            window_score: &r.window_score[at.clone()],
            dust: &r.dust[at.clone()],
            payout: &r.payout[at.clone()],
            final_w: &r.final_w[at.clone()],
            debt: &r.debt[at.clone()],
            reward_alpha: alpha,
            reward_usd: usd,
            delta_usd: delta,
            baseline_usd: &self.base.usd[at.clone()],
            baseline_dust_paid: &self.base.dust_paid[at],
        }
    }
}

/// The engine's name tables, with the burn's id.
pub fn names<'a>(engine: &'a Engine) -> Names<'a> {
    Names { miners: &engine.hotkeys.names, buckets: &engine.bucket_names.names, burn: engine.burn_id() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::policy::{Row, policy_metrics, policy_metrics_ordered};
    use crate::policy::preset;
    use crate::population::generate::{PopulationParams, generate};
    use crate::replay::emission::Source;
    use crate::replay::engine::Feedback;
    use crate::time::MS_PER_DAY;

    /// A policy's rows as one table, read a step at a time.
    fn rows_of(rows: &mut EngineRows, n_steps: usize) -> Vec<Row> {
        let mut all = Vec::new();
        for step in 0..n_steps {
            let c = rows.step(step);
            all.extend((0..c.miner.len()).map(|k| Row {
                step,
                miner: c.miner[k],
                bucket: c.bucket[k],
                window_score: c.window_score[k],
                dust: c.dust[k],
                payout: c.payout[k],
                final_w: c.final_w[k],
                reward_alpha: c.reward_alpha[k],
                reward_usd: c.reward_usd[k],
                delta_usd: c.delta_usd[k],
                baseline_usd: c.baseline_usd[k],
                debt: c.debt[k],
                baseline_dust_paid: c.baseline_dust_paid[k],
            }));
        }
        all
    }

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
        let baseline = Baseline::of(&e, &em);
        let table = crate::replay::results::frame(&e, &em, 0).unwrap();
        for (pi, policy) in policies.iter().enumerate() {
            let r = &e.rows[pi];
            let all = rows_of(&mut EngineRows::new(&e, pi, &em, &baseline), steps.len());
            assert_eq!(all.len(), r.step.len());
            // The sweep's rows hold the results table's figures, to the bit.
            let col = |name: &str| -> Vec<f64> {
                let c = table.column(name).unwrap().f64().unwrap();
                c.into_no_null_iter().skip(pi * r.step.len()).take(r.step.len()).collect()
            };
            let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<u64>>();
            let of = |f: fn(&Row) -> f64| bits(all.iter().map(f).collect());
            assert_eq!(of(|x| x.reward_alpha), bits(col("reward_alpha")), "{pi}: reward_alpha");
            assert_eq!(of(|x| x.reward_usd), bits(col("reward_usd")), "{pi}: reward_usd");
            assert_eq!(of(|x| x.delta_usd), bits(col("delta_usd")), "{pi}: delta_usd");
            assert_eq!(of(|x| x.baseline_usd), bits(col("baseline_reward_usd")), "{pi}: baseline_usd");
            assert!(all.iter().any(|x| x.delta_usd != 0.0) || pi == 0, "{pi}: the variants pay differently");
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
                &mut EngineRows::new(&e, pi, &em, &baseline),
                &names,
                &bounds,
                &orders,
            );
            assert_eq!(serde_json::to_string(&plain).unwrap(), serde_json::to_string(&ordered).unwrap(), "{pi}");
            assert!(plain.reward_score_spearman.is_some());
        }
    }
}
