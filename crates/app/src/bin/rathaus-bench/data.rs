//! The data generator: a municipality's year of citizen dialogue (citizens, concerns, sealed messages, response measurements) through the store's bulk fill.

use std::time::Instant;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rathaus_domain::schedule::response_time::{Clock, Situation};
use rathaus_store::{
    BulkCitizen, BulkConcern, BulkMessage, BulkResponse, CitizenRef, PromiseRecord, Role, Store,
};

const MIN: i64 = 60 * 1000;
const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;
/// Concerns per fill transaction (about ten times as many messages).
const CONCERNS_PER_BATCH: usize = 2_000;
const CITIZENS_PER_BATCH: usize = 5_000;

/// What was generated, for the report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Generated {
    pub(crate) citizens: usize,
    pub(crate) concerns: usize,
    pub(crate) messages: usize,
    pub(crate) seconds: f64,
    pub(crate) db_bytes: u64,
    /// Citizens set aside for the erasure measurement (3 concerns of 10 messages each).
    pub(crate) victims: Vec<CitizenRef>,
    /// First and last day (unix ms) on which concerns started.
    pub(crate) first_at: i64,
    pub(crate) last_at: i64,
}

const CITIZEN_LINES: &[&str] = &[
    "Guten Tag, die Straßenlaterne vor Hausnummer {n} ist seit drei Tagen defekt.",
    "Auf dem Spielplatz in der Lindenstraße liegen Glasscherben im Sand.",
    "Wann wird der Sperrmüll in der Bahnhofstraße abgeholt? Ich habe den Termin verpasst.",
    "Der Gehweg am Marktplatz ist seit dem Frost aufgebrochen, man stolpert leicht.",
    "Ich brauche einen Termin im Bürgerbüro für einen neuen Personalausweis, geht es noch diese Woche?",
    "Die Mülltonnen an der Schule wurden nicht geleert, Nummer {n}.",
    "Vielen Dank für die schnelle Antwort!",
    "Können Sie mir sagen, ob die Brücke am Mühlbach wieder für Radfahrer offen ist?",
    "An der Bushaltestelle Rathaus fehlt seit gestern das Wartehäuschen-Glas.",
    "Ein umgestürzter Baum blockiert den Waldweg hinter dem Friedhof.",
    "Ist das Freibad am Wochenende geöffnet? Auf der Webseite steht nichts.",
    "Ich möchte einen Hund anmelden, welche Unterlagen brauche ich?",
];

const STAFF_LINES: &[&str] = &[
    "Vielen Dank für Ihre Nachricht. Wir haben den Bauhof informiert, die Reparatur ist für Donnerstag geplant.",
    "Guten Tag, danke für den Hinweis. Die Kolleginnen vom Ordnungsamt schauen sich das heute noch an.",
    "Termine im Bürgerbüro können Sie online oder telefonisch unter 0123 456-0 vereinbaren.",
    "Der Sperrmüll wird in Ihrer Straße am nächsten Montag abgeholt. Bitte stellen Sie ihn bis 6 Uhr bereit.",
    "Das ist erledigt. Bitte melden Sie sich, falls noch etwas fehlt.",
    "Wir haben die Meldung an den Landkreis weitergegeben, der für diese Straße zuständig ist.",
    "Die Brücke ist ab Freitag wieder freigegeben. Vielen Dank für Ihre Geduld.",
];

fn line(lines: &[&str], rng: &mut StdRng) -> String {
    let i = rng.gen_range(0..lines.len());
    lines[i].replace("{n}", &rng.gen_range(1..200).to_string())
}

/// One concern started at `start` with `n` messages: citizen first, then (unless unanswered) staff and
/// citizen in turn; resolved a day or two after the last message.
fn concern(
    rng: &mut StdRng,
    citizen: usize,
    start: i64,
    n: usize,
    staff: &[i64],
    tag: &str,
) -> BulkConcern {
    let answered = rng.gen_bool(0.95);
    let first_reply_after = rng.gen_range(10 * MIN..3 * DAY);
    let mut at = start;
    let mut messages = Vec::with_capacity(n);
    let mut first_response_at = None;
    for k in 0..n {
        let staff_turn = answered && k % 2 == 1;
        if k > 0 {
            at += if k == 1 && answered {
                first_reply_after
            } else {
                rng.gen_range(2 * MIN..12 * HOUR)
            };
        }
        if staff_turn && first_response_at.is_none() {
            first_response_at = Some(at);
        }
        messages.push(BulkMessage {
            author_id: staff_turn.then(|| staff[rng.gen_range(0..staff.len())]),
            text: line(
                if staff_turn {
                    STAFF_LINES
                } else {
                    CITIZEN_LINES
                },
                rng,
            ),
            platform_message_id: format!("wamid.bench{tag}.{k}"),
            at,
        });
    }
    let office = rng.gen_bool(0.6);
    let due = start + if office { 2 * DAY } else { 3 * DAY };
    BulkConcern {
        citizen,
        status: "resolved",
        created_at: start,
        resolved_at: Some(at + rng.gen_range(HOUR..2 * DAY)),
        messages,
        response: Some(BulkResponse {
            promise: PromiseRecord {
                situation: if office {
                    Situation::OfficeHours
                } else {
                    Situation::Otherwise
                },
                clock: if office {
                    Clock::OfficeTime
                } else {
                    Clock::WallClock
                },
                due_at: due,
                near_due_at: due - 4 * HOUR,
                slot_start: None,
            },
            started_at: start,
            first_response_at,
        }),
    }
}

