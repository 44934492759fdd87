//! `rathaus backup` / `rathaus restore`: an encrypted, consistent SQLite snapshot, and erasure replay after restore.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rathaus_crypto::Key;
use rathaus_store::{now_ms, ErasureRecord, Store};
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 12] = b"RATHAUSBAK1\n";
const CHUNK: usize = 1024 * 1024;

/// Authenticated, unencrypted facts about a backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupHeader {
    /// Unix milliseconds when the snapshot was taken; erasures from this moment on are replayed on restore.
    pub taken_at: i64,
    pub format: String,
    pub rathaus_version: String,
}

/// The backup key is derived from the master key; the master key itself is never written into a backup.
pub fn backup_key(master: &Key) -> Key {
    master.derive("backup-file")
}

fn chunk_context(header_bytes: &[u8], index: u64, last: bool) -> Vec<u8> {
    let mut c = b"rathaus-backup-chunk".to_vec();
    c.extend_from_slice(&rathaus_crypto::sha256_hex(header_bytes).into_bytes());
    c.extend_from_slice(&index.to_be_bytes());
    c.push(u8::from(last));
    c
}

/// Encrypts `plain` (a database snapshot) into `out` in authenticated chunks; truncation and reordering are detected.
pub fn write_encrypted(
    key: &Key,
    header: &BackupHeader,
    mut plain: impl Read,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let header_bytes = serde_json::to_vec(header)?;
    out.write_all(MAGIC)?;
    out.write_all(&(header_bytes.len() as u32).to_be_bytes())?;
    out.write_all(&header_bytes)?;
    let mut buf = vec![0u8; CHUNK];
    let mut next = read_full(&mut plain, &mut buf)?;
    let mut index = 0u64;
    loop {
        let chunk = buf[..next].to_vec();
        let following = read_full(&mut plain, &mut buf)?;
        let last = following == 0;
        let sealed = key.seal(&chunk, &chunk_context(&header_bytes, index, last));
        out.write_all(&(sealed.len() as u32).to_be_bytes())?;
        out.write_all(&sealed)?;
        if last {
            break;
        }
        next = following;
        index += 1;
    }
    out.flush()?;
    Ok(())
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads only the header (to know which erasures to replay before touching anything).
pub fn read_header(mut input: impl Read) -> anyhow::Result<(BackupHeader, Vec<u8>)> {
    let mut magic = [0u8; 12];
    input
        .read_exact(&mut magic)
        .context("not a Rathaus backup (too short)")?;
    if &magic != MAGIC {
        bail!("not a Rathaus backup file");
    }
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > 64 * 1024 {
        bail!("backup header is implausibly large");
    }
    let mut header_bytes = vec![0u8; len];
    input.read_exact(&mut header_bytes)?;
    let header: BackupHeader = serde_json::from_slice(&header_bytes).context("backup header")?;
    Ok((header, header_bytes))
}

/// Decrypts a backup written by [`write_encrypted`] into `out`; fails on a wrong key, tampering or truncation.
pub fn read_encrypted(
    key: &Key,
    mut input: impl Read,
    mut out: impl Write,
) -> anyhow::Result<BackupHeader> {
    let (header, header_bytes) = read_header(&mut input)?;
    let mut index = 0u64;
    loop {
        let mut len = [0u8; 4];
        input
            .read_exact(&mut len)
            .context("backup is truncated (the last part is missing)")?;
        let len = u32::from_be_bytes(len) as usize;
        if len > CHUNK + 64 {
            bail!("backup chunk {index} has an impossible size");
        }
        let mut sealed = vec![0u8; len];
        input
            .read_exact(&mut sealed)
            .context("backup is truncated")?;
        if let Ok(plain) = key.open(&sealed, &chunk_context(&header_bytes, index, true)) {
            out.write_all(&plain)?;
            break;
        }
        let plain = key
            .open(&sealed, &chunk_context(&header_bytes, index, false))
            .map_err(|_| anyhow::anyhow!("backup chunk {index} does not decrypt: wrong master key, or the file was changed"))?;
        out.write_all(&plain)?;
        index += 1;
    }
    let mut rest = [0u8; 1];
    if input.read(&mut rest)? != 0 {
        bail!("backup has data after its last part");
    }
    out.flush()?;
    Ok(header)
}

fn sqlite_path(database_url: &str) -> anyhow::Result<PathBuf> {
    let Some(rest) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    else {
        bail!(
            "`rathaus backup`/`restore` handle the embedded SQLite database; for PostgreSQL use pg_dump/pg_restore \
             with `rathaus erasures export` before and `rathaus erasures replay` after the restore (see README)"
        );
    };
    Ok(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

/// Writes an encrypted snapshot of the live database to `out`.
pub async fn backup(
    store: &Store,
    master: &Key,
    database_url: &str,
    out: &Path,
) -> anyhow::Result<BackupHeader> {
    let db_path = sqlite_path(database_url)?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let snapshot = tempfile::Builder::new()
        .prefix(".rathaus-snapshot")
        .tempfile_in(dir)?;
    let snapshot_path = snapshot.path().to_path_buf();
    drop(snapshot);
    let taken_at = now_ms();
    store.sqlite_snapshot(&snapshot_path).await?;
    let header = BackupHeader {
        taken_at,
        format: "sqlite".into(),
        rathaus_version: env!("CARGO_PKG_VERSION").into(),
    };
    let result = (|| -> anyhow::Result<()> {
        let plain = std::fs::File::open(&snapshot_path)?;
        let tmp_out = out.with_extension("partial");
        let file = std::fs::File::create(&tmp_out)
            .with_context(|| format!("creating {}", tmp_out.display()))?;
        let mut w = std::io::BufWriter::new(file);
        write_encrypted(
            &backup_key(master),
            &header,
            std::io::BufReader::new(plain),
            &mut w,
        )?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp_out, out)?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&snapshot_path);
    result?;
    tracing::debug!(db = %db_path.display(), "backup written");
    Ok(header)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub header: BackupHeader,
    pub erasures_replayed: usize,
    pub citizens_erased_again: usize,
}

/// Replaces the SQLite database with the backup's content, then replays every erasure recorded since the
/// backup was taken, so nobody erased in the meantime comes back. The server must be stopped.
///
/// `written_with` is the master key the backup was taken under, when the key was rotated since: the
/// backup is decrypted with it and the restored database is then switched to `master` (re-wrapped).
pub async fn restore(
    master: &Key,
    written_with: Option<&Key>,
    database_url: &str,
    backup_file: &Path,
) -> anyhow::Result<RestoreReport> {
    let backup_master = written_with.unwrap_or(master);
    let db_path = sqlite_path(database_url)?;
    let (header, _) = read_header(
        std::fs::File::open(backup_file)
            .with_context(|| format!("opening {}", backup_file.display()))?,
    )?;
    // Erasures recorded in the live database after the snapshot, read before it is replaced.
    let newer: Vec<ErasureRecord> = if db_path.exists() {
        let live = Store::open(database_url, master.clone()).await?;
        let v = live.erasures_since(header.taken_at).await?;
        live.close().await;
        v
    } else {
        Vec::new()
    };
    let dir = db_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".rathaus-restore")
        .tempfile_in(dir)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file());
        read_encrypted(
            &backup_key(backup_master),
            std::io::BufReader::new(std::fs::File::open(backup_file)?),
            &mut w,
        )
        .map_err(|e| {
            if written_with.is_none() {
                e.context("if the master key was rotated after this backup, give the old key file with --key-file")
            } else {
                e
            }
        })?;
    }
    tmp.as_file().sync_all()?;
    let mut probe = [0u8; 16];
    std::fs::File::open(tmp.path())?.read_exact(&mut probe)?;
    if &probe != b"SQLite format 3\0" {
        bail!("the backup does not contain an SQLite database");
    }
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db_path.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    tmp.persist(&db_path)
        .map_err(|e| e.error)
        .context("moving the restored database into place")?;
    if let Some(old) = written_with.filter(|k| *k != master) {
        let restored = Store::open(database_url, old.clone())
            .await
            .context("the restored database does not open with --key-file")?;
        restored.rotate_master_key(master, now_ms()).await?;
        restored.close().await;
    }
    let store = Store::open(database_url, master.clone()).await?;
    let mut erased = 0;
    for rec in &newer {
        if store
            .replay_erasure(rec, rathaus_hub::gate::job_mentions)
            .await?
        {
            erased += 1;
        }
    }
    store.close().await;
    Ok(RestoreReport {
        header,
        erasures_replayed: newer.len(),
        citizens_erased_again: erased,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn header() -> BackupHeader {
        BackupHeader {
            taken_at: 1,
            format: "sqlite".into(),
            rathaus_version: "0".into(),
        }
    }

    #[test]
    fn round_trips_across_chunk_boundaries() {
        let key = Key::generate();
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 17] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut enc = Vec::new();
            write_encrypted(&key, &header(), &data[..], &mut enc).unwrap();
            let mut dec = Vec::new();
            let h = read_encrypted(&key, &enc[..], &mut dec).unwrap();
            assert_eq!(h, header());
            assert_eq!(dec, data, "size {size}");
        }
    }

    #[test]
    fn wrong_key_truncation_and_tampering_fail() {
        let key = Key::generate();
        let data = vec![7u8; CHUNK + 100];
        let mut enc = Vec::new();
        write_encrypted(&key, &header(), &data[..], &mut enc).unwrap();
        assert!(read_encrypted(&Key::generate(), &enc[..], &mut Vec::new()).is_err());
        // Cut off after the first chunk: the missing end is noticed.
        let first_len = u32::from_be_bytes(
            enc[12 + 4 + serde_json::to_vec(&header()).unwrap().len()..][..4]
                .try_into()
                .unwrap(),
        ) as usize;
        let cut = 12 + 4 + serde_json::to_vec(&header()).unwrap().len() + 4 + first_len;
        let e = read_encrypted(&key, &enc[..cut], &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");
        let mut bad = enc.clone();
        let n = bad.len();
        bad[n - 3] ^= 1;
        assert!(read_encrypted(&key, &bad[..], &mut Vec::new()).is_err());
        assert!(read_encrypted(&key, &b"not a backup at all"[..], &mut Vec::new()).is_err());
    }
}
