//! Exchange rates and the site's home currency: importing daily rates, one manual rate, and
//! converting an amount on a day into the home currency.
//!
//! Rates are stored against one base currency (`rates_base`, EUR for the ECB's reference rates)
//! as units of a currency per 1 base. An amount in C on day d is converted with the rates of the
//! latest day D ≤ d that has every rate needed: amount / rate(C) × rate(home), where the base's
//! own rate is 1; C = home needs no rate. The result is rounded to the home currency's minor
//! units. A missing rate is a message ("no USD rate on or before 2026-03-05"), never a zero.
use super::rates_csv::{parse_rates, ParsedRates};
use super::value::CurrencyCode;
use super::{Engine, EngineError};
use crate::store::{RateRow, RatesExtent};
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// Setting: the site's home currency.
const HOME_KEY: &str = "home_currency";
/// Setting: the currency stored rates are quoted against.
const BASE_KEY: &str = "rates_base";
/// The base when none was chosen: the ECB publishes rates against the euro.
const DEFAULT_BASE: &str = "EUR";
/// Decimal places kept of an effective (cross) rate shown with a converted amount.
const RATE_DP: u32 = 8;

/// An amount converted into the home currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// In the home currency, rounded to its minor units.
    pub amount: Decimal,
    /// Units of `to` per 1 `from` (rounded to 8 decimals for display).
    pub rate: Decimal,
    /// The day whose rates were used (`None` when `from` is the home currency).
    pub rate_day: Option<NaiveDate>,
    pub from: CurrencyCode,
    pub to: CurrencyCode,
}

/// What an import stored.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub stored: u64,
    pub currencies: usize,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub gaps: u64,
    pub skipped_columns: Vec<String>,
    pub base: String,
}

impl ImportReport {
    /// One line for people: "Stored 30,120 rates of 30 currencies from 2023-01-02 to …".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Stored {} rate{} of {} currenc{} against {}",
            self.stored,
            if self.stored == 1 { "" } else { "s" },
            self.currencies,
            if self.currencies == 1 { "y" } else { "ies" },
            self.base
        );
        if let (Some(a), Some(b)) = (self.first_day, self.last_day) {
            s.push_str(&format!(" from {a} to {b}"));
        }
        s.push('.');
        if self.gaps > 0 {
            s.push_str(&format!(" {} empty (N/A) cells skipped.", self.gaps));
        }
        if !self.skipped_columns.is_empty() {
            s.push_str(&format!(
                " Columns of currencies no longer in use skipped: {}.",
                self.skipped_columns.join(", ")
            ));
        }
        s
    }
}

/// Rounds to a currency's minor units, half away from zero.
pub fn round_to(amount: Decimal, c: CurrencyCode) -> Decimal {
    let mut r =
        amount.round_dp_with_strategy(c.minor_units(), RoundingStrategy::MidpointAwayFromZero);
    r.rescale(c.minor_units());
    r
}

