//! Staff sign-in security on both backends: login failure counts per account and address.

use rathaus_store::{LoginFailures, LOGIN_FAILURE_RETENTION_MS};

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
