//! `/einladung/{token}`: an invited staff member chooses their name and password (the link is the credential).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rathaus_store::now_ms;
use serde::Deserialize;

use crate::passwords::{check_new_password, hash_password, MIN_PASSWORD_CHARS};
use crate::ui::i18n::{Lang, Tr};
use crate::ui::view::{self, Chrome};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin_invitation.html")]
struct InvitationPage {
    tr: Tr,
    chrome: Option<Chrome>,
    flash: Option<String>,
    error: Option<String>,
    token: String,
    email: String,
    name: String,
}

fn invalid_link(tr: Tr) -> Response {
    view::message_page(
        StatusCode::NOT_FOUND,
        tr,
        None,
        "admin.invitation_invalid_title",
        "admin.invitation_invalid",
    )
}

pub async fn form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<view::LangQuery>,
) -> Response {
    let tr = q.tr();
    match state.store.pending_invitation(&token, now_ms()).await {
        Ok(Some(p)) => view::render(
            StatusCode::OK,
            &InvitationPage {
                tr,
                chrome: None,
                flash: None,
                error: None,
                token,
                email: p.email,
                name: p.display_name,
            },
        ),
        Ok(None) => invalid_link(tr),
        Err(e) => view::internal_error(tr, &e),
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    lang: String,
}

/// Which rule the form breaks, as an i18n key.
fn check(form: &AcceptForm) -> Option<&'static str> {
    if form.name.trim().is_empty() {
        return Some("setup.name_missing");
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return Some("setup.password_short");
    }
    if form.password != form.password_confirm {
        return Some("setup.password_mismatch");
    }
    None
}

pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let tr = Tr::new(Lang::from_code(&form.lang));
    let now = now_ms();
    let pending = match state.store.pending_invitation(&token, now).await {
        Ok(Some(p)) => p,
        Ok(None) => return invalid_link(tr),
        Err(e) => return view::internal_error(tr, &e),
    };
    if let Some(problem) = check(&form) {
        let page = InvitationPage {
            tr,
            chrome: None,
            flash: None,
            error: Some(tr.t(problem).to_string()),
            token,
            email: pending.email,
            name: form.name,
        };
        return view::render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    // Common passwords and ones built from the e-mail or a town's name are refused (passwords::policy).
    let names: Vec<String> = match state.store.municipalities().await {
        Ok(ms) => ms.into_iter().flat_map(|m| [m.name, m.slug]).collect(),
        Err(e) => return view::internal_error(tr, &e),
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    if let Err(problem) = check_new_password(&form.password, &pending.email, &names) {
        let page = InvitationPage {
            tr,
            chrome: None,
            flash: None,
            error: Some(
                match tr.lang {
                    Lang::De => problem.message_de(),
                    Lang::En => problem.message_en(),
                }
                .to_string(),
            ),
            token,
            email: pending.email,
            name: form.name,
        };
        return view::render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let password = form.password.clone();
    let Ok(hash) = tokio::task::spawn_blocking(move || hash_password(&password)).await else {
        return view::internal_error(tr, &"password hashing task failed");
    };
    match state
        .store
        .accept_invitation(&token, &form.name, &hash, now)
        .await
    {
        Ok(Some(p)) => {
            if let Err(e) = state
                .store
                .set_staff_language(p.staff_id, tr.lang.code())
                .await
            {
                tracing::warn!(error = %e, "could not store the invited member's language");
            }
            Redirect::to(&format!("/login?msg=setup_done&lang={}", tr.lang.code())).into_response()
        }
        Ok(None) => invalid_link(tr),
        Err(e) => view::internal_error(tr, &e),
    }
}
