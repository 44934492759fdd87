//! Staff administration and teams on both backends: invitations, role changes with the last-admin rule,
//! removal, team membership, channel routing of new concerns and the team scope of the inbox.

use rathaus_domain::{ChannelKind, InboundMessage, MessageContent, PlatformUser};
use rathaus_store::{
    ConcernFilter, ConfiguredTeam, Role, StaffRefusal, Store, TeamRefusal, INVITATION_VALID_MS,
};

use crate::backends;

const T0: i64 = 1_790_000_000_000;

async fn town(s: &Store, slug: &str) -> (i64, i64, i64) {
    let m = s
        .ensure_municipality(slug, slug, "Europe/Berlin", T0)
        .await
        .unwrap()
        .id;
    let wa = s
        .ensure_channel(
            m,
            ChannelKind::WhatsApp,
            "whatsapp",
            &format!("{slug}-wa"),
            T0,
        )
        .await
        .unwrap()
        .id;
    let tg = s
        .ensure_channel(m, ChannelKind::Telegram, "bot", &format!("{slug}-tg"), T0)
        .await
        .unwrap()
        .id;
    (m, wa, tg)
}

async fn concern(s: &Store, m: i64, channel: i64, who: &str) -> i64 {
    let user = PlatformUser {
        id: who.into(),
        phone: None,
        display_name: None,
    };
    let c = s
        .record_consent(m, channel, &user, "v1", &format!("optin-{who}"), T0)
        .await
        .unwrap();
    let msg = InboundMessage {
        platform_message_id: format!("m-{who}"),
        sender: user,
        sent_at_ms: T0,
        content: MessageContent::Text {
            body: "Die Laterne ist kaputt".into(),
        },
    };
    s.file_inbound_message(&c, &msg, T0)
        .await
        .unwrap()
        .unwrap()
        .concern_id
}

