//! argon2id password hashing through the `argon2` crate (never our own crypto).
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// A valid hash of a random password, verified against when a username does not exist.
pub(super) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2v7Q3Bfj4yQ7m1m3vJXk6bq2Y0QwJ7mQe0x3m5l6p9E";

/// Hashes a password with argon2id and a random salt (OWASP parameters, the crate default).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// The fewest characters a new password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most characters a password may have (argon2 hashes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a new password is refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRule {
    #[error("the new password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the new password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("the new password must not be your username")]
    SameAsUsername,
}

/// Checks a new password against the rules: long enough, bounded, not the username.
pub fn check_new_password(username: &str, password: &str) -> Result<(), PasswordRule> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordRule::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordRule::TooLong)
    } else if password.trim().eq_ignore_ascii_case(username.trim()) {
        Err(PasswordRule::SameAsUsername)
    } else {
        Ok(())
    }
}

/// Verifies a password against a stored PHC string.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_and_wrong_ones_fail() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn new_passwords_are_long_enough_and_not_the_username() {
        assert_eq!(
            check_new_password("alice", "short"),
            Err(PasswordRule::TooShort)
        );
        assert_eq!(
            check_new_password("alice.smith", "Alice.Smith"),
            Err(PasswordRule::SameAsUsername)
        );
        assert_eq!(
            check_new_password("alice", &"x".repeat(1025)),
            Err(PasswordRule::TooLong)
        );
        assert_eq!(check_new_password("alice", "ten chars!"), Ok(()));
    }
}
