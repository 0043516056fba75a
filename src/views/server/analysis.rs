//! What a reply must be: the digest the suite's own chain gives for the request's seed and rounds. The load
//! generator of a later step checks every reply with it; the tests do now.

use super::Query;
use crate::workload::{Digest, chain};

/// The digest a request's reply must carry: `h(rounds)` from `seed` (`cvp hash --seed S --rounds R`).
pub fn expected(query: Query) -> Digest {
    chain(query.seed, query.rounds)
}

/// Checks a 200 reply's body against [`expected`]: the digest in lowercase hex, a newline allowed after it.
pub fn check_body(query: Query, body: &[u8]) -> Result<(), String> {
    let want = expected(query).to_hex();
    let got = body.strip_suffix(b"\n").unwrap_or(body);
    if got == want.as_bytes() {
        Ok(())
    } else {
        Err(format!(
            "seed {} rounds {}: got {:?}, expected {want}",
            query.seed,
            query.rounds,
            String::from_utf8_lossy(&got[..got.len().min(80)])
        ))
    }
}
