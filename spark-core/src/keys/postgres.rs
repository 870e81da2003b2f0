//! Caller keys on PostgreSQL, beside the ledger (table `spark_keys`); the SQL and the row
//! mapping are the SQLite store's (`super::sql`).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::sql::{COLUMNS, INSERT, REVOKE, TOUCH};
use super::{KeyInfo, KeyStore, StoredKey};
use crate::error::Result;
use crate::ledger::PgStore;

super::sql::key_rows!(PgRow);

#[async_trait]
impl KeyStore for PgStore {
    async fn insert(&self, key: &StoredKey) -> Result<()> {
        let k = key;
        let scopes = k.info.scopes.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
        sqlx::query(INSERT)
            .bind(&k.info.id)
            .bind(&k.info.caller)
            .bind(&k.info.name)
            .bind(scopes)
            .bind(&k.info.tier)
            .bind(&k.salt)
            .bind(&k.hash)
            .bind(k.info.created_ms)
            .bind(k.info.expires_ms)
            .bind(k.info.revoked_ms)
            .bind(k.info.last_used_ms)
            .execute(self.pool().await?)
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }

    async fn get(&self, id: &str) -> Result<Option<StoredKey>> {
        let sql = format!("SELECT {COLUMNS} FROM spark_keys WHERE id = $1");
        let row =
            sqlx::query(&sql).bind(id).fetch_optional(self.pool().await?).await.map_err(|e| self.error(e))?;
        row.as_ref().map(key_row).transpose().map_err(|e| self.error(e))
    }

    async fn list(&self) -> Result<Vec<KeyInfo>> {
        let sql = format!("SELECT {COLUMNS} FROM spark_keys ORDER BY created_ms, id");
        let rows = sqlx::query(&sql).fetch_all(self.pool().await?).await.map_err(|e| self.error(e))?;
        rows.iter()
            .map(|r| key_row(r).map(|k| k.info))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.error(e))
    }

    async fn revoke(&self, id: &str, at_ms: i64) -> Result<bool> {
        let done = sqlx::query(REVOKE)
            .bind(id)
            .bind(at_ms)
            .execute(self.pool().await?)
            .await
            .map_err(|e| self.error(e))?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch(&self, id: &str, at_ms: i64) -> Result<()> {
        sqlx::query(TOUCH)
            .bind(id)
            .bind(at_ms)
            .execute(self.pool().await?)
            .await
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}
