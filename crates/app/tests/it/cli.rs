//! The `rathaus` binary as an admin uses it: user add, token create, then the token works against the API.

use std::io::Write;
use std::process::{Command, Stdio};

fn rathaus() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rathaus"));
    c.env_remove("RATHAUS_MASTER_KEY")
        .env("RATHAUS_LOG", "warn");
    c
}

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
    let mut child = rathaus()
        .args(["user", "add", "--config"])
        .arg(&cfg)
        .args([
            "--municipality",
            "musterstadt",
            "--email",
            "Anna@Musterstadt.de",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ein-langes-Passwort-2026\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
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