/// `amount` in `from` converted with the rates of one day (units per 1 base; `None` for the
/// base itself): amount / rate(from) × rate(to), rounded to `to`'s minor units. Returns the
/// amount and the effective rate (units of `to` per 1 `from`).
pub fn cross(
    amount: Decimal,
    from_rate: Option<Decimal>,
    to_rate: Option<Decimal>,
    to: CurrencyCode,
) -> Option<(Decimal, Decimal)> {
    let f = from_rate.unwrap_or(Decimal::ONE);
    let t = to_rate.unwrap_or(Decimal::ONE);
    if f <= Decimal::ZERO || t <= Decimal::ZERO {
        return None;
    }
    // Multiply first: dividing first would drop digits the rounding needs.
    let converted = amount.checked_mul(t)?.checked_div(f)?;
    let rate = t
        .checked_div(f)?
        .round_dp_with_strategy(RATE_DP, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Some((round_to(converted, to), rate))
}

impl Engine {
    /// The site's home currency, when one is set.
    pub async fn home_currency(&self) -> Result<Option<CurrencyCode>, EngineError> {
        Ok(self
            .store()
            .setting(HOME_KEY)
            .await?
            .and_then(|c| CurrencyCode::parse(&c).ok()))
    }

    /// Sets the site's home currency. Amounts already stored keep the currency they were
    /// converted into until they are recomputed (`recompute_converted`).
    pub async fn set_home_currency(&self, code: CurrencyCode) -> Result<(), EngineError> {
        self.store().set_setting(HOME_KEY, code.code()).await?;
        Ok(())
    }

    /// The currency stored rates are quoted against (EUR unless an import chose another).
    pub async fn rates_base(&self) -> Result<CurrencyCode, EngineError> {
        let stored = self.store().setting(BASE_KEY).await?;
        match stored.and_then(|c| CurrencyCode::parse(&c).ok()) {
            Some(c) => Ok(c),
            None => CurrencyCode::parse(DEFAULT_BASE).map_err(EngineError::Precondition),
        }
    }

    /// Imports a rates file (see `rates_csv` for the layouts): every rate or, when any row is
    /// bad, none. `base` defaults to the current base; another base is accepted only while no
    /// rates are stored.
    pub async fn import_rates(
        &self,
        text: &str,
        base: Option<CurrencyCode>,
    ) -> Result<ImportReport, EngineError> {
        let current = self.rates_base().await?;
        let base = base.unwrap_or(current);
        if base != current && self.store().rates_extent(current.code()).await?.rows > 0 {
            return Err(EngineError::Precondition(format!(
                "the stored rates are quoted against {}; import rates against {} too (or start from an empty rates table)",
                current.code(),
                base.code()
            )));
        }
        let parsed: ParsedRates = parse_rates(text, base).map_err(|problems| {
            EngineError::Precondition(format!("nothing was imported: {}", problems.join("; ")))
        })?;
        if parsed.rates.is_empty() {
            return Err(EngineError::Precondition(
                "nothing was imported: the file holds no rates".into(),
            ));
        }
        let rows: Vec<RateRow> = parsed
            .rates
            .iter()
            .map(|r| RateRow {
                base: base.code().into(),
                currency: r.currency.code().into(),
                day: r.day.format("%Y-%m-%d").to_string(),
                rate: r.rate.to_string(),
            })
            .collect();
        self.store().upsert_rates(&rows).await?;
        if base != current {
            self.store().set_setting(BASE_KEY, base.code()).await?;
        }
        let mut currencies: Vec<&str> = parsed.rates.iter().map(|r| r.currency.code()).collect();
        currencies.sort_unstable();
        currencies.dedup();
        Ok(ImportReport {
            stored: rows.len() as u64,
            currencies: currencies.len(),
            first_day: parsed.rates.iter().map(|r| r.day).min(),
            last_day: parsed.rates.iter().map(|r| r.day).max(),
            gaps: parsed.gaps,
            skipped_columns: parsed.skipped_columns,
            base: base.code().into(),
        })
    }

    /// Sets (adds or corrects) one rate: units of `currency` per 1 base currency on `day`.
    pub async fn set_rate(
        &self,
        currency: CurrencyCode,
        day: NaiveDate,
        rate: &str,
    ) -> Result<(), EngineError> {
        let base = self.rates_base().await?;
        if currency == base {
            return Err(EngineError::Precondition(format!(
                "{} is the base currency; its rate is 1",
                base.code()
            )));
        }
        let r = Decimal::from_str(rate.trim())
            .ok()
            .filter(|r| *r > Decimal::ZERO)
            .ok_or_else(|| {
                EngineError::Precondition(format!(
                    "`{}` is not a rate; write units of {} per 1 {}, e.g. 1.0842",
                    rate.trim(),
                    currency.code(),
                    base.code()
                ))
            })?;
        self.store()
            .upsert_rates(&[RateRow {
                base: base.code().into(),
                currency: currency.code().into(),
                day: day.format("%Y-%m-%d").to_string(),
                rate: r.normalize().to_string(),
            }])
            .await?;
        Ok(())
    }

    /// A page of stored rates (newest day first) and what the table holds.
    pub async fn rates_page(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<RateRow>, RatesExtent), EngineError> {
        let base = self.rates_base().await?;
        let rows = self.store().rates_page(base.code(), offset, limit).await?;
        let extent = self.store().rates_extent(base.code()).await?;
        Ok((rows, extent))
    }

    /// Converts `amount` in `from` on `day` into the home currency. `Err` is the message shown
    /// where the amount would be.
    pub async fn convert(
        &self,
        amount: Decimal,
        from: CurrencyCode,
        day: NaiveDate,
    ) -> Result<Result<Conversion, String>, EngineError> {
        Ok(match self.rates_for(from, day).await? {
            Ok(rates) => rates.apply(amount),
            Err(missing) => Err(missing),
        })
    }

    /// The rates that convert `from` on `day` into the home currency: those of the latest day
    /// on or before `day` that has every rate needed. `Err` says which rate is missing.
    pub async fn rates_for(
        &self,
        from: CurrencyCode,
        day: NaiveDate,
    ) -> Result<Result<DayRates, String>, EngineError> {
        let Some(home) = self.home_currency().await? else {
            return Ok(Err(
                "no home currency is set (Configure > Exchange rates)".into()
            ));
        };
        let base = self.rates_base().await?;
        if from == home {
            return Ok(Ok(DayRates {
                from_rate: None,
                to_rate: None,
                day: None,
                from,
                to: home,
            }));
        }
        let needed: Vec<CurrencyCode> = [from, home].into_iter().filter(|c| *c != base).collect();
        // The latest day on or before `day` that has every needed rate: step back until the
        // needed currencies' latest days agree.
        let mut on = day;
        for _ in 0..16 {
            let mut days = Vec::new();
            for c in &needed {
                let found = self
                    .store()
                    .rate_on_or_before(base.code(), c.code(), &on.format("%Y-%m-%d").to_string())
                    .await?;
                let Some((d, r)) = found else {
                    return Ok(Err(format!("no {} rate on or before {on}", c.code())));
                };
                let d = NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                    EngineError::Precondition(format!("a stored rate has a bad day `{d}`"))
                })?;
                let r = Decimal::from_str(&r).map_err(|_| {
                    EngineError::Precondition(format!("a stored rate is not a number `{r}`"))
                })?;
                days.push((c, d, r));
            }
            let earliest = days.iter().map(|(_, d, _)| *d).min().unwrap_or(on);
            if days.iter().all(|(_, d, _)| *d == earliest) {
                let rate_of =
                    |c: CurrencyCode| days.iter().find(|(x, _, _)| **x == c).map(|(_, _, r)| *r);
                return Ok(Ok(DayRates {
                    from_rate: rate_of(from),
                    to_rate: rate_of(home),
                    day: (!needed.is_empty()).then_some(earliest),
                    from,
                    to: home,
                }));
            }
            on = earliest;
        }
        Ok(Err(format!(
            "no day on or before {day} has both {} and {} rates",
            from.code(),
            home.code()
        )))
    }
}

