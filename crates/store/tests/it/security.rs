//! Staff sign-in security on both backends: failed-login counts, the second factor, recovery codes, sessions.

use rathaus_store::{
    session_reference, FirstFactor, LoginFailures, NewSession, Role, SecondFactor, SignIn,
    LOGIN_FAILURE_RETENTION_MS,
};

use crate::backends;

const T0: i64 = 1_790_000_000_000;
const MIN: i64 = 60 * 1000;
const DAY: i64 = 24 * 60 * MIN;

#[tokio::test]
async fn login_failures_count_per_account_and_address_and_reset_per_account() {
    for t in backends::all().await {
        let s = &t.store;
        let window = |email, ip, now| s.login_failures(email, ip, now, DAY, 10 * MIN);
        assert_eq!(
            window("anna@x.de", Some("10.0.0.1"), T0).await.unwrap(),
            LoginFailures::default()
        );
        for i in 0..3 {
            s.record_login_failure(" Anna@X.de", Some("10.0.0.1"), T0 + i * MIN)
                .await
                .unwrap();
        }
        s.record_login_failure("bob@x.de", Some("10.0.0.1"), T0 + 3 * MIN)
            .await
            .unwrap();
        s.record_login_failure("anna@x.de", None, T0 + 4 * MIN)
            .await
            .unwrap();
        let f = window("anna@x.de", Some("10.0.0.1"), T0 + 5 * MIN)
            .await
            .unwrap();
        assert_eq!(
            f,
            LoginFailures {
                account_count: 4,
                account_last_at: Some(T0 + 4 * MIN),
                ip_count: 4,
                ip_first_at: Some(T0),
            },
            "{}: e-mail is matched case- and space-insensitively",
            t.name
        );
        // Only the address window's failures count for the address.
        let f = window("nobody@x.de", Some("10.0.0.1"), T0 + 11 * MIN + 1)
            .await
            .unwrap();
        assert_eq!((f.account_count, f.ip_count), (0, 2), "{}", t.name);
        assert_eq!(
            window("anna@x.de", Some("10.0.0.2"), T0 + 5 * MIN)
                .await
                .unwrap()
                .ip_count,
            0
        );

        s.clear_login_failures("ANNA@x.de").await.unwrap();
        let f = window("anna@x.de", Some("10.0.0.1"), T0 + 5 * MIN)
            .await
            .unwrap();
        assert_eq!(
            (f.account_count, f.ip_count),
            (0, 1),
            "{}: a success clears the account, the address keeps bob's failure",
            t.name
        );

        // A day later the old rows are gone for good.
        let later = T0 + LOGIN_FAILURE_RETENTION_MS + 10 * MIN;
        s.record_login_failure("carl@x.de", None, later)
            .await
            .unwrap();
        let f = s
            .login_failures("bob@x.de", Some("10.0.0.1"), later, 10 * DAY, 10 * DAY)
            .await
            .unwrap();
        assert_eq!((f.account_count, f.ip_count), (0, 0), "{}", t.name);
    }
}

/// A sign-in that names no account (a passkey nobody registered) counts for its address only.
#[tokio::test]
async fn failures_without_an_account_count_for_the_address_only() {
    for t in backends::all().await {
        let s = &t.store;
        for i in 0..3 {
            s.record_address_login_failure(Some("10.0.0.9"), T0 + i * MIN)
                .await
                .unwrap();
        }
        s.record_address_login_failure(None, T0).await.unwrap();
        s.record_login_failure("anna@x.de", Some("10.0.0.9"), T0 + 3 * MIN)
            .await
            .unwrap();
        let now = T0 + 5 * MIN;
        assert_eq!(
            s.address_login_failures(Some("10.0.0.9"), now, 10 * MIN)
                .await
                .unwrap(),
            LoginFailures {
                ip_count: 4,
                ip_first_at: Some(T0),
                ..LoginFailures::default()
            },
            "{}: with the wrong password from the same address",
            t.name
        );
        assert_eq!(
            s.address_login_failures(None, now, 10 * MIN).await.unwrap(),
            LoginFailures::default()
        );
        // The password path sees the same count for the address, and no account was charged.
        let f = s
            .login_failures("", Some("10.0.0.9"), now, DAY, 10 * MIN)
            .await
            .unwrap();
        assert_eq!((f.account_count, f.ip_count), (0, 4), "{}", t.name);
        let f = s.login_failures("anna@x.de", None, now, DAY, 10 * MIN);
        assert_eq!(f.await.unwrap().account_count, 1, "{}", t.name);

        // A member's failures are counted under the e-mail address they sign in with.
        let (_, id) = member(s, " Anna@X.de", Role::Agent).await;
        assert_eq!(
            s.login_email_of(id).await.unwrap().as_deref(),
            Some("anna@x.de")
        );
        assert_eq!(s.login_email_of(id + 1000).await.unwrap(), None);
    }
}

