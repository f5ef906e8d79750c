//! The email outbox worker: claims queued notices, sends them over SMTP, marks them sent, or
//! queues them again with exponential backoff until they fail for good. Any number of processes
//! may run one on the same database (claims are exclusive, see `Store::claim_emails`).
use crate::store::{NoticeRow, Store};
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Attempts before an email is marked failed (an administrator can retry it).
const MAX_ATTEMPTS: i32 = 10;
/// The first retry waits this long; each next one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// A claim older than this belongs to a process that died mid-send; another may take it. Well
/// above the longest a live worker can hold one: a batch of 10 at the 30 s SMTP timeout each.
const STALE_CLAIM: Duration = Duration::from_secs(900);
/// How often an idle worker looks for due emails.
const POLL: Duration = Duration::from_secs(1);

/// What the worker sends with, parsed from the configuration.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
    worker: String,
}

impl Mailer {
    /// `None` when no SMTP URL is configured; an error for a malformed URL or sender.
    pub fn from_config(
        smtp_url: Option<&str>,
        mail_from: Option<&str>,
        base_url: &str,
    ) -> Result<Option<Mailer>, String> {
        let Some(url) = smtp_url.filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let from = mail_from
            .ok_or("--mail-from (FORMWORK_MAIL_FROM) is required with --smtp-url")?
            .parse::<Mailbox>()
            .map_err(|e| format!("--mail-from is not an email address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("--smtp-url is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Some(Mailer {
            transport,
            from,
            base_url: base_url.trim_end_matches('/').to_string(),
            worker: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
        }))
    }

    /// Runs forever: sends what is due, then waits a moment when nothing is.
    pub async fn run(self, store: Store) {
        loop {
            let sent_any = match self.round(&store).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!("the email outbox could not be read: {e}");
                    false
                }
            };
            if !sent_any {
                tokio::time::sleep(POLL).await;
            }
        }
    }

    /// One batch: claim, send, record. Returns how many were claimed.
    async fn round(&self, store: &Store) -> Result<usize, crate::store::StoreError> {
        let now = Utc::now();
        let stale = now - chrono::Duration::from_std(STALE_CLAIM).unwrap_or_default();
        let batch = store.claim_emails(&self.worker, now, stale).await?;
        for n in &batch {
            match self.send(n).await {
                Ok(()) => store.email_sent(n.id, &self.worker, Utc::now()).await?,
                Err(e) => {
                    let next = retry_at(n.attempts + 1, Utc::now());
                    tracing::info!(
                        notice = n.id,
                        attempts = n.attempts + 1,
                        "email not sent: {e}"
                    );
                    store
                        .email_attempt_failed(n.id, &self.worker, &e, next)
                        .await?
                }
            }
        }
        Ok(batch.len())
    }

    async fn send(&self, n: &NoticeRow) -> Result<(), String> {
        let message = self.message(n)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The email for a notice: subject, plain text and HTML, and a Message-ID derived from the
    /// notice's idempotency key, so a copy sent twice (a crash between sending and recording)
    /// is recognisably the same message.
    pub fn message(&self, n: &NoticeRow) -> Result<Message, String> {
        let to = n
            .email
            .as_deref()
            .ok_or("no address")?
            .parse::<Mailbox>()
            .map_err(|e| format!("not an email address: {e}"))?;
        let content = NoticeEmail::new(n, &self.base_url);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(content.subject.clone())
            .message_id(Some(format!(
                "<notice-{}@formwork>",
                n.idempotency_key.replace(':', ".")
            )))
            .multipart(MultiPart::alternative_plain_html(
                content.text(),
                content.html(),
            ))
            .map_err(|e| e.to_string())
    }
}

/// When to try again after `attempts` failures; `None` once they are used up.
fn retry_at(attempts: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let factor = 1u32 << (attempts.clamp(1, 16) - 1);
    let wait = FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF);
    Some(now + chrono::Duration::from_std(wait).unwrap_or_default())
}

/// What a notice email says.
struct NoticeEmail {
    subject: String,
    title: String,
    what: String,
    who: String,
    app: String,
    link: String,
}

impl NoticeEmail {
    fn new(n: &NoticeRow, base_url: &str) -> NoticeEmail {
        let title = if n.record_title.trim().is_empty() {
            format!("{} #{}", n.app_name, n.record_id)
        } else {
            n.record_title.clone()
        };
        NoticeEmail {
            subject: format!("{}: {title}", n.operation_title),
            link: format!("{base_url}/apps/{}/records/{}", n.app_slug, n.record_id),
            what: n.operation_title.clone(),
            who: n.actor_name.clone(),
            app: n.app_name.clone(),
            title,
        }
    }

    fn text(&self) -> String {
        format!(
            "{who} ran \"{what}\" on \"{title}\" ({app}).\n\nOpen it: {link}\n",
            who = self.who,
            what = self.what,
            title = self.title,
            app = self.app,
            link = self.link
        )
    }

    fn html(&self) -> String {
        format!(
            "<p>{who} ran <strong>{what}</strong> on <strong>{title}</strong> ({app}).</p>\n<p><a href=\"{link}\">Open {title}</a></p>\n",
            who = escape(&self.who),
            what = escape(&self.what),
            title = escape(&self.title),
            app = escape(&self.app),
            link = escape(&self.link)
        )
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_then_stop() {
        let now = Utc::now();
        let wait = |a| retry_at(a, now).map(|t| (t - now).num_seconds());
        assert_eq!(wait(1), Some(2));
        assert_eq!(wait(2), Some(4));
        assert_eq!(wait(5), Some(32));
        assert_eq!(wait(9), Some(512));
        assert_eq!(wait(MAX_ATTEMPTS), None);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b>\"A&B\"</b>"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
        );
    }
}
