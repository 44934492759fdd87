//! The master key: from `RATHAUS_MASTER_KEY`, or a 0600 file created on first start.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use rathaus_crypto::Key;

/// Loads the master key; creates the key file (mode 0600) if neither it nor the variable exists.
pub fn load_or_create(env_value: Option<&str>, path: &Path) -> anyhow::Result<Key> {
    if let Some(v) = env_value {
        return Key::decode(v).context("RATHAUS_MASTER_KEY");
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            Key::decode(&text).with_context(|| format!("master key file {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Key::generate();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(path)
                .with_context(|| format!("creating master key file {}", path.display()))?;
            writeln!(f, "{}", key.encode())?;
            f.sync_all()?;
            tracing::warn!(
                path = %path.display(),
                "created a new master key — keep a copy in a safe place apart from the backups; without it the data cannot be read"
            );
            Ok(key)
        }
        Err(e) => bail!("cannot read master key file {}: {e}", path.display()),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "master key file is readable by others; run chmod 600");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("sub").join("master.key");
        let k1 = load_or_create(None, &p).expect("create");
        let k2 = load_or_create(None, &p).expect("read");
        assert_eq!(k1, k2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let from_env = load_or_create(Some(&k1.encode()), &dir.path().join("unused")).expect("env");
        assert_eq!(from_env, k1);
        assert!(!dir.path().join("unused").exists());
        assert!(load_or_create(Some("nonsense"), &p).is_err());
    }
}
