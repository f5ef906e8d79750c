//! `formwork rates …`: the home currency, importing daily exchange rates (the ECB's
//! `eurofxref-hist.csv` or `date,currency,rate`), listing them, and recomputing an app's
//! converted amounts once rates arrive.
use crate::engine::value::CurrencyCode;
use crate::engine::Engine;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum RatesCommand {
    /// Import a CSV of daily rates: the ECB layout (`Date,USD,JPY,…`, units per 1 base, `N/A`
    /// for gaps) or `date,currency,rate`. Any bad row refuses the whole file.
    Import {
        file: PathBuf,
        /// The currency the rates are quoted against (default: the stored rates' base, EUR).
        #[arg(long)]
        base: Option<String>,
    },
    /// Show the home currency and the stored rates, newest day first.
    List {
        /// How many rates to print.
        #[arg(long, default_value_t = 40)]
        limit: u64,
    },
    /// Show the home currency, or set it (e.g. `EUR`).
    HomeCurrency { code: Option<String> },
    /// Set one rate: units of CURRENCY per 1 base currency on DAY (YYYY-MM-DD).
    Set {
        currency: String,
        day: String,
        rate: String,
    },
    /// Recompute an app's converted amounts from the current rates: those without a value, or
    /// with `--all` every one (each changed record gets a history entry).
    Recompute {
        app: String,
        #[arg(long)]
        all: bool,
    },
}

fn code(s: &str) -> Result<CurrencyCode, String> {
    CurrencyCode::parse(s)
}

/// Runs one `rates` command.
pub async fn run(cmd: RatesCommand, engine: Engine) -> Result<(), String> {
    let e = |e: crate::engine::EngineError| e.to_string();
    match cmd {
        RatesCommand::Import { file, base } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
            let base = base.as_deref().map(code).transpose()?;
            let report = engine.import_rates(&text, base).await.map_err(e)?;
            println!("{}", report.summary());
            Ok(())
        }
        RatesCommand::List { limit } => {
            let home = engine.home_currency().await.map_err(e)?;
            let (rows, extent) = engine.rates_page(0, limit).await.map_err(e)?;
            let base = engine.rates_base().await.map_err(e)?;
            println!(
                "home currency: {}",
                home.map(|h| h.code()).unwrap_or("(not set)")
            );
            println!(
                "{} rates of {} currencies against {} ({} to {})",
                extent.rows,
                extent.currencies,
                base.code(),
                extent.first_day.as_deref().unwrap_or("-"),
                extent.last_day.as_deref().unwrap_or("-")
            );
            for r in rows {
                println!("{}\t{}\t{}", r.day, r.currency, r.rate);
            }
            Ok(())
        }
        RatesCommand::HomeCurrency { code: c } => {
            if let Some(c) = c {
                engine.set_home_currency(code(&c)?).await.map_err(e)?;
            }
            let home = engine.home_currency().await.map_err(e)?;
            println!(
                "home currency: {}",
                home.map(|h| h.code()).unwrap_or("(not set)")
            );
            Ok(())
        }
        RatesCommand::Set {
            currency,
            day,
            rate,
        } => {
            let day = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
                .map_err(|_| format!("`{day}` is not a date; use YYYY-MM-DD"))?;
            engine
                .set_rate(code(&currency)?, day, &rate)
                .await
                .map_err(e)?;
            println!("rate stored");
            Ok(())
        }
        RatesCommand::Recompute { app, all } => {
            let (changed, missing) = engine
                .recompute_converted(&app, None, all)
                .await
                .map_err(e)?;
            println!("{changed} record(s) updated; {missing} amount(s) still without a rate");
            Ok(())
        }
    }
}