async fn member(s: &rathaus_store::Store, email: &str, role: Role) -> (i64, i64) {
    let m = s
        .ensure_municipality("musterstadt", "Musterstadt", "Europe/Berlin", T0)
        .await
        .unwrap();
    let id = s
        .upsert_staff(m.id, email, "Anna", Some("hash"), role, T0)
        .await
        .unwrap();
    (m.id, id)
}

#[tokio::test]
async fn totp_secrets_are_sealed_confirmed_once_and_steps_never_accepted_twice() {
    for t in backends::all().await {
        let s = &t.store;
        let (_, anna) = member(s, "anna@x.de", Role::Admin).await;
        let (_, bob) = member(s, "bob@x.de", Role::Agent).await;
        assert!(s.totp(anna).await.unwrap().is_none());
        assert!(!s.totp_enabled(anna).await.unwrap());

        s.begin_totp(anna, b"first secret 20 byte", T0)
            .await
            .unwrap();
        s.begin_totp(anna, b"other secret 20 byte", T0 + 1)
            .await
            .unwrap();
        let e = s.totp(anna).await.unwrap().unwrap();
        assert_eq!(e.secret, b"other secret 20 byte", "{}", t.name);
        assert!(!e.confirmed);
        assert!(!s.use_totp_step(anna, 5).await.unwrap(), "unconfirmed");
        assert!(!s.totp_enabled(anna).await.unwrap());

        assert!(s.confirm_totp(anna, 100, T0 + 2).await.unwrap());
        assert!(!s.confirm_totp(anna, 101, T0 + 3).await.unwrap(), "once");
        assert!(s.totp_enabled(anna).await.unwrap());
        assert!(
            s.begin_totp(anna, b"attacker secret 20by", T0 + 4)
                .await
                .is_err(),
            "{}: a confirmed secret is not replaced",
            t.name
        );
        assert!(!s.use_totp_step(anna, 100).await.unwrap(), "replay");
        assert!(!s.use_totp_step(anna, 99).await.unwrap(), "older step");
        assert!(s.use_totp_step(anna, 101).await.unwrap());
        assert!(!s.use_totp_step(anna, 101).await.unwrap(), "replay");
        assert!(!s.use_totp_step(bob, 500).await.unwrap(), "bob has none");

        // The secret never sits in the database in clear.
        let e = s.totp(anna).await.unwrap().unwrap();
        assert_eq!(
            (e.secret.as_slice(), e.confirmed, e.last_step),
            (&b"other secret 20 byte"[..], true, Some(101))
        );
        let count_clear = count(
            &t,
            "SELECT COUNT(*) FROM staff_totp WHERE secret_enc = $1",
            b"other secret 20 byte",
        )
        .await;
        assert_eq!(count_clear, 0);

        s.disable_totp(anna).await.unwrap();
        assert!(s.totp(anna).await.unwrap().is_none());
    }
}

async fn count(t: &backends::TestStore, sql: &str, bytes: &[u8]) -> i64 {
    if t.url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        let n = sqlx::query_scalar(sql)
            .bind(bytes)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        let n = sqlx::query_scalar(sql)
            .bind(bytes)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    }
}

