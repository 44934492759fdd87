//! Single sign-on against the real npm `oidc-provider` on 127.0.0.1, driven by headless Chromium through the
//! provider's own login form; plus the callback's refusals without a browser.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use rathaus_hub::sso::{MatchBy, SsoConfig};
use rathaus_hub::TenantConfig;
use rathaus_store::{AuditFilter, Role};
use reqwest::header;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::{header as header_of, start_at_own_address, App, TOTP_SECRET};
use crate::passkeys::{cookie_of, options, post, register_from, Authenticator};
use rathaus_web::security::totp;

const BUTTON_LABEL: &str = "Stadt-Login";

/// The e2e tooling with the provider installed; None means "skip" outside CI, and CI fails instead.
fn tooling() -> Option<PathBuf> {
    let dir = std::env::var("RATHAUS_TEST_E2E_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests-e2e"));
    let chromium =
        std::env::var("RATHAUS_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node
        && dir.join("node_modules/oidc-provider").exists()
        && dir.join("node_modules/playwright-core").exists()
        && Path::new(&chromium).exists()
    {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("node, oidc-provider or Chromium missing in CI: run scripts/test.sh (npm ci in tests-e2e)");
    }
    eprintln!(
        "skipping single sign-on test: no node, tests-e2e/node_modules/oidc-provider or chromium"
    );
    None
}

/// A running `tests-e2e/oidc-provider.mjs`; stopped when dropped.
struct Provider {
    child: tokio::process::Child,
}

