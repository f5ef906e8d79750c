//! Site settings: a small key/value table.
use super::{get, Result, Store};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = self
            .one("SELECT value FROM settings WHERE key = ?", vec![key.into()])
            .await?;
        row.map(|r| get::<String>(&r, "value")).transpose()
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![key.into(), value.into()],
        )
        .await?;
        Ok(())
    }
}
