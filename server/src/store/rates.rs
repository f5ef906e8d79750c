//! Exchange rates: units of `currency` per 1 `base` on a day. Days are 'YYYY-MM-DD' text and
//! rates decimal text; parsing and arithmetic are the engine's (`engine::rates`).
use super::{get, Result, Store};

/// One stored rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    pub base: String,
    pub currency: String,
    /// 'YYYY-MM-DD'.
    pub day: String,
    /// Units of `currency` per 1 `base`, as decimal text.
    pub rate: String,
}

/// What the rates table holds for one base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RatesExtent {
    pub rows: u64,
    pub currencies: u64,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
}

/// Rows per `INSERT` (4 bound values each, well under both databases' parameter limits).
const CHUNK: usize = 200;

impl Store {
    /// Inserts or replaces rates, all in one transaction: all of them are stored or none.
    /// The rows must not repeat a (base, currency, day).
    pub async fn upsert_rates(&self, rows: &[RateRow]) -> Result<u64> {
        let tx = self.begin().await?;
        let mut n = 0;
        for chunk in rows.chunks(CHUNK) {
            let mut sql =
                String::from("INSERT INTO exchange_rates (base, currency, day, rate) VALUES ");
            let mut values = Vec::with_capacity(chunk.len() * 4);
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str("(?, ?, ?, ?)");
                values.extend([
                    r.base.clone().into(),
                    r.currency.clone().into(),
                    r.day.clone().into(),
                    r.rate.clone().into(),
                ]);
            }
            sql.push_str(" ON CONFLICT (base, currency, day) DO UPDATE SET rate = excluded.rate");
            n += self.tx_exec(&tx, &sql, values).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// The rate of the latest day on or before `day`, as (day, rate).
    pub async fn rate_on_or_before(
        &self,
        base: &str,
        currency: &str,
        day: &str,
    ) -> Result<Option<(String, String)>> {
        let row = self
            .one(
                "SELECT day, rate FROM exchange_rates WHERE base = ? AND currency = ? AND day <= ? ORDER BY day DESC LIMIT 1",
                vec![base.into(), currency.into(), day.into()],
            )
            .await?;
        row.map(|r| Ok((get::<String>(&r, "day")?, get::<String>(&r, "rate")?)))
            .transpose()
    }

    /// A page of rates for one base, newest day first, then by currency.
    pub async fn rates_page(&self, base: &str, offset: u64, limit: u64) -> Result<Vec<RateRow>> {
        let rows = self
            .all(
                &format!("SELECT base, currency, day, rate FROM exchange_rates WHERE base = ? ORDER BY day DESC, currency LIMIT {limit} OFFSET {offset}"),
                vec![base.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RateRow {
                    base: get(r, "base")?,
                    currency: get(r, "currency")?,
                    day: get(r, "day")?,
                    rate: get(r, "rate")?,
                })
            })
            .collect()
    }

    /// How many rates there are for one base, of how many currencies, over which days.
    pub async fn rates_extent(&self, base: &str) -> Result<RatesExtent> {
        let row = self
            .one(
                "SELECT COUNT(*) AS n, COUNT(DISTINCT currency) AS c, MIN(day) AS first_day, MAX(day) AS last_day FROM exchange_rates WHERE base = ?",
                vec![base.into()],
            )
            .await?;
        let Some(r) = row else {
            return Ok(RatesExtent::default());
        };
        Ok(RatesExtent {
            rows: get::<i64>(&r, "n")?.max(0) as u64,
            currencies: get::<i64>(&r, "c")?.max(0) as u64,
            first_day: get(&r, "first_day")?,
            last_day: get(&r, "last_day")?,
        })
    }

    /// The currencies that have rates against `base`, in code order.
    pub async fn rate_currencies(&self, base: &str) -> Result<Vec<String>> {
        let rows = self
            .all(
                "SELECT DISTINCT currency FROM exchange_rates WHERE base = ? ORDER BY currency",
                vec![base.into()],
            )
            .await?;
        rows.iter().map(|r| get(r, "currency")).collect()
    }
}
