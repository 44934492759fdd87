//! `rathaus keys rotate`: a new master key, every wrapped key re-wrapped in one transaction, the key file
//! replaced so that a crash at any point leaves a state one of the two keys opens.
//!
//! Order with a key file: (1) new key to `master.key.new` (0600, fsynced), (2) old key kept as
//! `master.key.old-<time>`, (3) database switches in one transaction, (4) `master.key.new` renamed over
//! `master.key`. A crash before (3) leaves the old key in force; between (3) and (4) the database names
//! the new key's id and the next start finishes the rename itself ([`crate::keyfile::finish_interrupted_rotation`]).
//! With `RATHAUS_MASTER_KEY` the new key is printed before (3), so the admin holds both keys throughout.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use rathaus_crypto::Key;
use rathaus_store::{now_ms, AuditEvent};

use crate::config::Config;
use crate::{keyfile, server};

/// What a rotation did, for the admin's message.
#[derive(Debug)]
pub struct Rotated {
    pub old_key_id: String,
    pub new_key_id: String,
    pub municipality_keys: usize,
    /// The kept old key file (key-file mode only).
    pub old_key_file: Option<PathBuf>,
}

/// Rotates the master key. `env_key` is `RATHAUS_MASTER_KEY` if set; then the new key is written to
/// `out` (stdout) instead of a file. All processes using the database must be stopped.
pub async fn rotate(
    config: &Config,
    env_key: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<Rotated> {
    let path = config.master_key_path();
    if env_key.is_none() && !path.exists() {
        bail!(
            "no master key file at {} and RATHAUS_MASTER_KEY is not set: there is nothing to rotate",
            path.display()
        );
    }
    let store = server::open_store(config).await?;
    let old_key_id = store.master_key_id();
    let new = Key::generate();
    let new_key_id = new.id();
    let mut old_key_file = None;
    if env_key.is_some() {
        writeln!(
            out,
            "Neuer Hauptschlüssel / new master key (id {new_key_id}) — jetzt sicher ablegen und \
             RATHAUS_MASTER_KEY darauf setzen / store it safely now and set RATHAUS_MASTER_KEY to it:"
        )?;
        writeln!(out, "{}", new.encode())?;
        out.flush()?;
    } else {
        keyfile::write_private(&keyfile::pending_path(&path), &new)?;
        let stamp = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        old_key_file = Some(keyfile::keep_old(&path, &stamp)?);
    }
    let rotated = store.rotate_master_key(&new, now_ms()).await;
    let municipality_keys = match rotated {
        Ok(n) => n,
        Err(e) => {
            store.close().await;
            if env_key.is_none() {
                let _ = std::fs::remove_file(keyfile::pending_path(&path));
            }
            return Err(e).context("re-wrapping the keys (nothing was changed)");
        }
    };
    if env_key.is_none() {
        keyfile::install_pending(&path)?;
    }
    // The audit chain's key is derived from the instance key, which the rotation kept.
    store
        .audit(
            AuditEvent::new(None, "cli", "keys.rotated").details(format!(
                "old_key_id={old_key_id} new_key_id={new_key_id} municipality_keys={municipality_keys}"
            )),
            now_ms(),
        )
        .await?;
    store.close().await;
    Ok(Rotated {
        old_key_id,
        new_key_id,
        municipality_keys,
        old_key_file,
    })
}