#[tokio::test]
async fn invitations_roles_and_removal_keep_one_admin() {
    for b in backends::all().await {
        let s = &b.store;
        let (m, _, _) = town(s, "musterstadt").await;
        let (other, _, _) = town(s, "beispieldorf").await;
        let admin = s
            .upsert_staff(
                m,
                "admin@musterstadt.de",
                "Ada",
                Some("hash"),
                Role::Admin,
                T0,
            )
            .await
            .unwrap();

        // A new address gets an account without password and a one-time link.
        let inv = s
            .invite_staff(
                m,
                " Bert@Musterstadt.de ",
                "Bert",
                Role::Agent,
                T0,
                INVITATION_VALID_MS,
            )
            .await
            .unwrap()
            .unwrap();
        let token = inv.token.clone().expect("a link for a new account");
        let pending = s.pending_invitation(&token, T0 + 1).await.unwrap().unwrap();
        assert_eq!(
            (pending.email.as_str(), pending.municipality_id),
            ("bert@musterstadt.de", m),
            "{}",
            b.name
        );
        let list = s.staff_overview(m).await.unwrap();
        let bert = list.iter().find(|x| x.id == inv.staff_id).unwrap();
        assert!(bert.invited && !bert.second_factor && bert.role == Role::Agent);
        // Inviting the same address twice is refused.
        assert_eq!(
            s.invite_staff(
                m,
                "bert@musterstadt.de",
                "",
                Role::Host,
                T0,
                INVITATION_VALID_MS
            )
            .await
            .unwrap(),
            Err(StaffRefusal::AlreadyMember)
        );
        // The link works once, and not after it expired.
        assert!(s
            .pending_invitation(&token, T0 + INVITATION_VALID_MS + 1)
            .await
            .unwrap()
            .is_none());
        assert!(s
            .accept_invitation(&token, "Bert B.", "pw-hash", T0 + 2)
            .await
            .unwrap()
            .is_some());
        assert!(s
            .accept_invitation(&token, "Mallory", "other", T0 + 3)
            .await
            .unwrap()
            .is_none());
        let (_, hash) = s
            .staff_credentials("bert@musterstadt.de")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hash.as_deref(), Some("pw-hash"));

        // The same account joins a second municipality with another role, without a new link.
        let again = s
            .invite_staff(
                other,
                "bert@musterstadt.de",
                "",
                Role::Host,
                T0,
                INVITATION_VALID_MS,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.staff_id, again.token), (inv.staff_id, None));
        assert_eq!(
            s.staff_municipalities(inv.staff_id).await.unwrap(),
            vec![(m, Role::Agent), (other, Role::Host)]
        );

        // Own role and the last admin are protected.
        assert_eq!(
            s.change_staff_role(m, admin, admin, Role::Viewer)
                .await
                .unwrap(),
            Err(StaffRefusal::OwnAccount)
        );
        assert_eq!(
            s.change_staff_role(m, inv.staff_id, admin, Role::Viewer)
                .await
                .unwrap(),
            Err(StaffRefusal::LastAdmin)
        );
        assert_eq!(
            s.remove_staff(m, inv.staff_id, admin).await.unwrap(),
            Err(StaffRefusal::LastAdmin)
        );
        // With a second admin, the first may be demoted; the change ends the member's sessions there.
        assert_eq!(
            s.change_staff_role(m, admin, inv.staff_id, Role::Admin)
                .await
                .unwrap(),
            Ok(Role::Agent)
        );
        s.create_session("sess-ada", admin, m, T0, T0 + 10_000_000)
            .await
            .unwrap();
        assert_eq!(
            s.change_staff_role(m, inv.staff_id, admin, Role::Editor)
                .await
                .unwrap(),
            Ok(Role::Admin)
        );
        assert!(s
            .session("sess-ada", T0 + 1, 1_000_000)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            s.membership_role(m, admin).await.unwrap(),
            Some(Role::Editor)
        );

        // Removal ends sessions and the membership here, not elsewhere.
        s.create_session("sess-bert", inv.staff_id, other, T0, T0 + 10_000_000)
            .await
            .unwrap();
        let team = s.create_team(m, "Ordnungsamt", T0).await.unwrap().unwrap();
        s.set_team_members(m, team, &[admin])
            .await
            .unwrap()
            .unwrap();
        s.upsert_staff(m, "chef@musterstadt.de", "Chef", None, Role::Admin, T0)
            .await
            .unwrap();
        assert_eq!(
            s.remove_staff(m, inv.staff_id, admin).await.unwrap(),
            Ok(Role::Editor)
        );
        assert_eq!(s.membership_role(m, admin).await.unwrap(), None);
        assert!(s.teams(m).await.unwrap()[0].members.is_empty());
        assert_eq!(
            s.remove_staff(m, inv.staff_id, admin).await.unwrap(),
            Err(StaffRefusal::NotMember)
        );
        assert!(s
            .session("sess-bert", T0 + 1, 1_000_000)
            .await
            .unwrap()
            .is_some());
    }
}

