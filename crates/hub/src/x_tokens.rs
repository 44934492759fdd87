//! Keeps an X channel's renewed OAuth tokens sealed in the database, so every worker uses the newest pair, renewals run one at a time (a DB lease), and the pair survives restarts.
//!
//! The kept pair belongs to the configured credentials it grew from: when a person configures
//! a new access or refresh token (re-authorised, in the file or the admin UI), the configured pair
//! wins again and the chain starts anew.

use std::sync::Arc;

use rathaus_channels::publish::{BoxFuture, NetworkConfig, XConfig};
use rathaus_channels::x::{XTokenKeeper, XTokens};
use rathaus_store::{now_ms, Store};

/// Names in `network_secrets` (beside the admin UI's `access_token`).
const PREFIX: &str = "renewed_";
const ACCESS: &str = "renewed_access_token";
const REFRESH: &str = "renewed_refresh_token";
const EXPIRES: &str = "renewed_expires_at";
/// Which configured credentials the kept pair grew from (a hash, never the tokens).
const CHAIN: &str = "renewed_from";
/// How long one worker may renew before another may try (X answers in well under this).
const LEASE_MS: i64 = 30_000;

/// An X channel's tokens in the store.
pub struct StoreTokenKeeper {
    store: Store,
    municipality_id: i64,
    channel: String,
    chain: String,
    /// This keeper's name on the lease.
    holder: String,
}

impl StoreTokenKeeper {
    pub fn new(store: Store, municipality_id: i64, config: &XConfig, channel: &str) -> Self {
        let mut configured = config.access_token.clone().into_bytes();
        configured.push(0);
        configured.extend_from_slice(
            config
                .refresh_token
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        let chain = rathaus_crypto::sha256_hex(&configured);
        StoreTokenKeeper {
            store,
            municipality_id,
            channel: channel.to_string(),
            chain,
            holder: format!("x-renewal-{}", rathaus_crypto::random_token(16)),
        }
    }

    fn lease_name(&self) -> String {
        format!("x-token-renewal:{}:{}", self.municipality_id, self.channel)
    }

    async fn load_kept(&self) -> Result<Option<XTokens>, String> {
        let kept = self
            .store
            .network_tokens(self.municipality_id, &self.channel, PREFIX)
            .await
            .map_err(|e| e.to_string())?;
        let get = |name: &str| kept.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        if get(CHAIN).as_deref() != Some(self.chain.as_str()) {
            return Ok(None);
        }
        let (Some(access_token), Some(refresh_token)) = (get(ACCESS), get(REFRESH)) else {
            return Ok(None);
        };
        Ok(Some(XTokens {
            access_token,
            refresh_token,
            expires_at: get(EXPIRES).and_then(|e| e.parse().ok()),
        }))
    }
}

impl XTokenKeeper for StoreTokenKeeper {
    fn load(&self) -> BoxFuture<'_, Result<Option<XTokens>, String>> {
        Box::pin(self.load_kept())
    }

    fn keep<'a>(&'a self, tokens: &'a XTokens) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let expires = tokens.expires_at.map(|e| e.to_string()).unwrap_or_default();
            self.store
                .keep_network_tokens(
                    self.municipality_id,
                    &self.channel,
                    &[
                        (ACCESS, tokens.access_token.as_str()),
                        (REFRESH, tokens.refresh_token.as_str()),
                        (EXPIRES, expires.as_str()),
                        (CHAIN, self.chain.as_str()),
                    ],
                    "x-token-renewal",
                    now_ms(),
                )
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn lock(&self) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.store
                .try_lease(&self.lease_name(), &self.holder, now_ms(), LEASE_MS)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn unlock(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Renewing "until a moment ago" hands the lease back at once.
            if let Err(e) = self
                .store
                .try_lease(&self.lease_name(), &self.holder, now_ms(), -1)
                .await
            {
                tracing::warn!(error = %e, "x token renewal lease not given back; it runs out by itself");
            }
        })
    }
}

/// The network channels with a store keeper given to every X channel that can renew its token.
pub fn with_keepers(
    networks: &[NetworkConfig],
    store: &Store,
    municipality_id: i64,
) -> Vec<NetworkConfig> {
    networks
        .iter()
        .map(|n| match n {
            NetworkConfig::X(c) if c.refresh_token.is_some() && c.client_id.is_some() => {
                let mut c = c.clone();
                let keeper = StoreTokenKeeper::new(store.clone(), municipality_id, &c, &n.name());
                c.token_keeper = Some(Arc::new(keeper));
                NetworkConfig::X(c)
            }
            other => other.clone(),
        })
        .collect()
}
