//! Caller keys' SQL and row mapping, shared by every sqlx backend (table `spark_keys`, created
//! with the ledger's schema). The statements are the portable subset SQLite and PostgreSQL run
//! unchanged.

pub(crate) const COLUMNS: &str =
    "id, caller, name, scopes, tier, salt, hash, created_ms, expires_ms, revoked_ms, last_used_ms";

pub(crate) const INSERT: &str = "INSERT INTO spark_keys (id, caller, name, scopes, tier, salt, hash, created_ms, \
     expires_ms, revoked_ms, last_used_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

pub(crate) const REVOKE: &str = "UPDATE spark_keys SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL";

pub(crate) const TOUCH: &str =
    "UPDATE spark_keys SET last_used_ms = $2 WHERE id = $1 AND (last_used_ms IS NULL OR last_used_ms < $2)";

/// Defines `key_row` for one sqlx row type.
macro_rules! key_rows {
    ($row:ty) => {
        fn key_row(row: &$row) -> std::result::Result<$crate::keys::StoredKey, sqlx::Error> {
            let scopes: String = row.try_get("scopes")?;
            Ok($crate::keys::StoredKey {
                info: $crate::keys::KeyInfo {
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
    };
}
pub(crate) use key_rows;
