//! The page frame shared by every page: title, navigation, the signed-in user, flash message.
use super::session::Signed;
use askama::Template;

/// Data the base template needs.
pub struct Layout {
    pub title: String,
    pub username: Option<String>,
    pub display_name: String,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<String>,
}

impl Layout {
    pub fn new(title: impl Into<String>, signed: &Signed) -> Layout {
        Layout {
            title: title.into(),
            username: Some(signed.user.username.clone()),
            display_name: signed.user.display_name.clone(),
            is_admin: signed.is_admin(),
            csrf: signed.csrf.clone(),
            flash: None,
        }
    }

    pub fn anonymous(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            username: None,
            display_name: String::new(),
            is_admin: false,
            csrf: String::new(),
            flash: None,
        }
    }

    pub fn with_flash(mut self, flash: Option<String>) -> Layout {
        self.flash = flash.filter(|f| !f.is_empty());
        self
    }
}

/// A plain error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
    /// The request's id (see `operate::request_id`), for reports to an administrator.
    pub request_id: String,
}