fn bulk_citizens(rng: &mut StdRng, from: usize, n: usize, at: i64) -> Vec<BulkCitizen> {
    (from..from + n)
        .map(|i| BulkCitizen {
            platform_id: format!("49160{i:08}"),
            display_name: Some(format!("Bürgerin {i}")),
            phone: rng.gen_bool(0.9).then(|| format!("+49160{i:08}")),
            consent_message_id: format!("wamid.benchoptin{i}"),
            created_at: at,
        })
        .collect()
}

/// Fills the store: `concerns` concerns with `messages` messages in all (2 to 18 per concern) from
/// `concerns × 2 / 5` citizens, started evenly over the year that ended `age_days` ago and resolved
/// long enough ago to be due for the retention purge; plus `victims` citizens with 3 concerns of 10
/// messages each for the erasure measurement.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn generate(
    store: &Store,
    municipality_id: i64,
    channel_id: i64,
    notice_version: &str,
    concerns: usize,
    messages: usize,
    victims: usize,
    now: i64,
    age_days: i64,
) -> anyhow::Result<Generated> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(0x5241_5448);
    let staff: Vec<i64> = {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(
                store
                    .upsert_staff(
                        municipality_id,
                        &format!("sachbearbeitung{i}@benchstadt.example"),
                        &format!("Sachbearbeitung {i}"),
                        None,
                        Role::Agent,
                        now,
                    )
                    .await
                    .context("creating staff")?,
            );
        }
        v
    };
    let last_at = now - age_days * DAY;
    let first_at = last_at - 365 * DAY;
    let n_citizens = (concerns * 2 / 5).max(1);
    let mut citizens: Vec<CitizenRef> = Vec::with_capacity(n_citizens);
    while citizens.len() < n_citizens {
        let n = CITIZENS_PER_BATCH.min(n_citizens - citizens.len());
        let batch = bulk_citizens(&mut rng, citizens.len(), n, first_at - DAY);
        citizens.extend(
            store
                .bench_fill_citizens(municipality_id, channel_id, notice_version, &batch)
                .await
                .context("filling citizens")?,
        );
    }
    // Messages per concern: 10 ± d and 10 ∓ d in pairs, so the total is exact.
    let mean = (messages / concerns.max(1)).max(2);
    let spread = (mean - 2).min(8);
    let mut counts = Vec::with_capacity(concerns);
    while counts.len() < concerns {
        let d = rng.gen_range(0..=spread);
        counts.push(mean + d);
        counts.push(mean - d);
    }
    counts.truncate(concerns);
    let mut total: usize = counts.iter().sum();
    let mut i = 0;
    while total != messages && !counts.is_empty() {
        let k = i % counts.len();
        if total < messages {
            counts[k] += 1;
            total += 1;
        } else if counts[k] > 2 {
            counts[k] -= 1;
            total -= 1;
        }
        i += 1;
        if i > 4 * counts.len() + messages {
            break;
        }
    }
    let step = (last_at - first_at) / concerns.max(1) as i64;
    let mut done = 0;
    while done < concerns {
        let n = CONCERNS_PER_BATCH.min(concerns - done);
        let batch: Vec<BulkConcern> = (done..done + n)
            .map(|c| {
                let who = rng.gen_range(0..citizens.len());
                let start = first_at + c as i64 * step + rng.gen_range(0..step.max(1));
                concern(&mut rng, who, start, counts[c], &staff, &c.to_string())
            })
            .collect();
        store
            .bench_fill_concerns(&citizens, &batch)
            .await
            .context("filling concerns")?;
        done += n;
        if done % 20_000 == 0 || done == concerns {
            eprintln!(
                "  data: {done} of {concerns} concerns ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let mut victim_refs = Vec::new();
    if victims > 0 {
        let batch = bulk_citizens(&mut rng, n_citizens, victims, first_at - DAY);
        victim_refs = store
            .bench_fill_citizens(municipality_id, channel_id, notice_version, &batch)
            .await
            .context("filling the citizens to erase")?;
        let mut vc = Vec::new();
        for v in 0..victims {
            for k in 0..3 {
                let start = first_at + rng.gen_range(0..(last_at - first_at).max(1));
                vc.push(concern(
                    &mut rng,
                    v,
                    start,
                    10,
                    &staff,
                    &format!("victim{v}.{k}"),
                ));
            }
        }
        store
            .bench_fill_concerns(&victim_refs, &vc)
            .await
            .context("filling the concerns to erase")?;
    }
    Ok(Generated {
        citizens: n_citizens + victims,
        concerns: concerns + 3 * victims,
        messages: total + 30 * victims,
        seconds: started.elapsed().as_secs_f64(),
        db_bytes: 0,
        victims: victim_refs,
        first_at,
        last_at,
    })
}