/// The rates of one day that convert one currency into the home currency (units per 1 base;
/// `None` for the base itself, or when `from` is the home currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRates {
    from_rate: Option<Decimal>,
    to_rate: Option<Decimal>,
    /// The rates' day (`None` when `from` is the home currency).
    pub day: Option<NaiveDate>,
    pub from: CurrencyCode,
    pub to: CurrencyCode,
}

impl DayRates {
    /// `amount` in `from` converted with these rates, rounded to the home currency's minor
    /// units; `Err` when a rate cannot convert (zero).
    pub fn apply(&self, amount: Decimal) -> Result<Conversion, String> {
        if self.from == self.to {
            return Ok(Conversion {
                amount: round_to(amount, self.to),
                rate: Decimal::ONE,
                rate_day: None,
                from: self.from,
                to: self.to,
            });
        }
        match cross(amount, self.from_rate, self.to_rate, self.to) {
            Some((amount, rate)) => Ok(Conversion {
                amount,
                rate,
                rate_day: self.day,
                from: self.from,
                to: self.to,
            }),
            None => Err(format!(
                "{} cannot be converted into {}",
                self.from.code(),
                self.to.code()
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn c(code: &str) -> CurrencyCode {
        CurrencyCode::parse(code).unwrap()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn an_amount_in_a_quoted_currency_is_divided_by_its_rate() {
        // 108.50 USD at 1.085 USD per EUR is exactly 100 EUR.
        let (amount, rate) = cross(d("108.50"), Some(d("1.085")), None, c("EUR")).unwrap();
        assert_eq!(amount.to_string(), "100.00");
        assert_eq!(rate.to_string(), "0.92165899");
    }

    #[test]
    fn a_cross_rate_goes_through_the_base() {
        // Home GBP, rates against EUR: 100 USD → EUR at 1.25, → GBP at 0.85 = 68.00 GBP.
        let (amount, rate) = cross(d("100"), Some(d("1.25")), Some(d("0.85")), c("GBP")).unwrap();
        assert_eq!(amount.to_string(), "68.00");
        assert_eq!(rate.to_string(), "0.68");
        // From the base itself into the home currency.
        let (amount, _) = cross(d("10"), None, Some(d("161.237")), c("JPY")).unwrap();
        assert_eq!(amount.to_string(), "1612");
    }

    #[test]
    fn rounding_is_half_away_from_zero_in_the_home_minor_units() {
        assert_eq!(round_to(d("0.125"), c("EUR")).to_string(), "0.13");
        assert_eq!(round_to(d("2"), c("KWD")).to_string(), "2.000");
        assert_eq!(round_to(d("1234.5"), c("JPY")).to_string(), "1235");
    }

    #[test]
    fn a_zero_rate_never_converts() {
        assert!(cross(d("1"), Some(Decimal::ZERO), None, c("EUR")).is_none());
    }
}
