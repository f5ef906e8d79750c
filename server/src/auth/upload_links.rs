//! Upload links: a short-lived, single-use link that lets one person send one file to one
//! record's file input from another device (a phone), for an MCP conversation that cannot carry
//! the file's bytes. The link is the credential; only its SHA-256 is stored (`upload_links`),
//! with the user, record, field and line it is bound to.
use super::{random_secret, secret_hash, Auth, AuthError};
use crate::store::{NewUploadLink, UploadLinkRow};
use chrono::{DateTime, Duration, Utc};

/// Prefix of upload link secrets (makes a leaked one easy to spot).
pub const UPLOAD_LINK_PREFIX: &str = "fwu_";

/// What an upload link is bound to.
pub struct UploadLinkFor<'a> {
    pub user_id: i64,
    pub app_id: i64,
    pub record_id: i64,
    pub field: &'a str,
    pub line_id: Option<&'a str>,
}

/// A minted link: its row id (for asking about it later) and the secret shown once.
pub struct MintedUploadLink {
    pub id: i64,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// An upload link as its page sees it.
pub enum UploadLinkState {
    /// Unused and unexpired: it may take one upload.
    Live(UploadLinkRow),
    /// An upload went through it (or is going through it now).
    Used(UploadLinkRow),
    Expired,
    /// No such link (mistyped, or never made).
    Unknown,
}

impl Auth {
    /// Mints a single-use upload link that works for `lifetime`.
    pub async fn create_upload_link(
        &self,
        bound: UploadLinkFor<'_>,
        lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Result<MintedUploadLink, AuthError> {
        let token = format!("{UPLOAD_LINK_PREFIX}{}", random_secret(32));
        let expires_at = now + lifetime;
        let id = self
            .store()
            .insert_upload_link(
                NewUploadLink {
                    hash: &secret_hash(&token),
                    user_id: bound.user_id,
                    app_id: bound.app_id,
                    record_id: bound.record_id,
                    field: bound.field,
                    line_id: bound.line_id,
                    expires_at,
                },
                now,
            )
            .await?;
        Ok(MintedUploadLink {
            id,
            token,
            expires_at,
        })
    }

    /// What the secret `token` opens, at `now`.
    pub async fn upload_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<UploadLinkState, AuthError> {
        if !token.starts_with(UPLOAD_LINK_PREFIX) || token.len() > 100 {
            return Ok(UploadLinkState::Unknown);
        }
        let Some(row) = self
            .store()
            .upload_link_by_hash(&secret_hash(token))
            .await?
        else {
            return Ok(UploadLinkState::Unknown);
        };
        Ok(if row.used_at.is_some() {
            UploadLinkState::Used(row)
        } else if row.expires_at <= now {
            UploadLinkState::Expired
        } else {
            UploadLinkState::Live(row)
        })
    }

    /// Claims a live link for one upload; false when it was used or expired meanwhile.
    pub async fn claim_upload_link(&self, id: i64, now: DateTime<Utc>) -> Result<bool, AuthError> {
        Ok(self.store().claim_upload_link(id, now).await?)
    }

    /// Gives back the claim made at `claimed_at`: the upload was refused, the link stays usable.
    pub async fn release_upload_link(
        &self,
        id: i64,
        claimed_at: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        Ok(self.store().release_upload_link(id, claimed_at).await?)
    }

    /// Spends a claimed link on the attachment its upload stored.
    pub async fn finish_upload_link(&self, id: i64, attachment_id: i64) -> Result<(), AuthError> {
        Ok(self.store().finish_upload_link(id, attachment_id).await?)
    }

    /// Withdraws one of `user_id`'s unused links: it stops working now.
    pub async fn withdraw_upload_link(
        &self,
        id: i64,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, AuthError> {
        Ok(self.store().withdraw_upload_link(id, user_id, now).await?)
    }

    /// One of `user_id`'s links by id, whatever its state (for "has the person uploaded yet?").
    pub async fn user_upload_link(
        &self,
        id: i64,
        user_id: i64,
    ) -> Result<Option<UploadLinkRow>, AuthError> {
        Ok(self.store().user_upload_link(id, user_id).await?)
    }
}
