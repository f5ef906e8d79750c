//! A process-wide budget of image pixels being decoded at once. Each decode holds its image's
//! megapixels from the budget until its buffers are freed, so memory for decoding stays about
//! (budget × 4 bytes a pixel, plus the derivatives) however many big uploads arrive together;
//! an upload that cannot get its share within the wait is refused as "busy, retry in a moment".
use super::ReceiptError;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Megapixels decoded at once by default: three 40-megapixel photos, or many phone pictures.
pub const DEFAULT_BUDGET_MP: u32 = 120;

/// How long an upload waits for its share by default before it is refused as busy.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// The budget and the wait (`--pixel-budget-mp`, `--pixel-wait-ms`).
struct Budget {
    permits: std::sync::Arc<Semaphore>,
    total: u32,
    wait: Duration,
}

static BUDGET: OnceLock<Budget> = OnceLock::new();

fn new_budget(total_mp: u32, wait: Duration) -> Budget {
    let total = total_mp.max(1);
    Budget {
        permits: std::sync::Arc::new(Semaphore::new(total as usize)),
        total,
        wait,
    }
}

/// Sets the budget for this process; the first setting (or first use) stands, as the budget is
/// one for the whole process.
pub fn configure(total_mp: u32, wait: Duration) {
    let _ = BUDGET.set(new_budget(total_mp, wait));
}

fn budget() -> &'static Budget {
    BUDGET.get_or_init(|| new_budget(DEFAULT_BUDGET_MP, DEFAULT_WAIT))
}

/// The share of the budget an image of `pixels` needs: its megapixels rounded up, at least one,
/// at most the whole budget (an image larger than the budget decodes alone).
fn share(pixels: u64, total: u32) -> u32 {
    let mp = pixels.div_ceil(1_000_000).max(1);
    u32::try_from(mp).unwrap_or(u32::MAX).min(total)
}

/// Holds `pixels` of the budget until dropped; waits for it, then refuses as busy.
pub async fn reserve(pixels: u64) -> Result<OwnedSemaphorePermit, ReceiptError> {
    let b = budget();
    let n = share(pixels, b.total);
    let started = std::time::Instant::now();
    let acquired = tokio::time::timeout(b.wait, b.permits.clone().acquire_many_owned(n)).await;
    let waited = started.elapsed();
    match acquired {
        Ok(Ok(permit)) => {
            if waited > Duration::from_millis(100) {
                tracing::info!(
                    megapixels = n,
                    waited_ms = waited.as_millis() as u64,
                    "an image waited for the pixel budget"
                );
            }
            Ok(permit)
        }
        Ok(Err(_)) | Err(_) => Err(ReceiptError::Busy),
    }
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn a_share_is_the_megapixels_rounded_up_within_the_budget() {
        assert_eq!(share(0, 120), 1);
        assert_eq!(share(12_000_001, 120), 13);
        assert_eq!(share(40_000_000, 120), 40);
        assert_eq!(share(400_000_000, 120), 120);
    }
}
