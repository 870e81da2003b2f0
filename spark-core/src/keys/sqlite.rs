//! Caller keys in the ledger's SQLite database (table `spark_keys`, created with the ledger's
//! schema); the SQL is shared with PostgreSQL (`super::sql`).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::sql::{COLUMNS, INSERT, REVOKE, TOUCH};
use super::{KeyInfo, KeyStore, StoredKey};
use crate::error::Result;
use crate::ledger::SqliteStore;

super::sql::key_rows!(SqliteRow);

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
