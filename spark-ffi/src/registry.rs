//! Live-handle registries.
//!
//! Every handle handed to C (`spark_client_t*`, `spark_cancel_t*`, `spark_error_t*`) is an opaque
//! token: a process-unique, never-reused number disguised as a pointer, looked up here on every
//! call. Nothing is ever read through a pointer that C hands back, so a freed, double-freed,
//! forged or wrong-kind handle is reported as `SPARK_ERROR_INVALID_ARGUMENT` instead of becoming
//! a use-after-free, and a stale handle can never alias a newer object the way a reused heap
//! address would. (B-tree maps rather than hash maps: their nodes are referenced from their start,
//! so valgrind sees the process-lifetime tables as reachable rather than "possibly lost".)

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

/// Token spacing: keeps tokens aligned like real pointers and leaves room for none to be 0.
const STEP: usize = 16;

static NEXT: AtomicUsize = AtomicUsize::new(0x5_0000);

/// A fresh token, never 0 and never handed out before (one counter serves every kind, so a
/// handle of one kind is never a valid handle of another).
fn next_token() -> usize {
    loop {
        let t = NEXT.fetch_add(STEP, Ordering::Relaxed);
        if t != 0 {
            return t;
        }
    }
}

/// Objects of one kind by token.
pub(crate) struct Registry<T> {
    live: LazyLock<RwLock<BTreeMap<usize, Arc<T>>>>,
}

impl<T> Registry<T> {
    pub(crate) const fn new() -> Self {
        Registry { live: LazyLock::new(|| RwLock::new(BTreeMap::new())) }
    }

    /// Registers `value` and returns its token.
    pub(crate) fn insert(&self, value: T) -> usize {
        let token = next_token();
        self.live.write().unwrap_or_else(|e| e.into_inner()).insert(token, Arc::new(value));
        token
    }

    /// The live object behind `token`. The `Arc` keeps it alive for the duration of a call even
    /// when another thread frees the handle meanwhile.
    pub(crate) fn get(&self, token: usize) -> Option<Arc<T>> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).get(&token).cloned()
    }

    /// Unregisters `token`; `None` when it was not live (double free, forged handle).
    pub(crate) fn remove(&self, token: usize) -> Option<Arc<T>> {
        self.live.write().unwrap_or_else(|e| e.into_inner()).remove(&token)
    }

    /// Runs `f` on the live object without cloning its `Arc` (the lock is held meanwhile).
    pub(crate) fn with<R>(&self, token: usize, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).get(&token).map(|v| f(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_removal_is_once() {
        let reg: Registry<u32> = Registry::new();
        let a = reg.insert(1);
        let b = reg.insert(2);
        assert_ne!(a, b);
        assert_eq!(a % STEP, 0);
        assert_eq!(reg.get(a).as_deref(), Some(&1));
        assert!(reg.remove(a).is_some());
        assert!(reg.remove(a).is_none());
        assert!(reg.get(a).is_none());
        assert_eq!(reg.with(b, |v| *v + 1), Some(3));
    }
}
