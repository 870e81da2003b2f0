//! Stable asset GUIDs.
//!
//! Unity links assets by the GUID in their `.meta`, so a re-exported script must keep its GUID
//! or every scene and prefab reference to it breaks. A GUID is therefore derived, never random
//! and never taken from model output: HMAC-SHA256 under a fixed domain key of the package id and
//! the asset's path inside the package, cut to 128 bits and written as 32 lowercase hex digits.

use std::collections::HashSet;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Domain key: GUIDs of other tools hashing the same strings cannot coincide with ours.
const DOMAIN_KEY: &[u8] = b"spark/export/asset-guid/v1";

/// The GUID an asset at `rel_path` (relative to the package, `/`-separated) of `package_id`
/// gets when nothing collides with it. Within one export, an asset whose GUID is already taken
/// (odds 2^-128) gets a re-derived one, deciding in sorted path order.
pub fn stable_guid(package_id: &str, rel_path: &str) -> String {
    hex::encode(derive(package_id, rel_path, 0))
}

/// Whether `s` has the form of a Unity GUID: 32 lowercase hex digits.
pub fn is_unity_guid(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn derive(package_id: &str, rel_path: &str, attempt: u32) -> [u8; 16] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(DOMAIN_KEY).expect("HMAC takes keys of any length");
    // Length prefixes keep ("a/b", "c") and ("a", "b/c") apart.
    for part in [package_id.as_bytes(), rel_path.as_bytes()] {
        mac.update(&(part.len() as u64).to_le_bytes());
        mac.update(part);
    }
    if attempt > 0 {
        mac.update(&attempt.to_le_bytes());
    }
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

type Deriver = fn(&str, &str, u32) -> [u8; 16];

/// Hands out the GUIDs of one export, unique within it.
///
/// Assets are allocated in sorted path order; when a derived GUID is already taken (or is the
/// all-zero GUID Unity treats as missing), the next attempt mixes a counter into the hash. The
/// outcome depends only on the set of paths, so it is reproducible.
pub(crate) struct GuidAllocator {
    used: HashSet<[u8; 16]>,
    derive: Deriver,
}

impl Default for GuidAllocator {
    fn default() -> Self {
        GuidAllocator { used: HashSet::new(), derive }
    }
}

impl GuidAllocator {
    pub fn allocate(&mut self, package_id: &str, rel_path: &str) -> String {
        for attempt in 0u32.. {
            let g = (self.derive)(package_id, rel_path, attempt);
            if g != [0; 16] && self.used.insert(g) {
                return hex::encode(g);
            }
        }
        unreachable!("2^32 collisions in a row")
    }

    #[cfg(test)]
    fn with_deriver(derive: Deriver) -> Self {
        GuidAllocator { used: HashSet::new(), derive }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_stability() {
        let a = stable_guid("Assets/Generated", "Scripts/Player.cs");
        assert!(is_unity_guid(&a), "{a}");
        assert_eq!(a, stable_guid("Assets/Generated", "Scripts/Player.cs"));
        assert_ne!(a, stable_guid("Assets/Generated", "Scripts/Enemy.cs"));
        assert_ne!(a, stable_guid("Assets/Other", "Scripts/Player.cs"));
        assert_ne!(stable_guid("a/b", "c"), stable_guid("a", "b/c"));
        assert!(!is_unity_guid("0123456789ABCDEF0123456789abcdef"));
        assert!(!is_unity_guid("0123"));
    }

    #[test]
    fn collisions_resolve_deterministically() {
        // Every path derives the same GUID on the first attempt: later paths must move on.
        fn clash(p: &str, r: &str, attempt: u32) -> [u8; 16] {
            if attempt == 0 { [7; 16] } else { derive(p, r, attempt) }
        }
        let run = || {
            let mut g = GuidAllocator::with_deriver(clash);
            ["a", "b", "c"].map(|r| g.allocate("pkg", r))
        };
        let first = run();
        assert_eq!(first[0], hex::encode([7u8; 16]));
        assert!(first.iter().all(|g| is_unity_guid(g)));
        assert!(first[0] != first[1] && first[1] != first[2] && first[0] != first[2]);
        assert_eq!(first, run());

        fn zero(p: &str, r: &str, attempt: u32) -> [u8; 16] {
            if attempt == 0 { [0; 16] } else { derive(p, r, attempt) }
        }
        assert_ne!(GuidAllocator::with_deriver(zero).allocate("pkg", "a"), "0".repeat(32));
    }
}
