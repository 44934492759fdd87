//! First-admin creation from a one-time setup link printed by the CLI.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::{now_ms, Role};
use serde::Deserialize;

use super::i18n::{Lang, Tr};
use super::view::{self, Chrome};
use crate::passwords::{check_new_password, hash_password, MIN_PASSWORD_CHARS};
use crate::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    token: String,
    name: String,
    email: String,
}

fn invalid_link(tr: Tr) -> Response {
    view::message_page(
        StatusCode::NOT_FOUND,
        tr,
        None,
        "setup.invalid_title",
        "setup.invalid",
    )
}

pub async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<view::LangQuery>,
) -> Response {
    let tr = q.tr();
    match state.store.setup_link_valid(&token, now_ms()).await {
        Ok(true) => view::render(
            StatusCode::OK,
            &SetupPage {
                tr,
                chrome: None,
                flash: None,
                error: None,
                token,
                name: String::new(),
                email: String::new(),
            },
        ),
        Ok(false) => invalid_link(tr),
        Err(e) => view::internal_error(tr, &e),
    }
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    lang: String,
}

/// Which rule the submitted form breaks, as an i18n key.
fn check(form: &SetupForm) -> Option<&'static str> {
    if form.name.trim().is_empty() {
        return Some("setup.name_missing");
    }
    let email = form.email.trim();
    if !email.contains('@') || email.len() > 254 {
        return Some("setup.email_invalid");
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return Some("setup.password_short");
    }
    if form.password != form.password_confirm {
        return Some("setup.password_mismatch");
    }
    None
}

/// The form again with what is wrong; the passwords are not sent back.
fn refused(tr: Tr, token: String, form: SetupForm, message: &str) -> Response {
    let page = SetupPage {
        tr,
        chrome: None,
        flash: None,
        error: Some(message.to_string()),
        token,
        name: form.name,
        email: form.email,
    };
    view::render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn create_admin(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let now = now_ms();
    match state.store.setup_link_valid(&token, now).await {
        Ok(true) => {}
        Ok(false) => return invalid_link(tr),
        Err(e) => return view::internal_error(tr, &e),
    }
    if let Some(problem) = check(&form) {
        return refused(tr, token, form, tr.t(problem));
    }
    // The password rules also look at the towns' names; the link's town is one of them.
    let names: Vec<String> = match state.store.municipalities().await {
        Ok(ms) => ms.into_iter().flat_map(|m| [m.name, m.slug]).collect(),
        Err(e) => return view::internal_error(tr, &e),
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if let Err(problem) = check_new_password(&form.password, form.email.trim(), &names) {
        let message = match tr.lang {
            Lang::De => problem.message_de(),
            Lang::En => problem.message_en(),
        };
        return refused(tr, token, form, message);
    }
    let password = form.password.clone();
    let Ok(hash) = tokio::task::spawn_blocking(move || hash_password(&password)).await else {
        return view::internal_error(tr, &"password hashing task failed");
    };
    // Consuming first makes a double submit create nobody twice.
    let municipality_id = match state.store.consume_setup_link(&token, now).await {
        Ok(Some(m)) => m,
        Ok(None) => return invalid_link(tr),
        Err(e) => return view::internal_error(tr, &e),
    };
    match state
        .store
        .upsert_staff(
            municipality_id,
            &form.email,
            form.name.trim(),
            Some(&hash),
            Role::Admin,
            now,
        )
        .await
    {
        Ok(staff_id) => {
            if let Err(e) = state
                .store
                .set_staff_language(staff_id, tr.lang.code())
                .await
            {
                tracing::warn!(error = %e, "could not store the new admin's language");
            }
            tracing::info!(
                staff_id,
                municipality_id,
                "first admin created from a setup link"
            );
            Redirect::to(&format!("/login?msg=setup_done&lang={}", tr.lang.code())).into_response()
        }
        Err(e) => view::internal_error(tr, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pw: &str, confirm: &str) -> SetupForm {
        SetupForm {
            name: "Anna Admin".into(),
            email: "anna@example.org".into(),
            password: pw.into(),
            password_confirm: confirm.into(),
            lang: "de".into(),
        }
    }

    #[test]
    fn passwords_need_twelve_characters_and_a_matching_confirmation() {
        assert_eq!(check(&form("kurz", "kurz")), Some("setup.password_short"));
        assert_eq!(
            check(&form("lang genug 123", "lang genug 124")),
            Some("setup.password_mismatch")
        );
        assert_eq!(check(&form("lang genug 123", "lang genug 123")), None);
    }
}
