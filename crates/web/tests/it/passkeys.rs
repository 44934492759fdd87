//! Passkeys through the real router with a software authenticator (P-256 keys, CBOR written here):
//! registration, passwordless sign-in, passkey as second factor, and the refusals — wrong origin,
//! replayed assertion, counter regression, unknown credential, removing the last second factor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use rathaus_store::{AuditFilter, Role};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{header, start, App, PASSWORD};

/// The smallest CBOR writer the attestation object needs.
enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(&'static str),
    Map(Vec<(Cbor, Cbor)>),
}

fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn cbor(v: &Cbor, out: &mut Vec<u8>) {
    match v {
        Cbor::Int(i) if *i >= 0 => head(0, *i as u64, out),
        Cbor::Int(i) => head(1, (-1 - *i) as u64, out),
        Cbor::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend(b);
        }
        Cbor::Text(t) => {
            head(3, t.len() as u64, out);
            out.extend(t.as_bytes());
        }
        Cbor::Map(entries) => {
            head(5, entries.len() as u64, out);
            for (k, v) in entries {
                cbor(k, out);
                cbor(v, out);
            }
        }
    }
}

fn encoded(v: Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    cbor(&v, &mut out);
    out
}

/// A passkey on a software authenticator.
pub(crate) struct Authenticator {
    key: SigningKey,
    pub(crate) credential_id: Vec<u8>,
    pub(crate) count: u32,
    rp_id: String,
    pub(crate) user_handle: Vec<u8>,
}

