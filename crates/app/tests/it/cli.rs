//! The `rathaus` binary as an admin uses it: user add, token create, then the token works against the API.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::rathaus;

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("rathaus.toml");
    std::fs::write(
        &p,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[[municipality]]\nslug = \"musterstadt\"\nname = \"Stadt Musterstadt\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    p
}

#[test]
fn user_add_and_token_create_give_a_working_api_token() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let out = crate::harness::user_add(
        &cfg,
        &[],
        "Anna@Musterstadt.de",
        Some("admin"),
        "ein-langes-Passwort-2026",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = dir.path().join("data/master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let out = rathaus()
        .args(["token", "create", "--config"])
        .arg(&cfg)
        .args(["--email", "anna@musterstadt.de"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("rh_"), "{stdout}");

    // The token opens the API of a server started on the same configuration.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = rathaus::config::Config::load_with_env(Some(&cfg), &[]).unwrap();
        let running = rathaus::server::start(
            &c,
            rathaus::server::Roles {
                web: true,
                worker: false,
            },
            Default::default(),
        )
        .await
        .unwrap();
        let res = reqwest::Client::new()
            .get(format!("{}/api/v1/concerns", running.url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let wrong = reqwest::Client::new()
            .get(format!("{}/api/v1/concerns", running.url()))
            .bearer_auth("rh_nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status().as_u16(), 401);
        running.stop().await;
    });
}

#[test]
fn mistakes_get_clear_errors_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let mut child = rathaus()
        .args(["user", "add", "--config"])
        .arg(&cfg)
        .args([
            "--municipality",
            "musterstadt",
            "--email",
            "a@b.de",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"kurz\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("12"),
        "names the minimum length"
    );

    let out = rathaus()
        .args(["user", "add", "--config"])
        .arg(&cfg)
        .args([
            "--municipality",
            "nirgendwo",
            "--email",
            "a@b.de",
            "--role",
            "chef",
            "--password-stdin",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chef"));

    // Common passwords and the person's or the town's own name are refused, in German and English.
    for (pw, says) in [
        ("Passwort2024!", "zu verbreitet"),
        ("hallo123hallo123", "too common"),
        ("Sommer2025!!!!", "zu verbreitet"),
        ("anna-sagt-hallo-77", "E-Mail-Adresse"),
        ("Stadt Musterstadt 2026", "name of the municipality"),
        ("asdfghjklöä12", "Tastenfolge"),
    ] {
        let mut child = rathaus()
            .args(["user", "add", "--config"])
            .arg(&cfg)
            .args([
                "--municipality",
                "musterstadt",
                "--email",
                "anna@musterstadt.de",
            ])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{pw}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "{pw} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{pw}: {err}");
    }

    std::fs::write(dir.path().join("bad.toml"), "listen = 5\n").unwrap();
    let out = rathaus()
        .args(["migrate", "--config"])
        .arg(dir.path().join("bad.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("listen"), "{err}");
}

fn run_ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "stdout: {o}\nstderr: {e}");
    (o, e)
}

fn run_err(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn add_admin(cfg: &std::path::Path, extra_env: &[(&str, &str)]) {
    let out = crate::harness::user_add(
        cfg,
        extra_env,
        "anna@musterstadt.de",
        Some("admin"),
        "Rathausplatz-Laterne-17",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stores a citizen (encrypted under the municipality key) and returns the lookup needed to find it.
async fn add_citizen(url: &str, key: rathaus_crypto::Key) -> (i64, i64) {
    let store = rathaus_store::Store::open(url, key).await.unwrap();
    let m = store
        .municipality_by_slug("musterstadt")
        .await
        .unwrap()
        .unwrap();
    let ch = store
        .ensure_channel(
            m.id,
            rathaus_domain::ChannelKind::WhatsApp,
            "whatsapp",
            "1065",
            1,
        )
        .await
        .unwrap();
    let v = store
        .ensure_privacy_notice(m.id, "https://x/ds", Some("Fassung 1"), 1)
        .await
        .unwrap();
    let user = rathaus_domain::PlatformUser {
        id: "4915100".into(),
        phone: Some("4915100".into()),
        display_name: Some("Erika Mustermann".into()),
    };
    store
        .record_consent(m.id, ch.id, &user, &v, "wamid.1", 1)
        .await
        .unwrap();
    store.close().await;
    (m.id, ch.id)
}

async fn citizen_found(url: &str, key: rathaus_crypto::Key, (m, ch): (i64, i64)) -> bool {
    let store = rathaus_store::Store::open(url, key).await.unwrap();
    let found = store
        .find_citizen(m, ch, "4915100")
        .await
        .unwrap()
        .is_some();
    store.close().await;
    found
}

fn key_in(path: &std::path::Path) -> rathaus_crypto::Key {
    rathaus_crypto::Key::decode(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn keys_rotate_switches_the_master_key_and_keeps_data_audit_log_and_old_backups_usable() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    add_admin(&cfg, &[]);
    let url = rathaus::config::Config::load_with_env(Some(&cfg), &[])
        .unwrap()
        .database_url();
    let key_file = dir.path().join("data/master.key");
    let old = key_in(&key_file);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let citizen = rt.block_on(add_citizen(&url, old.clone()));
    let backup = dir.path().join("before.bak");
    run_ok(
        rathaus()
            .args(["backup", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&backup),
    );

    let (_, err) = run_ok(rathaus().args(["keys", "rotate", "--config"]).arg(&cfg));
    let new = key_in(&key_file);
    assert_ne!(new, old);
    assert!(err.contains(&old.id()) && err.contains(&new.id()), "{err}");
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("master.key.old-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        err.contains(&*kept[0].to_string_lossy()),
        "names the kept file: {err}"
    );
    assert_eq!(key_in(&kept[0]), old);
    assert!(!dir.path().join("data/master.key.new").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&key_file, &kept[0]] {
            let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
    }

    // Data, audit chain and the old key's refusal.
    assert!(rt.block_on(citizen_found(&url, new.clone(), citizen)));
    let (out, _) = run_ok(rathaus().args(["audit", "verify", "--config"]).arg(&cfg));
    assert!(out.contains("intact"), "{out}");
    let err = run_err(
        rathaus()
            .env("RATHAUS_MASTER_KEY", old.encode())
            .args(["audit", "verify", "--config"])
            .arg(&cfg),
    );
    assert!(
        err.contains(&new.id()) && err.contains("does not open"),
        "{err}"
    );

    // A backup from before the rotation: refused with a hint, restored with the kept key file.
    let err = run_err(
        rathaus()
            .args(["restore", "--config"])
            .arg(&cfg)
            .arg(&backup),
    );
    assert!(err.contains("--key-file"), "{err}");
    run_ok(
        rathaus()
            .args(["restore", "--config"])
            .arg(&cfg)
            .arg("--key-file")
            .arg(&kept[0])
            .arg(&backup),
    );
    assert!(rt.block_on(citizen_found(&url, new.clone(), citizen)));
    run_ok(rathaus().args(["audit", "verify", "--config"]).arg(&cfg));

    // A crash between the database commit and the file rename: the database needs the new key, the key
    // file still holds the old one, the new one waits in master.key.new. The next start finishes it.
    let third = {
        run_ok(rathaus().args(["keys", "rotate", "--config"]).arg(&cfg));
        key_in(&key_file)
    };
    std::fs::rename(&key_file, dir.path().join("data/master.key.new")).unwrap();
    std::fs::write(&key_file, format!("{}\n", new.encode())).unwrap();
    let (out, _) = run_ok(rathaus().args(["audit", "verify", "--config"]).arg(&cfg));
    assert!(out.contains("intact"), "{out}");
    assert_eq!(key_in(&key_file), third);
    assert!(!dir.path().join("data/master.key.new").exists());
    assert!(rt.block_on(citizen_found(&url, third, citizen)));
}

#[test]
fn keys_rotate_with_the_key_in_the_environment_prints_the_new_key_and_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let old = rathaus_crypto::Key::generate();
    let old_text = old.encode();
    add_admin(&cfg, &[("RATHAUS_MASTER_KEY", &old_text)]);
    let (out, _) = run_ok(
        rathaus()
            .env("RATHAUS_MASTER_KEY", &old_text)
            .args(["keys", "rotate", "--config"])
            .arg(&cfg),
    );
    let new = rathaus_crypto::Key::decode(out.lines().last().unwrap()).unwrap();
    assert_ne!(new, old);
    assert!(out.contains(&new.id()), "{out}");
    assert!(!dir.path().join("data/master.key").exists());
    assert!(!dir.path().join("data/master.key.new").exists());
    let (out, _) = run_ok(
        rathaus()
            .env("RATHAUS_MASTER_KEY", new.encode())
            .args(["audit", "verify", "--config"])
            .arg(&cfg),
    );
    assert!(out.contains("intact"), "{out}");
    let err = run_err(
        rathaus()
            .env("RATHAUS_MASTER_KEY", &old_text)
            .args(["audit", "verify", "--config"])
            .arg(&cfg),
    );
    assert!(err.contains(&new.id()), "{err}");
}
