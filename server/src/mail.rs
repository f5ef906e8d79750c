//! Emails sent at once rather than through the notification outbox: password-reset links. A
//! reset link lives 30 minutes, so it is sent from a background task that tries a few times
//! over about a minute and a half (an SMTP server that is down longer means the person asks
//! again); the web answer never waits for SMTP, so its timing does not tell whether an
//! account matched.
use crate::auth::{ResetLink, RESET_MINUTES};
use crate::config::Config;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Waits before each try of a reset email: at once, then after 5, 20 and 60 seconds.
const TRIES: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(20),
    Duration::from_secs(60),
];

/// Whether this site can send email (an SMTP URL is configured).
pub fn configured(config: &Config) -> bool {
    config
        .smtp_url
        .as_deref()
        .is_some_and(|u| !u.trim().is_empty())
}

/// Sends a reset link in the background; failures are logged, never shown.
pub fn send_reset_link(config: &Config, base_url: &str, link: ResetLink) {
    let message = match reset_message(config, base_url, &link) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(user = link.user.id, "reset email not sent: {e}");
            return;
        }
    };
    let transport = match config.smtp_url.as_deref().map(|url| {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|b| b.timeout(Some(Duration::from_secs(30))).build())
    }) {
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            tracing::warn!("reset email not sent: the SMTP URL is not usable: {e}");
            return;
        }
        None => return,
    };
    let user = link.user.id;
    tokio::spawn(async move {
        for wait in TRIES {
            tokio::time::sleep(wait).await;
            match transport.send(message.clone()).await {
                Ok(_) => return,
                Err(e) => tracing::info!(user, "reset email not sent yet: {e}"),
            }
        }
        tracing::warn!(user, "reset email given up after {} tries", TRIES.len());
    });
}

fn reset_message(config: &Config, base_url: &str, link: &ResetLink) -> Result<Message, String> {
    let from = config
        .mail_from
        .as_deref()
        .ok_or("no sender (--mail-from)")?
        .parse::<Mailbox>()
        .map_err(|e| format!("the sender is not an email address: {e}"))?;
    let to = link
        .email
        .parse::<Mailbox>()
        .map_err(|e| format!("not an email address: {e}"))?;
    let url = format!(
        "{}/login/reset/{}",
        base_url.trim_end_matches('/'),
        link.token
    );
    let name = &link.user.display_name;
    let user = &link.user.username;
    let text = format!(
        "Hello {name},\n\nSomeone (hopefully you) asked to reset the Formwork password of the account \"{user}\".\n\nChoose a new password here: {url}\n\nThe link works once, for {RESET_MINUTES} minutes. If you did not ask, ignore this email: your password stays as it is.\n"
    );
    let html = format!(
        "<p>Hello {name},</p>\n<p>Someone (hopefully you) asked to reset the Formwork password of the account <strong>{user}</strong>.</p>\n<p><a href=\"{url}\">Choose a new password</a></p>\n<p>The link works once, for {RESET_MINUTES} minutes. If you did not ask, ignore this email: your password stays as it is.</p>\n",
        name = escape(name),
        user = escape(user),
        url = escape(&url),
    );
    Message::builder()
        .from(from)
        .to(to)
        .subject("Reset your Formwork password")
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