#[tokio::test]
async fn channel_routing_puts_new_concerns_into_teams_and_agents_see_only_theirs() {
    for b in backends::all().await {
        let s = &b.store;
        let (m, wa, tg) = town(s, "musterstadt").await;
        let (other, other_wa, _) = town(s, "beispieldorf").await;
        let anna = s
            .upsert_staff(m, "anna@musterstadt.de", "Anna", None, Role::Agent, T0)
            .await
            .unwrap();
        let stranger = s
            .upsert_staff(other, "x@beispieldorf.de", "X", None, Role::Agent, T0)
            .await
            .unwrap();
        let a = s.create_team(m, " Bürgerbüro ", T0).await.unwrap().unwrap();
        let bteam = s.create_team(m, "Bauamt", T0).await.unwrap().unwrap();
        assert_eq!(
            s.create_team(m, "Bürgerbüro", T0).await.unwrap(),
            Err(TeamRefusal::NameTaken)
        );
        assert_eq!(
            s.create_team(m, "  ", T0).await.unwrap(),
            Err(TeamRefusal::NameMissing)
        );
        // Teams belong to one municipality: the same name elsewhere is fine, foreign members are not.
        assert!(s.create_team(other, "Bauamt", T0).await.unwrap().is_ok());
        assert_eq!(
            s.set_team_members(m, a, &[stranger]).await.unwrap(),
            Err(TeamRefusal::Foreign)
        );
        assert_eq!(
            s.set_team_channels(m, a, &[other_wa]).await.unwrap(),
            Err(TeamRefusal::Foreign)
        );
        s.set_team_members(m, a, &[anna]).await.unwrap().unwrap();
        s.set_team_channels(m, a, &[wa]).await.unwrap().unwrap();
        s.set_team_channels(m, bteam, &[tg]).await.unwrap().unwrap();

        let on_wa = concern(s, m, wa, "491511").await;
        let on_tg = concern(s, m, tg, "491512").await;
        assert_eq!(s.concern_team(m, on_wa).await.unwrap(), Some(Some(a)));
        assert_eq!(s.concern_team(m, on_tg).await.unwrap(), Some(Some(bteam)));
        assert_eq!(s.concern_team(other, on_wa).await.unwrap(), None);
        // A concern moved to no team is visible to everyone.
        let loose = concern(s, m, tg, "491513").await;
        assert_eq!(
            s.set_concern_team(m, loose, None).await.unwrap(),
            Ok(Some(bteam))
        );

        let ids = |v: Vec<rathaus_store::ConcernSummary>| {
            let mut v: Vec<i64> = v.into_iter().map(|c| c.id).collect();
            v.sort();
            v
        };
        let mut all = vec![on_wa, on_tg, loose];
        all.sort();
        assert_eq!(
            ids(s.list_concerns(m, &ConcernFilter::default()).await.unwrap()),
            all
        );
        let mut mine = vec![on_wa, loose];
        mine.sort();
        let scoped = ConcernFilter {
            visible_to: Some(anna),
            ..Default::default()
        };
        assert_eq!(
            ids(s.list_concerns(m, &scoped).await.unwrap()),
            mine,
            "{}",
            b.name
        );
        let team_b = ConcernFilter {
            team_id: Some(bteam),
            ..Default::default()
        };
        let listed = s.list_concerns(m, &team_b).await.unwrap();
        assert_eq!(ids(listed.clone()), vec![on_tg]);
        assert_eq!(listed[0].team_name.as_deref(), Some("Bauamt"));
        assert_eq!(s.staff_team_ids(m, anna).await.unwrap(), vec![a]);

        // Renaming keeps the concerns; deleting leaves them without a team.
        assert_eq!(
            s.rename_team(m, a, "Bauamt").await.unwrap(),
            Err(TeamRefusal::NameTaken)
        );
        assert_eq!(
            s.rename_team(m, a, "Bürgerservice").await.unwrap(),
            Ok("Bürgerbüro".to_string())
        );
        assert_eq!(
            s.delete_team(m, bteam).await.unwrap(),
            Ok("Bauamt".to_string())
        );
        assert_eq!(s.concern_team(m, on_tg).await.unwrap(), Some(None));
        assert_eq!(
            s.delete_team(other, a).await.unwrap(),
            Err(TeamRefusal::NotFound)
        );
        // The routing of the deleted team is gone: new Telegram concerns have no team.
        let later = concern(s, m, tg, "491514").await;
        assert_eq!(s.concern_team(m, later).await.unwrap(), Some(None));
    }
}

#[tokio::test]
async fn configured_teams_are_created_and_keep_ui_changes() {
    for b in backends::all().await {
        let s = &b.store;
        let (m, wa, _) = town(s, "musterstadt").await;
        let anna = s
            .upsert_staff(m, "anna@musterstadt.de", "Anna", None, Role::Agent, T0)
            .await
            .unwrap();
        let bert = s
            .upsert_staff(m, "bert@musterstadt.de", "Bert", None, Role::Agent, T0)
            .await
            .unwrap();
        let config = [ConfiguredTeam {
            name: "Bürgermeisterbüro".into(),
            member_emails: vec!["Anna@musterstadt.de".into(), "nobody@musterstadt.de".into()],
            channel_ids: vec![wa],
        }];
        let unknown = s.apply_configured_teams(m, &config, T0).await.unwrap();
        assert_eq!(unknown, vec!["nobody@musterstadt.de".to_string()]);
        let teams = s.teams(m).await.unwrap();
        assert_eq!(teams.len(), 1);
        assert_eq!(
            (teams[0].members.clone(), teams[0].channels.clone()),
            (vec![anna], vec![wa])
        );
        // A member added in the UI survives the next start.
        s.set_team_members(m, teams[0].id, &[anna, bert])
            .await
            .unwrap()
            .unwrap();
        s.apply_configured_teams(m, &config, T0 + 1).await.unwrap();
        let teams = s.teams(m).await.unwrap();
        assert_eq!(teams.len(), 1);
        assert_eq!(teams[0].members, vec![anna, bert]);
    }
}
