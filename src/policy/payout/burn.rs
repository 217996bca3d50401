//! The burn step and production's final ordering.

/// Who a weight goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A miner, by its index in file order.
    Miner(usize),
    /// The burn UID (229 on mainnet, 220 on testnet).
    Burn,
}

/// `S = Σ weights` (left to right, file order). If `S < 1` the burn gets `1 − S` and the
/// miners keep their weights; otherwise every weight is divided by `S` and there is no burn
/// entry. Returns the miners' final weights (file order) and the burn entry, if any.
pub fn burn_step(weights: &[f64]) -> (Vec<f64>, Option<f64>) {
    let sum: f64 = weights.iter().fold(0.0, |acc, w| acc + w);
    if sum < 1.0 { (weights.to_vec(), Some(1.0 - sum)) } else { (weights.iter().map(|w| w / sum).collect(), None) }
}

/// Production's final order: by weight, descending; ties keep file order and the burn,
/// appended last, stays last among equals (a stable sort, as Python's `sorted`).
pub fn order(final_w: &[f64], burn: Option<f64>) -> Vec<(Target, f64)> {
    let mut out: Vec<(Target, f64)> = final_w.iter().enumerate().map(|(i, w)| (Target::Miner(i), *w)).collect();
    if let Some(b) = burn {
        out.push((Target::Burn, b));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(w: &[f64]) -> Vec<(Target, f64)> {
        let (f, b) = burn_step(w);
        order(&f, b)
    }

    #[test]
    fn below_one_burns_the_rest() {
        assert_eq!(step(&[0.25, 0.5]), vec![(Target::Miner(1), 0.5), (Target::Miner(0), 0.25), (Target::Burn, 0.25)]);
    }

    #[test]
    fn zero_sum_burns_everything() {
        assert_eq!(step(&[0.0, 0.0]), vec![(Target::Burn, 1.0), (Target::Miner(0), 0.0), (Target::Miner(1), 0.0)]);
        assert_eq!(step(&[]), vec![(Target::Burn, 1.0)]);
    }

    #[test]
    fn at_or_above_one_normalises_without_burn() {
        assert_eq!(step(&[3.0, 1.0]), vec![(Target::Miner(0), 0.75), (Target::Miner(1), 0.25)]);
        assert_eq!(
            step(&[0.5, 0.5]),
            vec![(Target::Miner(0), 0.5), (Target::Miner(1), 0.5)],
            "S = 1 exactly: divide, no burn"
        );
    }

    #[test]
    fn ties_keep_file_order_and_burn_last_among_equals() {
        assert_eq!(
            step(&[0.25, 0.5, 0.0]),
            vec![(Target::Miner(1), 0.5), (Target::Miner(0), 0.25), (Target::Burn, 0.25), (Target::Miner(2), 0.0)]
        );
    }
}
