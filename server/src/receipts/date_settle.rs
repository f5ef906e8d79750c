//! Settling the order of an ambiguous numeric date (`04/05/24`) by what the receipt itself shows.
//! A child module of `date.rs`, which owns [`Found`].

use chrono::NaiveDate;

use super::{DateOrder, Form, Found};

/// The order the receipt's numeric dates show by a part over 12, when they agree.
pub(super) fn shown_order<'a>(found: impl Iterator<Item = &'a Found>) -> Option<DateOrder> {
    let mut shows = found.filter_map(|f| f.shows);
    let first = shows.next()?;
    shows.all(|o| o == first).then_some(first)
}

/// Reads an ambiguous date in the order the receipt shows, or as the one reading not after a
/// due date printed on it; whether that settled it (a date read one way only is settled).
pub(super) fn settle(found: &mut Found, shown: Option<DateOrder>, due: Option<NaiveDate>) -> bool {
    let Some(readings) = found.readings else {
        return found.form != Form::Ambiguous;
    };
    let by_order = shown.and_then(|o| readings.iter().find(|(r, _)| *r == o));
    let not_after_due: Vec<_> = readings
        .iter()
        .filter(|(_, d)| due.is_some_and(|due| *d <= due))
        .collect();
    let chosen = match (by_order, not_after_due.as_slice()) {
        (Some(r), _) => r,
        (None, [one]) => *one,
        _ => return false,
    };
    found.date = chosen.1;
    found.form = Form::Numeric;
    true
}