impl Provider {
    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sso_config(issuer: &str, satisfies_mfa: bool) -> SsoConfig {
    SsoConfig {
        issuer: issuer.into(),
        client_id: "rathaus".into(),
        client_secret: "rathaus-test-secret".into(),
        client_secret_file: None,
        button_label: BUTTON_LABEL.into(),
        match_by: MatchBy::Email,
        trust_email: false,
        satisfies_mfa,
    }
}

/// Musterstadt signs in with the provider at `issuer`; the server's public URL is its own address.
async fn app_with_sso(issuer: &str, satisfies_mfa: bool) -> App {
    let config = sso_config(issuer, satisfies_mfa);
    start_at_own_address(move |tenants: &mut [TenantConfig]| tenants[0].sso = Some(config)).await
}

async fn start_provider(dir: &Path, port: u16, redirect_uri: &str) -> Provider {
    let mut child = tokio::process::Command::new("node")
        .current_dir(dir)
        .arg("oidc-provider.mjs")
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", redirect_uri)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with("OIDC ready") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "oidc-provider did not start");
    Provider { child }
}

/// The app (Musterstadt with single sign-on) and the provider, wired to each other.
async fn setup(dir: &Path, satisfies_mfa: bool) -> (App, Provider) {
    let port = free_port();
    let app = app_with_sso(&format!("http://127.0.0.1:{port}"), satisfies_mfa).await;
    let provider = start_provider(dir, port, &app.url("/login/oidc/callback")).await;
    (app, provider)
}

async fn browser_login(dir: &Path, app: &App, login: &str, code: Option<&str>) -> Value {
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(dir)
        .arg("sso-login.mjs")
        .arg(&app.base)
        .arg(login);
    if let Some(c) = code {
        cmd.arg(c);
    }
    let out = cmd.output().await.expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();
    for (page, violations) in seen["audits"].as_object().unwrap() {
        assert!(
            violations.as_array().unwrap().is_empty(),
            "WCAG violations on {page}: {violations}"
        );
    }
    let errors: Vec<&str> = seen["consoleErrors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        // Refusals answer 403 on purpose; the browser logs that status as a console error.
        .filter(|e| !e.contains("status of 403"))
        .collect();
    assert!(errors.is_empty(), "console errors (e.g. CSP): {errors:?}");
    seen
}

/// The code of the current 30-second step, taken early in a step so it is still accepted when the
/// browser has gone to the provider and back.
async fn current_totp() -> String {
    let ms = rathaus_store::now_ms();
    let into_step = ms % 30_000;
    if into_step > 10_000 {
        tokio::time::sleep(std::time::Duration::from_millis(
            (30_000 - into_step + 200) as u64,
        ))
        .await;
    }
    let step = totp::step_at(rathaus_store::now_ms());
    totp::code_for_step(TOTP_SECRET, step)
}

async fn audit_details(app: &App, action: &str) -> Vec<String> {
    let filter = AuditFilter {
        action_prefix: Some(action.into()),
        ..AuditFilter::default()
    };
    app.store
        .audit_entries(app.a, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            format!(
                "{} {}",
                r.target.unwrap_or_default(),
                r.details.unwrap_or_default()
            )
        })
        .collect()
}

/// An administrator who never set up an authenticator app (as before their first sign-in).
async fn admin_without_second_factor(app: &App, email: &str) -> i64 {
    let id = app.staff(app.a, email, Role::Admin).await;
    app.store.disable_totp(id).await.unwrap();
    id
}

/// Where a GET with the cookie is redirected to, if it is.
async fn redirect_of(app: &App, cookie: &str, path: &str) -> Option<String> {
    let res = app
        .http
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    res.status().is_redirection().then(|| {
        res.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_string()
    })
}

/// The `Cookie` header value of the session the browser ended with.
fn session_cookie(seen: &Value) -> String {
    let value = seen["session"].as_str().expect("a session cookie");
    format!("rathaus_session={value}")
}

fn cookies(seen: &Value) -> Vec<&str> {
    seen["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect()
}

#[tokio::test]
async fn staff_sign_in_through_the_provider_login_form() {
    let Some(dir) = tooling() else { return };
    let (app, _provider) = setup(&dir, false).await;
    let id = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;

    let seen = browser_login(&dir, &app, "SB@musterstadt.de", None).await;
    assert_eq!(seen["buttonText"], "Mit Stadt-Login anmelden");
    let visited: Vec<&str> = seen["visited"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        visited.iter().any(|u| u.contains("/interaction/")),
        "went through the provider's login form: {visited:?}"
    );
    let final_url = seen["finalUrl"].as_str().unwrap();
    assert!(final_url.ends_with("/inbox"), "{final_url}");
    // A session cookie, and the sign-in cookie (state, nonce, PKCE verifier) is gone.
    let names = cookies(&seen);
    assert!(names.contains(&"rathaus_session"), "{names:?}");
    assert!(!names.contains(&"rathaus_sso"), "{names:?}");
    let ok = audit_details(&app, "login.ok").await;
    assert!(
        ok.iter()
            .any(|d| d.starts_with(&format!("staff:{id} single sign-on: http://127.0.0.1:"))),
        "{ok:?}"
    );
}

#[tokio::test]
async fn unknown_removed_and_unverified_addresses_are_refused() {
    let Some(dir) = tooling() else { return };
    let (app, _provider) = setup(&dir, false).await;
    // Only a member of Beispieldorf now (e.g. removed from Musterstadt): the account exists, but not here.
    let former = app
        .staff(app.b, "ehemalig@musterstadt.de", Role::Agent)
        .await;
    app.staff(app.a, "unverified.kollege@musterstadt.de", Role::Agent)
        .await;

    let seen = browser_login(&dir, &app, "fremd@musterstadt.de", None).await;
    assert!(seen["finalUrl"]
        .as_str()
        .unwrap()
        .contains("/login/oidc/callback"));
    let text = seen["mainText"].as_str().unwrap();
    assert!(
        text.contains("Für fremd@musterstadt.de gibt es in Musterstadt kein Rathaus-Konto"),
        "{text}"
    );
    assert!(!cookies(&seen).contains(&"rathaus_session"));

    let seen = browser_login(&dir, &app, "ehemalig@musterstadt.de", None).await;
    let text = seen["mainText"].as_str().unwrap();
    assert!(text.contains("kein Rathaus-Konto"), "{text}");
    assert!(!cookies(&seen).contains(&"rathaus_session"));

    let seen = browser_login(&dir, &app, "unverified.kollege@musterstadt.de", None).await;
    let text = seen["mainText"].as_str().unwrap();
    assert!(text.contains("nicht als bestätigt"), "{text}");
    assert!(!cookies(&seen).contains(&"rathaus_session"));

    let failed = audit_details(&app, "login.failed").await;
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(failed
        .iter()
        .any(|d| d == &format!("staff:{former} single sign-on: no staff account in this municipality for the e-mail address")));
    assert!(
        failed.iter().all(|d| !d.contains("@")),
        "no e-mail addresses in the log: {failed:?}"
    );
    assert!(audit_details(&app, "login.ok").await.is_empty());
}

#[tokio::test]
async fn the_code_is_still_asked_after_the_provider_unless_it_counts_as_second_factor() {
    let Some(dir) = tooling() else { return };
    // Default (satisfies_mfa = false): an administrator with an authenticator app enters its code.
    let (app, provider) = setup(&dir, false).await;
    app.staff(app.a, "chefin@musterstadt.de", Role::Admin).await;
    let code = current_totp().await;
    let seen = browser_login(&dir, &app, "chefin@musterstadt.de", Some(&code)).await;
    assert_eq!(seen["mfaAsked"], true);
    assert!(seen["finalUrl"].as_str().unwrap().ends_with("/inbox"));
    assert!(audit_details(&app, "login.ok")
        .await
        .iter()
        .any(|d| d.ends_with("method: sso+totp")));
    drop(provider);

    // satisfies_mfa = true: the provider's sign-in is the second factor; no code form.
    let (app, _provider) = setup(&dir, true).await;
    app.staff(app.a, "chefin@musterstadt.de", Role::Admin).await;
    let seen = browser_login(&dir, &app, "chefin@musterstadt.de", None).await;
    assert_eq!(seen.get("mfaAsked"), None);
    let final_url = seen["finalUrl"].as_str().unwrap();
    assert!(final_url.ends_with("/inbox"), "{final_url}");
}

/// An administrator without an authenticator app: a provider that checks a second factor itself
/// (`satisfies_mfa = true`) lets them work; one that does not sends them to set up their own.
#[tokio::test]
async fn a_provider_that_checks_the_second_factor_satisfies_it_for_an_admin_without_totp() {
    let Some(dir) = tooling() else { return };
    let (app, provider) = setup(&dir, true).await;
    let id = admin_without_second_factor(&app, "chefin@musterstadt.de").await;
    let seen = browser_login(&dir, &app, "chefin@musterstadt.de", None).await;
    assert_eq!(seen.get("mfaAsked"), None);
    let final_url = seen["finalUrl"].as_str().unwrap();
    assert!(
        final_url.ends_with("/inbox"),
        "not sent to enrol: {final_url}"
    );
    let session = session_cookie(&seen);
    assert_eq!(app.get_page(&session, "/admin").await.0, 200);
    let (status, sessions) = app.get_page(&session, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(
        sessions.contains("Single Sign-on + zweiter Faktor beim Anbieter"),
        "{sessions}"
    );
    assert!(audit_details(&app, "login.ok")
        .await
        .iter()
        .any(|d| d.starts_with(&format!("staff:{id} single sign-on"))
            && d.ends_with("method: sso+mfa")));
    // A password sign-in of the same administrator is still sent to set up a second factor.
    let password = app.login("chefin@musterstadt.de").await;
    assert_eq!(
        redirect_of(&app, &password, "/inbox").await.as_deref(),
        Some("/account/mfa")
    );
    drop(provider);

    // satisfies_mfa = false: the same administrator is sent to set up a second factor.
    let (app, _provider) = setup(&dir, false).await;
    admin_without_second_factor(&app, "chefin@musterstadt.de").await;
    let seen = browser_login(&dir, &app, "chefin@musterstadt.de", None).await;
    let final_url = seen["finalUrl"].as_str().unwrap();
    assert!(final_url.ends_with("/account/mfa"), "{final_url}");
    let session = session_cookie(&seen);
    assert_eq!(
        redirect_of(&app, &session, "/admin").await.as_deref(),
        Some("/account/mfa")
    );
}

/// An administrator whose provider does not check a second factor (`satisfies_mfa = false`) and who
/// has a passkey but no authenticator app: the provider's sign-in (in Chromium) leads to the second
/// step, the passkey (the software authenticator over HTTP, with the browser's session cookie)
/// completes it, and the session records single sign-on plus passkey.
#[tokio::test]
async fn after_the_provider_a_passkey_completes_the_second_step() {
    let Some(dir) = tooling() else { return };
    let (app, _provider) = setup(&dir, false).await;
    let email = "chefin@musterstadt.de";
    let id = admin_without_second_factor(&app, email).await;
    // Earlier, signed in with the password, the administrator added a passkey on the account page.
    let password = app.login(email).await;
    let mut key = Authenticator::new(21);
    let password =
        register_from(&app, &password, &mut key, "Sicherheitsschlüssel", &app.base).await;
    app.post_form(&password, "/logout", &[]).await;

    let seen = browser_login(&dir, &app, email, None).await;
    let final_url = seen["finalUrl"].as_str().unwrap();
    assert!(
        final_url.contains("/login/mfa"),
        "the second step: {final_url}"
    );
    let text = seen["mainText"].as_str().unwrap();
    assert!(text.contains("Mit Passkey bestätigen"), "{text}");
    let pending = session_cookie(&seen);
    assert_eq!(
        app.get_page(&pending, "/admin").await.0,
        303,
        "nothing opens yet"
    );
    assert!(
        audit_details(&app, "login.ok")
            .await
            .iter()
            .all(|d| d.ends_with("method: password")),
        "no sign-in but the earlier password one yet"
    );

    let (opts, _) = options(&app, &pending, "/login/mfa/passkey/challenge").await;
    let allowed = opts["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "{opts}");
    let form = key.get(opts["publicKey"]["challenge"].as_str().unwrap(), &app.base);
    let res = post(&app, &pending, "/login/mfa/passkey", &form).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header_of(res.headers(), "location"), "/inbox");
    let session = cookie_of(&res);
    assert_ne!(session, pending, "a new session id");
    assert_eq!(app.get_page(&session, "/admin").await.0, 200);
    let (status, sessions) = app.get_page(&session, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(sessions.contains("Single Sign-on + Passkey"), "{sessions}");
    let methods: Vec<_> = app
        .store
        .staff_sessions(id, rathaus_store::now_ms(), 30 * 60 * 1000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|s| s.sign_in.map(|m| m.as_str()))
        .collect();
    assert_eq!(
        methods,
        ["sso+passkey"],
        "the password session was signed out"
    );
    let passkey = app.store.staff_passkeys(id).await.unwrap()[0].id;
    let ok = audit_details(&app, "login.ok").await;
    assert!(
        ok.contains(&format!(
            "staff:{id} passkey {passkey}; method: sso+passkey"
        )),
        "{ok:?}"
    );

    assert_eq!(
        app.get_page(&pending, "/login/mfa").await.0,
        303,
        "the pending login is used up"
    );
}

/// The provider starts signing with a new key (here: restarted with a fresh one on the same address):
/// Rathaus fetches the key set again when an ID token names a key it has not seen.
#[tokio::test]
async fn a_new_signing_key_at_the_provider_is_fetched_again() {
    let Some(dir) = tooling() else { return };
    let port = free_port();
    let app = app_with_sso(&format!("http://127.0.0.1:{port}"), false).await;
    let callback = app.url("/login/oidc/callback");
    app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let provider = start_provider(&dir, port, &callback).await;
    let seen = browser_login(&dir, &app, "sb@musterstadt.de", None).await;
    assert!(seen["finalUrl"].as_str().unwrap().ends_with("/inbox"));
    provider.stop().await;

    let _provider = start_provider(&dir, port, &callback).await;
    // The key set is fetched again at most every 5 seconds.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let seen = browser_login(&dir, &app, "sb@musterstadt.de", None).await;
    let final_url = seen["finalUrl"].as_str().unwrap();
    assert!(
        final_url.ends_with("/inbox"),
        "{final_url}: {}",
        seen["mainText"]
    );
    assert_eq!(audit_details(&app, "login.ok").await.len(), 2);
}

/// The start leads to the provider with PKCE (S256), state and nonce; a callback whose state differs
/// from the browser's is refused and audited; the code is never redeemed.
#[tokio::test]
async fn a_callback_with_a_foreign_state_is_refused() {
    let Some(dir) = tooling() else { return };
    let (app, _provider) = setup(&dir, false).await;
    let res = app
        .http
        .get(app.url("/login/oidc/start?m=musterstadt&lang=de"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let trip = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        trip.starts_with("rathaus_sso=")
            && trip.contains("HttpOnly")
            && trip.contains("SameSite=Lax")
    );
    let url = reqwest::Url::parse(&to).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["client_id"], "rathaus");
    assert_eq!(q["redirect_uri"], app.url("/login/oidc/callback"));
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16 && q["code_challenge"].len() >= 43);
    assert!(q["scope"].contains("openid") && q["scope"].contains("email"));

    let cookie = trip.split(';').next().unwrap().to_string();
    let res = app
        .http
        .get(app.url("/login/oidc/callback?code=stolen-code&state=forged-state"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Die Anmeldung über Stadt-Login ist fehlgeschlagen"),
        "{body}"
    );
    let failed = audit_details(&app, "login.failed").await;
    assert_eq!(
        failed,
        vec![
            " single sign-on: state: state parameter does not match this browser's sign-in"
                .to_string()
        ]
    );

    // Another provider's iss (RFC 9207) is refused as well, with the right state.
    let res = app
        .http
        .get(app.url(&format!(
            "/login/oidc/callback?code=c&state={}&iss=https%3A%2F%2Fevil.example",
            q["state"]
        )))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn without_a_started_sign_in_the_callback_refuses_and_the_button_needs_configuration() {
    // No provider needed: nothing may reach it.
    let app = app_with_sso("http://127.0.0.1:9", false).await;
    let res = app
        .http
        .get(app.url("/login/oidc/callback?code=abc&state=xyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body = res.text().await.unwrap();
    assert!(body.contains("abgelaufen"), "{body}");
    // A forged trip cookie does not open (it is sealed with a key of this server).
    let res = app
        .http
        .get(app.url("/login/oidc/callback?code=abc&state=xyz"))
        .header(header::COOKIE, "rathaus_sso=eyJzdGF0ZSI6Inh5eiJ9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let login = app
        .http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("Mit Stadt-Login anmelden"), "{login}");
    let english = app
        .http
        .get(app.url("/login?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Sign in with Stadt-Login"));
    // Beispieldorf has no provider: its own login link shows no button, and starting is refused.
    let only_b = app
        .http
        .get(app.url("/login?m=beispieldorf"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!only_b.contains("/login/oidc/start"), "{only_b}");
    let res = app
        .http
        .get(app.url("/login/oidc/start?m=beispieldorf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // A provider that cannot be reached: a clear message, no redirect, no trip cookie left.
    let res = app
        .http
        .get(app.url("/login/oidc/start?m=musterstadt"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    assert!(res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .starts_with("rathaus_sso=;"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Stadt-Login ist gerade nicht erreichbar"));
    // The routes answer only the methods they are for.
    let res = app
        .http
        .post(app.url("/login/oidc/start"))
        .header(header::ORIGIN, &app.base)
        .form(&[("m", "musterstadt")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}