impl Authenticator {
    pub(crate) fn new(seed: u8) -> Authenticator {
        Authenticator {
            key: SigningKey::from_bytes(&[seed; 32].into()).unwrap(),
            credential_id: vec![seed; 16],
            count: 0,
            rp_id: "127.0.0.1".into(),
            user_handle: Vec::new(),
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        encoded(Cbor::Map(vec![
            (Cbor::Int(1), Cbor::Int(2)),
            (Cbor::Int(3), Cbor::Int(-7)),
            (Cbor::Int(-1), Cbor::Int(1)),
            (Cbor::Int(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
            (Cbor::Int(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
        ]))
    }

    fn auth_data(&self, flags: u8, attested: bool) -> Vec<u8> {
        let mut d = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        d.push(flags);
        d.extend(self.count.to_be_bytes());
        if attested {
            d.extend([0u8; 16]);
            d.extend((self.credential_id.len() as u16).to_be_bytes());
            d.extend(&self.credential_id);
            d.extend(self.cose_key());
        }
        d
    }

    /// The browser's answer to `navigator.credentials.create` as the page's script posts it.
    fn create(&mut self, options: &Value, origin: &str) -> Vec<(&'static str, String)> {
        let pk = &options["publicKey"];
        self.user_handle = B64.decode(pk["user"]["id"].as_str().unwrap()).unwrap();
        let client_data = client_data("webauthn.create", pk["challenge"].as_str().unwrap(), origin);
        let attestation = encoded(Cbor::Map(vec![
            (Cbor::Text("fmt"), Cbor::Text("none")),
            (Cbor::Text("attStmt"), Cbor::Map(vec![])),
            (
                Cbor::Text("authData"),
                Cbor::Bytes(self.auth_data(0x45, true)),
            ),
        ]));
        vec![
            ("client_data", B64.encode(client_data)),
            ("attestation_object", B64.encode(attestation)),
            (
                "user_handle",
                options["userHandle"].as_str().unwrap().to_string(),
            ),
        ]
    }

    /// The answer to `navigator.credentials.get` for `challenge` (the counter goes up by one first).
    pub(crate) fn get(&mut self, challenge: &str, origin: &str) -> Vec<(&'static str, String)> {
        self.count += 1;
        let client_data = client_data("webauthn.get", challenge, origin);
        let auth_data = self.auth_data(0x05, false);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);
        vec![
            ("credential_id", B64.encode(&self.credential_id)),
            ("client_data", B64.encode(client_data)),
            ("authenticator_data", B64.encode(auth_data)),
            ("signature", B64.encode(signature.as_bytes())),
            ("user_handle", B64.encode(&self.user_handle)),
        ]
    }
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false
    }))
    .unwrap()
}

pub(crate) const ORIGIN: &str = "http://127.0.0.1";

pub(crate) async fn post(
    app: &App,
    cookie: &str,
    path: &str,
    form: &[(&str, String)],
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .form(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn options(app: &App, cookie: &str, path: &str) -> (Value, Option<String>) {
    let res = post(app, cookie, path, &[]).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    let set = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    (res.json().await.unwrap(), set)
}

pub(crate) fn cookie_of(res: &reqwest::Response) -> String {
    header(res.headers(), "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

pub(crate) async fn register(
    app: &App,
    cookie: &str,
    auth: &mut Authenticator,
    name: &str,
) -> String {
    register_from(app, cookie, auth, name, ORIGIN).await
}

/// As [`register`], the browser on the page at `origin` (e.g. a server whose public URL has a port).
pub(crate) async fn register_from(
    app: &App,
    cookie: &str,
    auth: &mut Authenticator,
    name: &str,
    origin: &str,
) -> String {
    let (opts, _) = options(app, cookie, "/account/passkeys/challenge").await;
    assert_eq!(opts["publicKey"]["rp"]["id"], "127.0.0.1");
    assert_eq!(
        opts["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    let mut form = auth.create(&opts, origin);
    form.push(("name", name.to_string()));
    let res = post(app, cookie, "/account/passkeys", &form).await;
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    assert_eq!(
        header(res.headers(), "location"),
        "/account/passkeys?msg=passkey_added"
    );
    cookie_of(&res)
}

/// A passwordless sign-in attempt: the response, and the form (to replay it).
async fn passwordless(
    app: &App,
    auth: &mut Authenticator,
    origin: &str,
) -> (reqwest::Response, Vec<(&'static str, String)>, String) {
    let (opts, set) = options(app, "", "/login/passkey/challenge").await;
    let binding = set.expect("the sign-in is bound to a cookie");
    assert!(opts["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap()
        .is_empty());
    let form = auth.get(opts["publicKey"]["challenge"].as_str().unwrap(), origin);
    let res = post(app, &binding, "/login/passkey", &form).await;
    (res, form, binding)
}

pub(crate) async fn failed_logins(app: &App) -> Vec<String> {
    let filter = AuditFilter {
        action_prefix: Some("login.failed".into()),
        ..AuditFilter::default()
    };
    let all = app.store.audit_entries(app.a, &filter).await.unwrap();
    all.into_iter()
        .map(|e| {
            format!(
                "{} {}",
                e.target.unwrap_or_default(),
                e.details.unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn a_passkey_is_registered_signs_in_alone_and_bad_assertions_are_refused() {
    let app = start().await;
    let id = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let cookie = app.login("sb@musterstadt.de").await;
    let (status, body) = app.get_page(&cookie, "/account/passkeys").await;
    assert_eq!(status, 200);
    assert!(body.contains("Sie haben noch keinen Passkey"), "{body}");
    assert!(body.contains("<script src=\"/static/passkeys.js\" defer></script>"));

    let mut laptop = Authenticator::new(7);
    let cookie = register(&app, &cookie, &mut laptop, "Dienstlaptop").await;
    let (_, body) = app.get_page(&cookie, "/account/passkeys").await;
    assert!(
        body.contains("<th scope=\"row\">Dienstlaptop</th>"),
        "{body}"
    );
    assert!(body.contains("noch nie"), "not used yet: {body}");

    // The same challenge cannot register twice.
    let (opts, _) = options(&app, &cookie, "/account/passkeys/challenge").await;
    let mut other = Authenticator::new(8);
    let mut form = other.create(&opts, ORIGIN);
    form.push(("name", "Zweitgerät".into()));
    let res = post(&app, &cookie, "/account/passkeys", &form).await;
    assert_eq!(res.status().as_u16(), 303);
    let cookie = cookie_of(&res);
    let res = post(&app, &cookie, "/account/passkeys", &form).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("(wrong_challenge)"));

    // A registration from another origin is refused with the reason.
    let (opts, _) = options(&app, &cookie, "/account/passkeys/challenge").await;
    let mut third = Authenticator::new(9);
    let mut form = third.create(&opts, "https://angreifer.example");
    form.push(("name", "Fremd".into()));
    let res = post(&app, &cookie, "/account/passkeys", &form).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("(wrong_origin)"));
    assert_eq!(app.store.staff_passkeys(id).await.unwrap().len(), 2);

    // Signed out, the passkey alone signs in: a new session that counts as both factors.
    app.post_form(&cookie, "/logout", &[]).await;
    let (res, replay, binding) = passwordless(&app, &mut laptop, ORIGIN).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(header(res.headers(), "location"), "/inbox");
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("rathaus_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, body) = app.get_page(&session, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(body.contains("<td>Passkey</td>"), "{body}");
    let (_, body) = app.get_page(&session, "/account/passkeys").await;
    assert!(
        !body.contains(
            "noch nie</td>\n      <td><form method=\"post\" action=\"/account/passkeys/1/"
        ),
        "last used shown"
    );

    // The same assertion again (replay): its challenge is used up.
    let res = post(&app, &binding, "/login/passkey", &replay).await;
    assert_eq!(res.status().as_u16(), 401);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("abgelaufen oder wurde schon verwendet"));
    // The other refusals read alike (the reasons go to the audit log, checked below), so a
    // registered passkey cannot be told from an unknown one.
    let mut refusals = Vec::new();
    // From a foreign origin.
    let (res, _, _) = passwordless(&app, &mut laptop, "https://angreifer.example").await;
    assert_eq!(res.status().as_u16(), 401);
    refusals.push(res.text().await.unwrap());
    // A counter that went back (a copied authenticator).
    laptop.count = 0;
    let (res, _, _) = passwordless(&app, &mut laptop, ORIGIN).await;
    assert_eq!(res.status().as_u16(), 401);
    refusals.push(res.text().await.unwrap());
    // A credential nobody registered.
    let (res, _, _) = passwordless(&app, &mut Authenticator::new(42), ORIGIN).await;
    assert_eq!(res.status().as_u16(), 401);
    refusals.push(res.text().await.unwrap());
    // Without the user handle a passwordless sign-in does not say whose passkey it is.
    let (opts, set) = options(&app, "", "/login/passkey/challenge").await;
    laptop.count = 5;
    let mut form = laptop.get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
    form.retain(|(k, _)| *k != "user_handle");
    let res = post(&app, &set.unwrap(), "/login/passkey", &form).await;
    assert_eq!(res.status().as_u16(), 401);
    refusals.push(res.text().await.unwrap());
    assert!(
        refusals[0].contains("Der Passkey wurde abgelehnt."),
        "{}",
        refusals[0]
    );
    assert!(
        refusals.iter().all(|r| *r == refusals[0]),
        "every refusal reads the same"
    );
    // The right passkey with the challenge of another browser's sign-in.
    let (opts, _) = options(&app, "", "/login/passkey/challenge").await;
    laptop.count = 10;
    let form = laptop.get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
    let res = post(
        &app,
        "rathaus_passkey=someone-else",
        "/login/passkey",
        &form,
    )
    .await;
    assert_eq!(res.status().as_u16(), 401);

    // Refusals for a known passkey go to its member's municipality log (the others are logged
    // without a municipality, like failed logins of unknown addresses).
    let failed = failed_logins(&app).await;
    for reason in ["counter_regression", "wrong_user"] {
        assert!(
            failed.contains(&format!("staff:{id} passkey: {reason}")),
            "{failed:?}"
        );
    }
    let filter = AuditFilter::default();
    let actions: Vec<(String, String)> = app
        .store
        .audit_entries(app.a, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.details.unwrap_or_default()))
        .collect();
    assert!(
        actions.iter().any(|(a, _)| a == "passkey.added"),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "login.ok" && d.ends_with("method: passkey")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_passkey_is_the_second_factor_after_the_password_and_the_last_one_stays() {
    let app = start().await;
    // An administrator without an authenticator app: the passkey becomes the second factor.
    let id = app
        .staff_without_second_factor(app.a, "anna@musterstadt.de", "Anna", Role::Admin)
        .await;
    let cookie = app.login("anna@musterstadt.de").await;
    let phone = app.login("anna@musterstadt.de").await;
    assert_eq!(
        app.get_page(&cookie, "/inbox").await.0,
        303,
        "sent to set up a factor"
    );
    let mut key = Authenticator::new(3);
    let cookie = register(&app, &cookie, &mut key, "Sicherheitsschlüssel").await;
    assert_eq!(
        app.get_page(&cookie, "/inbox").await.0,
        200,
        "registering proved it"
    );

    // The only second factor of a role that requires one cannot be removed.
    let passkey = app.store.staff_passkeys(id).await.unwrap()[0].id;
    // A session opened with the password before the passkey existed may neither remove nor add one.
    let res = post(
        &app,
        &phone,
        &format!("/account/passkeys/{passkey}/remove"),
        &[],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    assert!(res.text().await.unwrap().contains("ohne zweiten Faktor"));
    let (opts, _) = options(&app, &phone, "/account/passkeys/challenge").await;
    let mut form = Authenticator::new(6).create(&opts, ORIGIN);
    form.push(("name", "Angreifer".into()));
    assert_eq!(
        post(&app, &phone, "/account/passkeys", &form)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(app.store.staff_passkeys(id).await.unwrap().len(), 1);
    let res = post(
        &app,
        &cookie,
        &format!("/account/passkeys/{passkey}/remove"),
        &[],
    )
    .await;
    assert_eq!(res.status().as_u16(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("einziger zweiter Faktor"));

    // Next sign-in: the password, then the passkey instead of a code.
    app.post_form(&cookie, "/logout", &[]).await;
    let res = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "anna@musterstadt.de"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(header(res.headers(), "location").starts_with("/login/mfa"));
    let pending = cookie_of(&res);
    let (status, body) = app.get_page(&pending, "/login/mfa").await;
    assert_eq!(status, 200);
    assert!(body.contains("action=\"/login/mfa/passkey\""), "{body}");
    assert!(
        !body.contains("action=\"/login/mfa\""),
        "no code to type without an app: {body}"
    );
    let (opts, _) = options(&app, &pending, "/login/mfa/passkey/challenge").await;
    let allowed = opts["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["id"], B64.encode(&key.credential_id));
    // Another member's passkey does not answer for Anna.
    let mut bobs = Authenticator::new(4);
    let bob = app.staff(app.a, "bob@musterstadt.de", Role::Agent).await;
    let bob_cookie = app.login("bob@musterstadt.de").await;
    register(&app, &bob_cookie, &mut bobs, "Bobs Handy").await;
    let form = bobs.get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
    let res = post(&app, &pending, "/login/mfa/passkey", &form).await;
    assert_eq!(res.status().as_u16(), 401);
    let body = res.text().await.unwrap();
    assert!(body.contains("Der Passkey wurde abgelehnt."), "{body}");
    assert!(
        body.contains("action=\"/login/mfa/passkey\"") && !body.contains("action=\"/login\""),
        "the second step again, not the login form: {body}"
    );
    assert!(failed_logins(&app)
        .await
        .contains(&format!("staff:{id} passkey: wrong_user")));
    let _ = bob;

    let (opts, _) = options(&app, &pending, "/login/mfa/passkey/challenge").await;
    let form = key.get(opts["publicKey"]["challenge"].as_str().unwrap(), ORIGIN);
    let res = post(&app, &pending, "/login/mfa/passkey", &form).await;
    assert_eq!(res.status().as_u16(), 303);
    let full = cookie_of(&res);
    assert_ne!(full, pending, "a new session id");
    assert_eq!(app.get_page(&full, "/inbox").await.0, 200);
    let (_, body) = app.get_page(&full, "/account/sessions").await;
    assert!(body.contains("<td>Passwort + Passkey</td>"), "{body}");
    assert_eq!(app.get_page(&pending, "/login/mfa").await.0, 303, "used up");

    // With a second passkey the first may go; audited.
    let full = register(&app, &full, &mut Authenticator::new(5), "Ersatz").await;
    let res = post(
        &app,
        &full,
        &format!("/account/passkeys/{passkey}/remove"),
        &[],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.store.staff_passkeys(id).await.unwrap().len(), 1);
    let removed = app
        .store
        .audit_entries(
            app.a,
            &AuditFilter {
                action_prefix: Some("passkey.removed".into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(removed.len(), 1);
}

/// The e2e tooling (node, playwright-core, Chromium); None means "skip" outside CI, and CI fails instead.
fn browser_tooling() -> Option<std::path::PathBuf> {
    let dir = std::env::var("RATHAUS_TEST_E2E_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests-e2e")
        });
    let chromium =
        std::env::var("RATHAUS_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node
        && dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/@axe-core/playwright").exists()
        && std::path::Path::new(&chromium).exists()
    {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("node, playwright-core or Chromium missing in CI: run scripts/test.sh (npm ci in tests-e2e)");
    }
    eprintln!("skipping passkey browser test: no node, tests-e2e/node_modules or chromium");
    None
}

/// Chromium's virtual authenticator through the real pages: add a passkey, sign in with it alone, and
/// as the second factor after the password; the pages pass axe on a phone-sized window.
#[tokio::test]
async fn chromium_adds_a_passkey_and_signs_in_with_it_alone_and_after_the_password() {
    let Some(dir) = browser_tooling() else { return };
    let app = crate::harness::start_at_localhost().await;
    let id = app.staff(app.a, "sb@musterstadt.de", Role::Agent).await;
    let out = tokio::process::Command::new("node")
        .current_dir(&dir)
        .arg("passkeys.mjs")
        .arg(app.localhost())
        .arg("sb@musterstadt.de")
        .arg(PASSWORD)
        .output()
        .await
        .expect("node runs");
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
    assert_eq!(seen["consoleErrors"], serde_json::json!([]), "e.g. CSP");
    assert_eq!(seen["addFormVisible"], true, "the script shows the form");
    assert!(seen["accountText"]
        .as_str()
        .unwrap()
        .contains("Dienstlaptop"));
    let credentials = seen["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0]["resident"], true, "discoverable");
    assert_eq!(credentials[0]["rpId"], "localhost");
    assert_eq!(seen["signInButton"], "Mit Passkey anmelden");
    let steps: Vec<(&str, &str)> = seen["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["url"].as_str().unwrap()))
        .collect();
    let url_of = |name| steps.iter().find(|(n, _)| *n == name).unwrap().1;
    assert!(url_of("passwordless").ends_with("/inbox"), "{steps:?}");
    assert!(url_of("second_step").contains("/login/mfa"), "{steps:?}");
    assert!(url_of("second_factor").ends_with("/inbox"), "{steps:?}");
    assert!(seen["sessionsText"].as_str().unwrap().contains("Passkey"));
    assert!(seen["sessionsAfterSecond"]
        .as_str()
        .unwrap()
        .contains("Passwort + Passkey"));
    let passkeys = app.store.staff_passkeys(id).await.unwrap();
    assert_eq!(passkeys.len(), 1);
    assert!(passkeys[0].last_used_at.is_some());
}
