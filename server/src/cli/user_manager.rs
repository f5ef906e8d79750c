//! `formwork user set-manager USER MANAGER`: who a person reports to (routing).
use crate::store::{ManagerError, Store};

/// Sets `username`'s manager to `manager` (a username), or clears it when `manager` is empty.
pub async fn set_manager(store: &Store, username: &str, manager: &str) -> Result<String, String> {
    let find = |name: String| async move {
        store
            .user_by_name(&name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no user named `{name}`"))
    };
    let user = find(username.to_string()).await?;
    let manager = match manager.trim() {
        "" => None,
        m => Some(find(m.to_string()).await?),
    };
    match store
        .set_manager(user.id, manager.as_ref().map(|m| m.id))
        .await
    {
        Ok(_) => Ok(match manager {
            Some(m) => format!("{username} now reports to {}", m.username),
            None => format!("{username} reports to nobody now"),
        }),
        Err(ManagerError::Store(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}
