//! The benchmark's bulk fill on both backends: its rows read back through the normal API, are erased like any citizen's, and later ordinary rows do not collide.

use rathaus_domain::schedule::response_time::{Clock, Situation};
use rathaus_domain::{ChannelKind, InboundMessage, MessageContent, PlatformUser};
use rathaus_store::{BulkCitizen, BulkConcern, BulkMessage, BulkResponse, PromiseRecord, Role};

use crate::backends::{self, municipality};

const MIN: i64 = 60 * 1000;
const T0: i64 = 1_790_000_000_000;

fn bulk_citizen(i: usize) -> BulkCitizen {
    BulkCitizen {
        platform_id: format!("4915100000{i:03}"),
        display_name: Some(format!("Bürger {i}")),
        phone: Some(format!("+4915100000{i:03}")),
        consent_message_id: format!("wamid.optin{i}"),
        created_at: T0,
    }
}

#[tokio::test]
async fn bulk_filled_concerns_read_back_and_erase_like_filed_ones() {
    for b in backends::all().await {
        let s = &b.store;
        let m = municipality(s, "musterstadt", "Musterstadt").await;
        let wa = s
            .ensure_channel(m, ChannelKind::WhatsApp, "whatsapp", "1065", T0)
            .await
            .unwrap()
            .id;
        let staff = s
            .upsert_staff(m, "a@musterstadt.de", "Anna", None, Role::Agent, T0)
            .await
            .unwrap();
        let citizens = s
            .bench_fill_citizens(m, wa, "v1", &[bulk_citizen(1), bulk_citizen(2)])
            .await
            .unwrap();
        assert_eq!(citizens.len(), 2, "{}", b.name);
        let found = s
            .find_citizen(m, wa, "4915100000002")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, citizens[1].id, "{}", b.name);
        assert_eq!(
            s.citizen_platform_id(&found).await.unwrap(),
            "4915100000002"
        );

        let concerns: Vec<BulkConcern> = (0..3)
            .map(|k| BulkConcern {
                citizen: k % 2,
                status: "resolved",
                created_at: T0 + k as i64 * MIN,
                resolved_at: Some(T0 + 60 * MIN),
                messages: vec![
                    BulkMessage {
                        author_id: None,
                        text: format!("Laterne {k} kaputt"),
                        platform_message_id: format!("wamid.in{k}"),
                        at: T0 + k as i64 * MIN,
                    },
                    BulkMessage {
                        author_id: Some(staff),
                        text: format!("Wir kümmern uns um Laterne {k}."),
                        platform_message_id: format!("wamid.out{k}"),
                        at: T0 + (k as i64 + 5) * MIN,
                    },
                ],
                response: Some(BulkResponse {
                    promise: PromiseRecord {
                        situation: Situation::OfficeHours,
                        clock: Clock::WallClock,
                        due_at: T0 + 120 * MIN,
                        near_due_at: T0 + 90 * MIN,
                        slot_start: None,
                    },
                    started_at: T0 + k as i64 * MIN,
                    first_response_at: Some(T0 + (k as i64 + 5) * MIN),
                }),
            })
            .collect();
        s.bench_fill_concerns(&citizens, &concerns).await.unwrap();

        let samples = s
            .response_samples(m, T0 - MIN, T0 + 100 * MIN)
            .await
            .unwrap();
        assert_eq!(samples.len(), 3, "{}", b.name);
        assert!(samples.iter().all(|x| x.first_response.is_some()));

        // The first citizen has two concerns; everything decrypts with the citizen's key, as in an export.
        let export = s.citizen_export(m, citizens[0].id).await.unwrap();
        assert_eq!(export.concerns.len(), 2, "{}", b.name);
        assert_eq!(export.display_name.as_deref(), Some("Bürger 1"));
        assert_eq!(export.consents.len(), 1, "{}", b.name);
        let texts: Vec<_> = export.concerns[0]
            .messages
            .iter()
            .map(|x| (x.direction.clone(), x.text.clone()))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("inbound".to_string(), Some("Laterne 0 kaputt".to_string())),
                (
                    "outbound".to_string(),
                    Some("Wir kümmern uns um Laterne 0.".to_string())
                )
            ],
            "{}",
            b.name
        );

        // A redelivered webhook of a bulk message is recognised as already filed.
        let redelivered = InboundMessage {
            platform_message_id: "wamid.in1".into(),
            sender: PlatformUser {
                id: "4915100000002".into(),
                phone: None,
                display_name: None,
            },
            sent_at_ms: T0,
            content: MessageContent::Text { body: "x".into() },
        };
        assert!(s
            .file_inbound_message(&found, &redelivered, T0 + 200 * MIN)
            .await
            .unwrap()
            .is_none());

        // Erasure removes everything of the first citizen and nothing of the second.
        let summary = s
            .erase_citizen(&citizens[0], "test", T0 + 300 * MIN, |_, _, _| false)
            .await
            .unwrap();
        assert_eq!((summary.concerns, summary.messages), (2, 4), "{}", b.name);
        assert!(s
            .find_citizen(m, wa, "4915100000001")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            s.response_samples(m, T0 - MIN, T0 + 100 * MIN)
                .await
                .unwrap()
                .len(),
            1
        );

        // Ordinary rows after a bulk fill get fresh ids (the sequences moved on).
        let user = PlatformUser {
            id: "4915100000099".into(),
            phone: None,
            display_name: None,
        };
        let later = s
            .record_consent(m, wa, &user, "v1", "wamid.optin99", T0 + 400 * MIN)
            .await
            .unwrap();
        assert!(later.id > citizens[1].id, "{}", b.name);
        let mut msg = redelivered.clone();
        msg.platform_message_id = "wamid.new".into();
        let filed = s
            .file_inbound_message(&later, &msg, T0 + 400 * MIN)
            .await
            .unwrap()
            .unwrap();
        assert!(filed.new_concern, "{}", b.name);
    }
}