#[tokio::test]
async fn recovery_codes_are_hashed_per_member_and_work_once() {
    for t in backends::all().await {
        let s = &t.store;
        let (_, anna) = member(s, "anna@x.de", Role::Dpo).await;
        let (_, bob) = member(s, "bob@x.de", Role::Agent).await;
        let codes = vec![
            "abcd-efgh-ijkl-mnop".to_string(),
            "qrst-uvwx-yz23-4567".to_string(),
        ];
        s.replace_recovery_codes(anna, &codes).await.unwrap();
        assert_eq!(s.recovery_codes_left(anna).await.unwrap(), 2);
        assert!(!s
            .use_recovery_code(bob, "abcd-efgh-ijkl-mnop", T0)
            .await
            .unwrap());
        assert!(s
            .use_recovery_code(anna, " ABCD efgh-IJKL mnop ", T0)
            .await
            .unwrap());
        assert!(
            !s.use_recovery_code(anna, "abcdefghijklmnop", T0)
                .await
                .unwrap(),
            "{}: once",
            t.name
        );
        assert!(!s.use_recovery_code(anna, "", T0).await.unwrap());
        assert_eq!(s.recovery_codes_left(anna).await.unwrap(), 1);
        assert_eq!(
            count(
                &t,
                "SELECT COUNT(*) FROM staff_recovery_codes WHERE code_hash = $1",
                b"qrst-uvwx-yz23-4567"
            )
            .await,
            0
        );
        // New codes replace the old ones.
        s.replace_recovery_codes(anna, &["zzzz".to_string()])
            .await
            .unwrap();
        assert!(!s
            .use_recovery_code(anna, "qrst-uvwx-yz23-4567", T0)
            .await
            .unwrap());
        assert_eq!(s.recovery_codes_left(anna).await.unwrap(), 1);
        s.disable_totp(anna).await.unwrap();
        assert_eq!(s.recovery_codes_left(anna).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn pending_sessions_open_nothing_and_sessions_are_listed_and_ended() {
    for t in backends::all().await {
        let s = &t.store;
        let (m, anna) = member(s, "anna@x.de", Role::Agent).await;
        let new = |token, pending, now| NewSession {
            token,
            staff_id: anna,
            municipality_id: m,
            now,
            expires_at: now + 60 * MIN,
            mfa_pending: pending,
            sign_in: if pending {
                SignIn::new(FirstFactor::Sso)
            } else {
                SignIn::new(FirstFactor::Sso).with(SecondFactor::Provider)
            },
            client_ip: Some("192.0.2.0"),
            user_agent: Some("Firefox, Linux"),
        };
        s.start_session(&new("pending", true, T0)).await.unwrap();
        assert!(
            s.session("pending", T0 + 1, 30 * MIN)
                .await
                .unwrap()
                .is_none(),
            "{}",
            t.name
        );
        let p = s.pending_login("pending", T0 + 1).await.unwrap().unwrap();
        assert_eq!(
            (p.staff_id, p.municipality_id, p.email.as_str()),
            (anna, m, "anna@x.de")
        );
        assert_eq!(
            p.first,
            FirstFactor::Sso,
            "{}: the first factor is kept",
            t.name
        );
        assert!(
            s.pending_login("pending", T0 + 61 * MIN)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );

        s.start_session(&new("one", false, T0)).await.unwrap();
        s.start_session(&new("two", false, T0 + MIN)).await.unwrap();
        assert!(s.pending_login("one", T0 + 1).await.unwrap().is_none());
        assert!(s
            .session("one", T0 + 2 * MIN, 30 * MIN)
            .await
            .unwrap()
            .is_some());
        let list = s
            .staff_sessions(anna, T0 + 3 * MIN, 30 * MIN)
            .await
            .unwrap();
        assert_eq!(list.len(), 2, "{}: the pending login is not listed", t.name);
        assert_eq!(
            list[0].reference,
            session_reference("one"),
            "most recently used first"
        );
        assert_eq!(list[0].client_ip.as_deref(), Some("192.0.2.0"));
        assert_eq!(list[1].user_agent.as_deref(), Some("Firefox, Linux"));
        let sign_in = list[0].sign_in.expect("recorded");
        assert_eq!(sign_in.as_str(), "sso+mfa", "{}", t.name);
        assert!(sign_in.second_factor_satisfied());
        assert_eq!(
            s.session_sign_in("one").await.unwrap(),
            Some(Some(sign_in)),
            "{}",
            t.name
        );
        assert_eq!(s.session_sign_in("pending").await.unwrap(), None);

        let (_, bob) = member(s, "bob@x.de", Role::Agent).await;
        assert!(
            !s.end_session(bob, &session_reference("two")).await.unwrap(),
            "not bob's"
        );
        assert!(!s.end_session(anna, "not hex").await.unwrap());
        assert!(s
            .end_session(anna, &session_reference("two"))
            .await
            .unwrap());
        assert!(s
            .session("two", T0 + 3 * MIN, 30 * MIN)
            .await
            .unwrap()
            .is_none());
        assert_eq!(s.end_all_sessions(anna).await.unwrap(), 2);
        assert!(s
            .session("one", T0 + 3 * MIN, 30 * MIN)
            .await
            .unwrap()
            .is_none());

        // A changed role ends the sessions in that municipality; the same role keeps them.
        s.start_session(&new("three", false, T0)).await.unwrap();
        member(s, "anna@x.de", Role::Agent).await;
        assert!(s
            .session("three", T0 + 1, 30 * MIN)
            .await
            .unwrap()
            .is_some());
        member(s, "anna@x.de", Role::Admin).await;
        assert!(
            s.session("three", T0 + 2, 30 * MIN)
                .await
                .unwrap()
                .is_none(),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn passkeys_are_per_member_challenges_work_once_and_counters_only_grow() {
    use rathaus_store::{ChallengePurpose, NewPasskey};
    for t in backends::all().await {
        let s = &t.store;
        let (m, anna) = member(s, "anna@x.de", Role::Admin).await;
        let (_, bob) = member(s, "bob@x.de", Role::Agent).await;

        // A challenge works once, only for its purpose and the cookie it was bound to, until it expires.
        assert!(s
            .issue_passkey_challenge(
                b"c1",
                ChallengePurpose::Register,
                "sess",
                Some(anna),
                T0,
                T0 + 5 * MIN,
                10,
            )
            .await
            .unwrap());
        // Outstanding challenges of a purpose are capped (anyone may ask for a sign-in challenge).
        for (i, expect) in [(0u8, true), (1, true), (2, false)] {
            let issued = s
                .issue_passkey_challenge(&[i], ChallengePurpose::SignIn, "b", None, T0, T0 + MIN, 2)
                .await
                .unwrap();
            assert_eq!(issued, expect, "{}: sign-in challenge {i}", t.name);
        }
        assert!(
            s.issue_passkey_challenge(
                &[9],
                ChallengePurpose::SignIn,
                "b",
                None,
                T0 + MIN,
                T0 + 2 * MIN,
                2
            )
            .await
            .unwrap(),
            "{}: expired ones no longer count",
            t.name
        );
        for (purpose, binding, at) in [
            (ChallengePurpose::SignIn, "sess", T0 + 1),
            (ChallengePurpose::Register, "other", T0 + 1),
            (ChallengePurpose::Register, "sess", T0 + 5 * MIN),
        ] {
            assert_eq!(
                s.take_passkey_challenge(b"c1", purpose, binding, at)
                    .await
                    .unwrap(),
                None,
                "{}: {purpose:?} {binding} {at}",
                t.name
            );
        }
        assert_eq!(
            s.take_passkey_challenge(b"c1", ChallengePurpose::Register, "sess", T0 + 1)
                .await
                .unwrap(),
            Some(Some(anna))
        );
        assert_eq!(
            s.take_passkey_challenge(b"c1", ChallengePurpose::Register, "sess", T0 + 2)
                .await
                .unwrap(),
            None,
            "{}: used up",
            t.name
        );

        let new = |staff_id, credential_id: &'static [u8], name| NewPasskey {
            staff_id,
            credential_id,
            user_handle: b"handle-anna",
            public_key: b"cose",
            sign_count: 3,
            name,
        };
        let second_factor = |list: Vec<rathaus_store::StaffOverview>| {
            list.into_iter()
                .find(|o| o.id == anna)
                .map(|o| o.second_factor)
        };
        assert_eq!(
            second_factor(s.staff_overview(m).await.unwrap()),
            Some(false)
        );
        assert_eq!(s.passkey_user_handle(anna).await.unwrap(), None);
        let laptop = s
            .add_passkey(&new(anna, b"cred-1", "Laptop"), T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.add_passkey(&new(bob, b"cred-1", "same id"), T0)
                .await
                .unwrap(),
            None,
            "{}: a credential id belongs to one member",
            t.name
        );
        assert_eq!(
            second_factor(s.staff_overview(m).await.unwrap()),
            Some(true),
            "{}: a passkey counts as second factor in the staff list",
            t.name
        );
        s.add_passkey(&new(anna, b"cred-2", "Handy"), T0 + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.passkey_user_handle(anna).await.unwrap().as_deref(),
            Some(&b"handle-anna"[..])
        );
        let list = s.staff_passkeys(anna).await.unwrap();
        assert_eq!(
            list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["Laptop", "Handy"]
        );
        assert!(s.staff_passkeys(bob).await.unwrap().is_empty());

        let stored = s.passkey_by_credential(b"cred-1").await.unwrap().unwrap();
        assert_eq!(
            (stored.id, stored.staff_id, stored.sign_count),
            (laptop, anna, 3)
        );
        assert!(s.passkey_used(laptop, 3, 4, T0 + 10).await.unwrap());
        assert!(
            !s.passkey_used(laptop, 3, 5, T0 + 11).await.unwrap(),
            "{}: the counter moved on meanwhile",
            t.name
        );
        let list = s.staff_passkeys(anna).await.unwrap();
        assert_eq!(list[0].last_used_at, Some(T0 + 10));
        assert!(!s.remove_passkey(bob, laptop).await.unwrap(), "not bob's");
        assert!(s.remove_passkey(anna, laptop).await.unwrap());
        assert!(s.passkey_by_credential(b"cred-1").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn only_a_hash_of_the_session_cookie_is_stored() {
    for t in backends::all().await {
        let s = &t.store;
        let (m, anna) = member(s, "anna@x.de", Role::Agent).await;
        let token = "Cookie-Value-That-Must-Not-Be-Stored-0123456789";
        s.start_session(&NewSession {
            token,
            staff_id: anna,
            municipality_id: m,
            now: T0,
            expires_at: T0 + 60 * MIN,
            mfa_pending: false,
            sign_in: SignIn::new(FirstFactor::Password),
            client_ip: None,
            user_agent: None,
        })
        .await
        .unwrap();
        // The cookie still opens the session …
        assert!(s.session(token, T0 + 1, 30 * MIN).await.unwrap().is_some());
        // … but the table holds only its SHA-256, nowhere the value itself.
        let stored: Vec<Vec<u8>> = backends::raw_column(&t, "SELECT id_hash FROM sessions").await;
        let expected = hex::decode(rathaus_crypto::sha256_hex(token.as_bytes())).unwrap();
        assert_eq!(stored, vec![expected], "{}", t.name);
        let texts: Vec<String> = backends::raw_column(
            &t,
            "SELECT CAST(staff_id AS TEXT) || ' ' || COALESCE(sign_in, '') || ' ' || \
             COALESCE(client_ip, '') || ' ' || COALESCE(user_agent, '') FROM sessions",
        )
        .await;
        assert!(!texts.iter().any(|r| r.contains(token)), "{}", t.name);
        // A guess of the hash as the cookie opens nothing.
        let hash_hex = rathaus_crypto::sha256_hex(token.as_bytes());
        assert!(s
            .session(&hash_hex, T0 + 1, 30 * MIN)
            .await
            .unwrap()
            .is_none());
    }
}
