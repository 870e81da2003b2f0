//! Caller keys from Node (`spark.keys.create`, `list`, `revoke`, `verify`): a failed check
//! rejects with a `SparkError` with code `unauthenticated` and a `reason`, a missing scope with
//! code `forbidden` and a `scope`.

use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi_derive::napi;
use spark_core::KeySpec;

use crate::error::{Failure, type_error};
use crate::{args, promise};

/// What is known about a caller key: never its secret.
#[napi(object)]
pub struct KeyInfo {
    /// The public id (16 hex digits).
    pub id: String,
    /// The caller id its requests are limited, budgeted and recorded under.
    pub caller: String,
    /// A label for people.
    pub name: Option<String>,
    /// What the key may do (`generate`, `validate`, `export`, `usage`, `admin`).
    pub scopes: Vec<String>,
    /// The tier whose limits apply to its requests.
    pub tier: Option<String>,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: f64,
    /// Expiry, ms since the Unix epoch.
    pub expires_ms: Option<f64>,
    /// Revocation time, ms since the Unix epoch.
    pub revoked_ms: Option<f64>,
    /// Last successful verification (to within a minute), ms since the Unix epoch.
    pub last_used_ms: Option<f64>,
}

impl From<spark_core::KeyInfo> for KeyInfo {
    fn from(k: spark_core::KeyInfo) -> Self {
        KeyInfo {
            id: k.id,
            caller: k.caller,
            name: k.name,
            scopes: k.scopes.into_iter().collect(),
            tier: k.tier,
            created_ms: k.created_ms as f64,
            expires_ms: k.expires_ms.map(|t| t as f64),
            revoked_ms: k.revoked_ms.map(|t| t as f64),
            last_used_ms: k.last_used_ms.map(|t| t as f64),
        }
    }
}

/// A key just created: `key` is its only copy (the store keeps a hash).
#[napi(object)]
pub struct CreatedKey {
    /// The key to hand to the caller (`spk_…`).
    pub key: String,
    /// Its description.
    pub info: KeyInfo,
}

/// Options of `keys.create`; every field is optional.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct KeyOptions {
    /// Scopes granted (default `["generate"]`).
    pub scopes: Option<Vec<String>>,
    /// Tier of the key's requests (a `[tiers]` name).
    pub tier: Option<String>,
    /// A label for people.
    pub name: Option<String>,
    /// Lifetime in seconds from now.
    pub expires_in_seconds: Option<f64>,
}

const KEY_OPTION_KEYS: &[&str] = &["scopes", "tier", "name", "expiresInSeconds"];

fn spec(caller: &Unknown<'_>, options: &Unknown<'_>) -> Result<KeySpec, Failure> {
    let caller = args::string(caller, "caller")?;
    let o = args::object::<KeyOptions>(options, "options", true, Some(KEY_OPTION_KEYS))?.unwrap_or_default();
    let mut spec = KeySpec::new(caller);
    if let Some(s) = o.scopes {
        spec = spec.scopes(s);
    }
    if let Some(t) = o.tier {
        spec = spec.tier(t);
    }
    if let Some(n) = o.name {
        spec = spec.name(n);
    }
    if let Some(secs) = o.expires_in_seconds {
        if !(secs.is_finite() && secs > 0.0 && secs <= 1e11) {
            return Err(Failure::Type(
                "options.expiresInSeconds must be a positive number of seconds".into(),
            ));
        }
        spec = spec.expires_in(std::time::Duration::from_secs_f64(secs));
    }
    Ok(spec)
}

/// The caller keys of a client (`spark.keys`): kept in the ledger's database (`[ledger] path`;
/// memory without one) as salted hashes.
#[napi]
pub struct KeyManager {
    pub(crate) spark: spark_core::Spark,
}

#[napi]
impl KeyManager {
    /// Creates a caller key for `caller`. The `key` in the answer is shown this once: only a
    /// salted hash is stored.
    #[napi(
        ts_args_type = "caller: string, options?: KeyOptions | null",
        ts_return_type = "Promise<CreatedKey>"
    )]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        caller: Unknown,
        options: Unknown,
    ) -> napi::Result<PromiseRaw<'env, CreatedKey>> {
        let spec = spec(&caller, &options);
        let spark = self.spark.clone();
        promise(env, async move {
            let created = spark.keys().create(spec?).await?;
            Ok(CreatedKey { key: created.secret.expose().to_owned(), info: created.info.into() })
        })
    }

    /// Every caller key, oldest first (never a secret).
    #[napi(ts_return_type = "Promise<KeyInfo[]>")]
    pub fn list<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Vec<KeyInfo>>> {
        let spark = self.spark.clone();
        promise(env, async move { Ok(spark.keys().list().await?.into_iter().map(KeyInfo::from).collect()) })
    }

    /// Revokes the key with this id; rejects with `invalid_request` for an unknown id.
    #[napi(ts_args_type = "id: string", ts_return_type = "Promise<KeyInfo>")]
    pub fn revoke<'env>(&self, env: &'env Env, id: Unknown) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let id = args::string(&id, "id").map_err(|e| type_error(env, e.0))?;
        let spark = self.spark.clone();
        promise(env, async move { Ok(spark.keys().revoke(&id).await?.into()) })
    }

    /// Checks a caller key (and `scope`, when given). Resolves with its description; use its
    /// `caller` and `tier` as `generate` options. Rejects with code `unauthenticated` (`reason`:
    /// `malformed_key`, `unknown_key`, `bad_secret`, `revoked`, `expired`) or `forbidden`.
    #[napi(ts_args_type = "key: string, scope?: string | null", ts_return_type = "Promise<KeyInfo>")]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        key: Unknown,
        scope: Unknown,
    ) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let key = args::string(&key, "key").map_err(|e| type_error(env, e.0))?;
        let scope = if args::is_absent(&scope).map_err(|e| type_error(env, e.0))? {
            None
        } else {
            Some(args::string(&scope, "scope").map_err(|e| type_error(env, e.0))?)
        };
        let spark = self.spark.clone();
        promise(env, async move {
            let info = match scope {
                Some(s) => spark.keys().authorize(&key, &s).await?,
                None => spark.keys().verify(&key).await?,
            };
            Ok(info.into())
        })
    }
}
