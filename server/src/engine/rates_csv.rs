//! Reading a file of daily exchange rates. Two layouts, told apart by the header:
//!
//! - wide (the ECB's `eurofxref-hist.csv`): `Date,USD,JPY,…` with one row per day and, per
//!   currency, the units of that currency per 1 base currency; `N/A` or an empty cell is a gap,
//!   and a trailing comma (an empty last column) is allowed;
//! - long: `date,currency,rate`, one rate per row.
//!
//! A file is read whole before anything is stored: any bad row refuses the file, with its line.
use super::value::CurrencyCode;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::str::FromStr;

/// One rate read from a file: units of `currency` per 1 base currency on `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRate {
    pub currency: CurrencyCode,
    pub day: NaiveDate,
    pub rate: Decimal,
}

/// A whole file read.
#[derive(Debug, Clone, Default)]
pub struct ParsedRates {
    pub rates: Vec<ParsedRate>,
    /// Wide layout: columns of currencies no longer in use (e.g. the ECB's CYP or EEK), skipped.
    pub skipped_columns: Vec<String>,
    /// Cells marked `N/A` or empty (no rate that day).
    pub gaps: u64,
}

/// The most problems listed for one refused file.
const MAX_PROBLEMS: usize = 20;

/// Reads a rates file in either layout. `base` is the currency the rates are quoted against; a
/// column or row for the base itself is refused (its rate is 1 by definition).
pub fn parse_rates(text: &str, base: CurrencyCode) -> Result<ParsedRates, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(vec![format!("line 1: {e}")]),
        None => return Err(vec!["the file is empty".into()]),
    };
    let cells: Vec<String> = header.iter().map(str::to_string).collect();
    if !cells
        .first()
        .is_some_and(|c| c.eq_ignore_ascii_case("date"))
    {
        return Err(vec![
            "line 1: the header must start with `Date` (the ECB layout `Date,USD,JPY,…` or `date,currency,rate`)".into(),
        ]);
    }
    let long = cells.len() == 3
        && cells[1].eq_ignore_ascii_case("currency")
        && cells[2].eq_ignore_ascii_case("rate");
    let mut out = ParsedRates::default();
    let mut problems = Vec::new();
    let mut seen: HashSet<(&'static str, NaiveDate)> = HashSet::new();
    let columns = if long {
        Vec::new()
    } else {
        wide_columns(&cells, base, &mut out, &mut problems)
    };
    for rec in records {
        if problems.len() >= MAX_PROBLEMS {
            problems.push("… (more problems not listed)".into());
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let mut push = |currency: CurrencyCode, day: NaiveDate, rate: Decimal| {
            if seen.insert((currency.code(), day)) {
                out.rates.push(ParsedRate {
                    currency,
                    day,
                    rate,
                });
                Ok(())
            } else {
                Err(format!(
                    "line {line}: a second {} rate for {day}",
                    currency.code()
                ))
            }
        };
        let Some(day) = rec.get(0).and_then(parse_day) else {
            problems.push(format!(
                "line {line}: `{}` is not a date; use YYYY-MM-DD",
                rec.get(0).unwrap_or_default()
            ));
            continue;
        };
        if long {
            if rec.len() != 3 {
                problems.push(format!(
                    "line {line}: expected 3 values (date,currency,rate), found {}",
                    rec.len()
                ));
                continue;
            }
            let code = rec.get(1).unwrap_or_default();
            let currency = match CurrencyCode::parse(code) {
                Ok(c) if c == base => {
                    problems.push(format!(
                        "line {line}: {} is the base currency (its rate is 1)",
                        c.code()
                    ));
                    continue;
                }
                Ok(c) => c,
                Err(m) => {
                    problems.push(format!("line {line}: {m}"));
                    continue;
                }
            };
            match parse_rate(rec.get(2).unwrap_or_default()) {
                Ok(Some(rate)) => {
                    if let Err(m) = push(currency, day, rate) {
                        problems.push(m);
                    }
                }
                Ok(None) => out.gaps += 1,
                Err(m) => problems.push(format!("line {line}: {} {m}", currency.code())),
            }
            continue;
        }
        // A trailing comma gives one empty cell more than the header names.
        let extra = rec.iter().skip(cells.len()).any(|c| !c.is_empty());
        if rec.len() < cells.len() || extra {
            problems.push(format!(
                "line {line}: expected {} values as in the header, found {}",
                cells.len(),
                rec.len()
            ));
            continue;
        }
        for (i, currency) in &columns {
            match parse_rate(rec.get(*i).unwrap_or_default()) {
                Ok(Some(rate)) => {
                    if let Err(m) = push(*currency, day, rate) {
                        problems.push(m);
                    }
                }
                Ok(None) => out.gaps += 1,
                Err(m) => problems.push(format!("line {line}: {} {m}", currency.code())),
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The wide layout's currency columns as (cell index, currency).
fn wide_columns(
    cells: &[String],
    base: CurrencyCode,
    out: &mut ParsedRates,
    problems: &mut Vec<String>,
) -> Vec<(usize, CurrencyCode)> {
    let mut columns = Vec::new();
    for (i, code) in cells.iter().enumerate().skip(1) {
        if code.is_empty() && i == cells.len() - 1 {
            continue;
        }
        match CurrencyCode::parse(code) {
            Ok(c) if c == base => problems.push(format!(
                "line 1: column {} is the base currency {} (its rate is 1)",
                i + 1,
                c.code()
            )),
            Ok(c) if columns.iter().any(|(_, d)| *d == c) => {
                problems.push(format!("line 1: column {} repeats {}", i + 1, c.code()))
            }
            Ok(c) => columns.push((i, c)),
            // The ECB file keeps columns of currencies replaced by the euro (CYP, EEK, …).
            Err(_) if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) => {
                out.skipped_columns.push(code.clone())
            }
            Err(m) => problems.push(format!("line 1: column {}: {m}", i + 1)),
        }
    }
    columns
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A rate cell: `Ok(None)` for a gap (`N/A` or empty).
fn parse_rate(s: &str) -> Result<Option<Decimal>, String> {
    if s.is_empty() || s.eq_ignore_ascii_case("n/a") {
        return Ok(None);
    }
    let d = Decimal::from_str(s).map_err(|_| format!("rate `{s}` is not a decimal number"))?;
    if d <= Decimal::ZERO {
        return Err(format!("rate `{s}` must be greater than zero"));
    }
    Ok(Some(d.normalize()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn eur() -> CurrencyCode {
        CurrencyCode::parse("EUR").unwrap()
    }

    #[test]
    fn the_ecb_layout_reads_with_gaps_legacy_columns_and_trailing_commas() {
        let text = "Date,USD,JPY,CYP,\n2026-03-05,1.0850,161.2,N/A,\n2026-03-04,N/A,160.9,N/A,\n";
        let p = parse_rates(text, eur()).unwrap();
        assert_eq!(p.rates.len(), 3);
        assert_eq!(p.gaps, 1);
        assert_eq!(p.skipped_columns, vec!["CYP".to_string()]);
        assert_eq!(p.rates[0].currency.code(), "USD");
        assert_eq!(p.rates[0].rate.to_string(), "1.085");
    }

    #[test]
    fn the_long_layout_reads() {
        let text = "date,currency,rate\n2026-03-05,USD,1.085\n2026-03-05,gbp,0.84\n";
        let p = parse_rates(text, eur()).unwrap();
        assert_eq!(p.rates.len(), 2);
        assert_eq!(p.rates[1].currency.code(), "GBP");
    }

    #[test]
    fn bad_rows_are_refused_with_their_line_numbers() {
        let text = "Date,USD,JPY\n2026-03-05,1.08,161\n2026-13-01,1.07,160\n2026-03-03,abc,160\n2026-03-02,-1,160\n2026-03-01,1.1\n";
        let e = parse_rates(text, eur()).unwrap_err();
        assert!(e[0].starts_with("line 3:"), "{e:?}");
        assert!(e[1].starts_with("line 4: USD rate `abc`"), "{e:?}");
        assert!(e[2].contains("greater than zero"), "{e:?}");
        assert!(e[3].starts_with("line 6: expected 3 values"), "{e:?}");
    }

    #[test]
    fn a_repeated_day_and_the_base_itself_are_refused() {
        let e = parse_rates(
            "date,currency,rate\n2026-03-05,USD,1\n2026-03-05,USD,2\n",
            eur(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec!["line 3: a second USD rate for 2026-03-05".to_string()]
        );
        assert!(parse_rates("Date,EUR\n2026-03-05,1\n", eur()).is_err());
        assert!(parse_rates("Day,USD\n", eur()).is_err());
        assert!(parse_rates("", eur()).is_err());
    }
}
