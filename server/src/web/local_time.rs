//! Dates and times as the signed-in person reads them: in the time zone of their profile (an
//! IANA name such as `Europe/Berlin`; UTC when they chose none), with the zone's abbreviation.
//! Stored times stay UTC; MCP results keep RFC 3339 UTC.
use crate::store::UserRow;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone one person's times are shown in.
#[derive(Debug, Clone, Copy)]
pub struct LocalTime(Tz);

impl LocalTime {
    /// The user's zone; an unknown stored name falls back to UTC.
    pub fn of(user: &UserRow) -> LocalTime {
        LocalTime(
            user.time_zone
                .as_deref()
                .and_then(parse_zone)
                .unwrap_or(Tz::UTC),
        )
    }

    /// A given zone.
    #[cfg(test)]
    pub fn zone(tz: Tz) -> LocalTime {
        LocalTime(tz)
    }

    /// "2026-11-30T18:31", what a `datetime-local` input holds, in this zone.
    pub fn input(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    }

    /// A wall-clock time in this zone as a moment. A time the clocks skip does not exist and is
    /// refused; one they pass twice is the earlier of the two.
    pub fn read(self, wall: NaiveDateTime) -> Result<DateTime<Utc>, String> {
        match self.0.from_local_datetime(&wall) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
            LocalResult::None => Err(format!(
                "{} does not exist in {}: the clocks skip it; choose a time an hour later",
                wall.format("%Y-%m-%d %H:%M"),
                self.0.name()
            )),
        }
    }

    /// "2026-11-30 18:31 CET".
    pub fn minute(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// "2026-11-30 18:31:05 CET".
    pub fn second(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }

    /// "2026-11-30", the day in this zone.
    pub fn day(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.0).format("%Y-%m-%d").to_string()
    }
}

/// An IANA time zone name (case-insensitive), e.g. `Europe/Berlin` or `UTC`.
pub fn parse_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    name.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|z| z.name().eq_ignore_ascii_case(name))
    })
}

/// Every zone name, for the profile's list.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_chosen_zone_with_its_abbreviation() {
        let t = Utc.with_ymd_and_hms(2026, 1, 15, 12, 30, 0).unwrap();
        assert_eq!(
            LocalTime(parse_zone("europe/berlin").unwrap()).minute(t),
            "2026-01-15 13:30 CET"
        );
        assert_eq!(LocalTime(Tz::UTC).minute(t), "2026-01-15 12:30 UTC");
        assert!(parse_zone("Mars/Olympus").is_none());
    }
}
