//! Caller keys in the ledger's SQLite database (table `spark_keys`, created with the ledger's
//! schema). The statements are the portable subset PostgreSQL runs unchanged.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{KeyInfo, KeyStore, StoredKey};
use crate::error::Result;
use crate::ledger::SqliteStore;

const COLUMNS: &str =
    "id, caller, name, scopes, tier, salt, hash, created_ms, expires_ms, revoked_ms, last_used_ms";

const INSERT: &str = "INSERT INTO spark_keys (id, caller, name, scopes, tier, salt, hash, created_ms, \
     expires_ms, revoked_ms, last_used_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const REVOKE: &str = "UPDATE spark_keys SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL";

const TOUCH: &str =
    "UPDATE spark_keys SET last_used_ms = $2 WHERE id = $1 AND (last_used_ms IS NULL OR last_used_ms < $2)";

fn key_row(row: &SqliteRow) -> std::result::Result<StoredKey, sqlx::Error> {
    let scopes: String = row.try_get("scopes")?;
    Ok(StoredKey {
        info: KeyInfo {
            id: row.try_get("id")?,
            caller: row.try_get("caller")?,
            name: row.try_get("name")?,
            scopes: scopes.split_whitespace().map(str::to_string).collect(),
            tier: row.try_get("tier")?,
            created_ms: row.try_get("created_ms")?,
            expires_ms: row.try_get("expires_ms")?,
            revoked_ms: row.try_get("revoked_ms")?,
            last_used_ms: row.try_get("last_used_ms")?,
        },
        salt: row.try_get("salt")?,
        hash: row.try_get("hash")?,
    })
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn insert(&self, key: &StoredKey) -> Result<()> {
        let k = key.clone();
        self.run(Box::new(move |conn| {
            Box::pin(async move {
                let scopes = k.info.scopes.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
                sqlx::query(INSERT)
                    .bind(k.info.id)
                    .bind(k.info.caller)
                    .bind(k.info.name)
                    .bind(scopes)
                    .bind(k.info.tier)
                    .bind(k.salt)
                    .bind(k.hash)
                    .bind(k.info.created_ms)
                    .bind(k.info.expires_ms)
                    .bind(k.info.revoked_ms)
                    .bind(k.info.last_used_ms)
                    .execute(conn)
                    .await
                    .map(|_| ())
            })
        }))
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<StoredKey>> {
        let id = id.to_string();
        self.run(Box::new(move |conn| {
            Box::pin(async move {
                let sql = format!("SELECT {COLUMNS} FROM spark_keys WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
                row.as_ref().map(key_row).transpose()
            })
        }))
        .await
    }

    async fn list(&self) -> Result<Vec<KeyInfo>> {
        self.run(Box::new(move |conn| {
            Box::pin(async move {
                let sql = format!("SELECT {COLUMNS} FROM spark_keys ORDER BY created_ms, id");
                let rows = sqlx::query(&sql).fetch_all(conn).await?;
                rows.iter().map(|r| key_row(r).map(|k| k.info)).collect()
            })
        }))
        .await
    }

    async fn revoke(&self, id: &str, at_ms: i64) -> Result<bool> {
        let id = id.to_string();
        self.run(Box::new(move |conn| {
            Box::pin(async move {
                let done = sqlx::query(REVOKE).bind(id).bind(at_ms).execute(conn).await?;
                Ok(done.rows_affected() == 1)
            })
        }))
        .await
    }

    async fn touch(&self, id: &str, at_ms: i64) -> Result<()> {
        let id = id.to_string();
        self.run(Box::new(move |conn| {
            Box::pin(async move { sqlx::query(TOUCH).bind(id).bind(at_ms).execute(conn).await.map(|_| ()) })
        }))
        .await
    }
}
