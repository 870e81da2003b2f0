//! Caller keys in the process: lost with it, for tests and single-process hosts.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{KeyInfo, KeyStore, StoredKey};
use crate::error::{Error, Result};

/// A [`KeyStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    keys: Mutex<BTreeMap<String, StoredKey>>,
}

impl MemoryKeyStore {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, StoredKey>) -> T) -> T {
        f(&mut self.keys.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl KeyStore for MemoryKeyStore {
    async fn insert(&self, key: &StoredKey) -> Result<()> {
        self.with(|keys| {
            if keys.contains_key(&key.info.id) {
                return Err(Error::Internal(format!("caller key id `{}` exists", key.info.id)));
            }
            keys.insert(key.info.id.clone(), key.clone());
            Ok(())
        })
    }

    async fn get(&self, id: &str) -> Result<Option<StoredKey>> {
        Ok(self.with(|keys| keys.get(id).cloned()))
    }

    async fn list(&self) -> Result<Vec<KeyInfo>> {
        let mut all: Vec<KeyInfo> = self.with(|keys| keys.values().map(|k| k.info.clone()).collect());
        all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(all)
    }

    async fn revoke(&self, id: &str, at_ms: i64) -> Result<bool> {
        Ok(self.with(|keys| match keys.get_mut(id) {
            Some(k) if k.info.revoked_ms.is_none() => {
                k.info.revoked_ms = Some(at_ms);
                true
            }
            _ => false,
        }))
    }

    async fn touch(&self, id: &str, at_ms: i64) -> Result<()> {
        self.with(|keys| {
            if let Some(k) = keys.get_mut(id) {
                k.info.last_used_ms = Some(k.info.last_used_ms.map_or(at_ms, |t| t.max(at_ms)));
            }
        });
        Ok(())
    }
}
