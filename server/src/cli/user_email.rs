//! `formwork user set-email` and `user add --email`: a user's address for notification emails.
use crate::store::Store;

/// An email address, checked at the edge (the SMTP crate's own parser).
pub fn parse_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    email
        .parse::<lettre::Address>()
        .map(|a| a.to_string())
        .map_err(|e| format!("`{email}` is not an email address: {e}"))
}

/// Sets the address of the user named `username`; an empty `email` clears it.
pub async fn set_email(store: &Store, username: &str, email: &str) -> Result<String, String> {
    let email = match email.trim() {
        "" => None,
        e => Some(parse_email(e)?),
    };
    let user = store
        .user_by_name(username)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user named `{username}`"))?;
    store
        .set_user_email(user.id, email.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    Ok(match email {
        Some(e) => format!("{username}'s email address is now {e}"),
        None => format!("{username} has no email address now"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert_eq!(
            parse_email(" maria@example.com ").as_deref(),
            Ok("maria@example.com")
        );
        assert!(parse_email("maria").is_err());
        assert!(parse_email("maria@").is_err());
    }
}
