//! Seeded, counter-based pseudo-randomness. Every attester regenerates the same values from the
//! same seed (e.g. one derived from chain state), on any platform: integer operations only.

/// SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Counter-based value for `(seed, stream, index)`: random access, no state.
pub const fn hash3(seed: u64, stream: u64, index: u64) -> u64 {
    mix64(mix64(mix64(seed ^ 0x9e37_79b9_7f4a_7c15).wrapping_add(stream)).wrapping_add(index))
}

/// Sequential SplitMix64 generator.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.state)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (tiny bias is irrelevant for test data).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform f32 in `[-1, 1)` built from 24 random bits (exact, platform-independent).
    pub fn unit_f32(&mut self) -> f32 {
        let bits = (self.next_u64() >> 40) as u32; // 24 bits
        (bits as f32) / ((1u32 << 23) as f32) - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_known_answer() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn unit_f32_in_range() {
        let mut r = SplitMix64::new(7);
        for _ in 0..1000 {
            let x = r.unit_f32();
            assert!((-1.0..1.0).contains(&x));
        }
    }
}
