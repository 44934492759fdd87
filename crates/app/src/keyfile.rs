//! The master key: from `RATHAUS_MASTER_KEY`, or a 0600 file created on first start; the file steps of a rotation.

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Where a rotation puts the new key until the database has switched to it: `master.key.new`.
pub fn pending_path(path: &Path) -> PathBuf {
    suffixed(path, ".new")
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes `key` to `path` (replacing a leftover file), mode 0600, flushed to disk with its folder entry.
pub fn write_private(path: &Path, key: &Key) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!("cannot replace {}: {e}", path.display()),
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
        .with_context(|| format!("creating key file {}", path.display()))?;
    writeln!(f, "{}", key.encode())?;
    f.sync_all()?;
    sync_parent(path)
}

/// Keeps the current key file as `master.key.old-<stamp>` (0600) until the admin deletes it.
pub fn keep_old(path: &Path, stamp: &str) -> anyhow::Result<PathBuf> {
    let old = suffixed(path, &format!(".old-{stamp}"));
    // A hard link is atomic and leaves the original in place; copy where links are not possible.
    if std::fs::hard_link(path, &old).is_err() {
        std::fs::copy(path, &old)
            .with_context(|| format!("keeping the old key as {}", old.display()))?;
        std::fs::File::open(&old)?.sync_all()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600))?;
    }
    sync_parent(&old)?;
    Ok(old)
}

/// Moves `master.key.new` over `master.key` (atomic rename) and flushes the folder entry.
pub fn install_pending(path: &Path) -> anyhow::Result<()> {
    let pending = pending_path(path);
    std::fs::rename(&pending, path)
        .with_context(|| format!("moving {} to {}", pending.display(), path.display()))?;
    sync_parent(path)
}

/// After a rotation stopped between the database commit and the file rename, the database needs the
/// key in `master.key.new`: if that file holds the key with id `needed`, move it into place and return it.
pub fn finish_interrupted_rotation(path: &Path, needed: &str) -> anyhow::Result<Option<Key>> {
    let pending = pending_path(path);
    let Ok(text) = std::fs::read_to_string(&pending) else {
        return Ok(None);
    };
    let Ok(key) = Key::decode(&text) else {
        return Ok(None);
    };
    if key.id() != needed {
        return Ok(None);
    }
    install_pending(path)?;
    tracing::warn!(
        path = %path.display(),
        key_id = %needed,
        "finished an interrupted master-key rotation: the new key is now in place"
    );
    Ok(Some(key))
}

fn sync_parent(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("flushing folder {}", dir.display()))?;
    }
    Ok(())
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

    #[test]
    fn rotation_file_steps_keep_the_old_key_and_only_install_the_matching_new_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("master.key");
        let old = load_or_create(None, &p).expect("create");
        let new = Key::generate();
        write_private(&pending_path(&p), &new).expect("pending");
        let kept = keep_old(&p, "20261127T120000Z").expect("keep");
        assert_eq!(
            kept.file_name().expect("name"),
            "master.key.old-20261127T120000Z"
        );
        // A crash here: the database may need either key. A wrong id installs nothing.
        assert!(finish_interrupted_rotation(&p, &old.id())
            .expect("no-op")
            .is_none());
        assert_eq!(load_or_create(None, &p).expect("still old"), old);
        let installed = finish_interrupted_rotation(&p, &new.id()).expect("finish");
        assert_eq!(installed, Some(new.clone()));
        assert_eq!(load_or_create(None, &p).expect("new"), new);
        assert!(!pending_path(&p).exists());
        assert_eq!(load_or_create(None, &kept).expect("kept"), old);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [&p, &kept] {
                let mode = std::fs::metadata(f).expect("meta").permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", f.display());
            }
        }
    }
}
