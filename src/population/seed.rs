//! Explicit, portable seeding: every generator comes from (scenario seed, stream index)
//! through SplitMix64 into Xoshiro256++, whose output rand documents as stable.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

pub type Rng = Xoshiro256PlusPlus;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for stream `index` of a run seeded with `seed`.
pub fn rng(seed: u64, index: u64) -> Rng {
    Rng::seed_from_u64(splitmix(seed ^ splitmix(index.wrapping_add(1))))
}
