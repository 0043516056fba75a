//! A job's digest and the SHA-256 chain that computes it: a leaf that imports nothing of this crate.

use std::fmt;
use std::ops::{BitXor, BitXorAssign};

use sha2::{Digest as _, Sha256};

/// A 32-byte SHA-256 digest. XOR-combinable, printed as lowercase hex.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Lowercase hex, as `sha256sum` prints it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl BitXor for Digest {
    type Output = Digest;
    fn bitxor(mut self, rhs: Digest) -> Digest {
        self ^= rhs;
        self
    }
}

impl BitXorAssign for Digest {
    fn bitxor_assign(&mut self, rhs: Digest) {
        for (a, b) in self.0.iter_mut().zip(rhs.0) {
            *a ^= b;
        }
    }
}

impl FromIterator<Digest> for Digest {
    fn from_iter<I: IntoIterator<Item = Digest>>(iter: I) -> Digest {
        iter.into_iter().fold(Digest::default(), BitXor::bitxor)
    }
}

/// The SHA-256 chain of one job: `h(rounds)` starting from `SHA-256(seed.to_le_bytes())`.
///
/// Never inlined, so every strategy runs the very same machine code for a job: otherwise the compiler may
/// lay the loop out differently inside each strategy, and a per-job speed difference would pass for scaling.
#[inline(never)]
pub fn chain(seed: u64, rounds: u32) -> Digest {
    let mut h: [u8; 32] = Sha256::digest(seed.to_le_bytes()).into();
    for _ in 0..rounds {
        h = Sha256::digest(h).into();
    }
    Digest(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_zero_rounds_is_sha256_of_the_seed_bytes() {
        // printf '\x00\x00\x00\x00\x00\x00\x00\x00' | sha256sum
        assert_eq!(chain(0, 0).to_hex(), "af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
    }

    #[test]
    fn chain_one_round_hashes_the_raw_digest_not_its_hex() {
        let h0 = Sha256::digest(7u64.to_le_bytes());
        let h1: [u8; 32] = Sha256::digest(h0).into();
        assert_eq!(chain(7, 1), Digest(h1));
        assert_ne!(chain(7, 1), chain(7, 0));
    }

    #[test]
    fn xor_is_order_independent_and_self_cancelling() {
        let (a, b, c) = (chain(1, 3), chain(2, 3), chain(3, 3));
        assert_eq!([a, b, c].into_iter().collect::<Digest>(), [c, a, b].into_iter().collect::<Digest>());
        assert_eq!(a ^ a, Digest::default());
    }
}
