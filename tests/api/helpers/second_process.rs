//! A second `formwork serve` process on a running test app's database, for the scale-out tests.
use super::TestApp;
use std::process::Command;

impl TestApp {
    /// Starts another server process on this app's database (the same SQLite file, or the same
    /// PostgreSQL database) with a data directory of its own, as a second machine would have.
    /// Shared files must come from a shared `--blob-store` in `extra_args`. Dropping the returned
    /// app stops that process only: the database belongs to `self`.
    pub fn second_process(&self, extra_args: &[&str]) -> TestApp {
        let mut other = TestApp {
            base: String::new(),
            dir: tempfile::tempdir().expect("a data directory"),
            db_url: self.db_url.clone(),
            child: Command::new("true").spawn().expect("a placeholder child"),
            pg_cleanup: None,
        };
        other.start(extra_args);
        other
    }
}

/// Two server processes started at the same moment on a new, empty database, as a deployment
/// starts them: both migrate it on start. Panics unless both come up.
pub async fn spawn_two_on_a_new_database(extra_args: &[&str]) -> (TestApp, TestApp) {
    let dir = tempfile::tempdir().expect("a data directory");
    let (db_url, pg_cleanup) = super::fresh_database(dir.path()).await;
    let mut first = TestApp {
        base: String::new(),
        dir,
        db_url,
        child: Command::new("true").spawn().expect("a placeholder child"),
        pg_cleanup,
    };
    let mut second = TestApp {
        base: String::new(),
        dir: tempfile::tempdir().expect("a data directory"),
        db_url: first.db_url.clone(),
        child: Command::new("true").spawn().expect("a placeholder child"),
        pg_cleanup: None,
    };
    std::thread::scope(|s| {
        s.spawn(|| first.start(extra_args));
        s.spawn(|| second.start(extra_args));
    });
    (first, second)
}
