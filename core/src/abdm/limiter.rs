//! A request rate limit shared by every task of one client.
//!
//! ABDM rate-limits clients (`ABDM-1022`) and the sandbox quota is small, so the hub spaces its
//! calls itself rather than finding the limit by being refused. Slots are handed out at most
//! `rate` per second, with a burst of one second's worth; a caller waits for its slot.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces calls to at most `rate` per second.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    burst: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter of `rate` calls per second; `rate <= 0` means no limit.
    pub fn new(rate: f64) -> Self {
        let interval =
            (rate > 0.0 && rate.is_finite()).then(|| Duration::from_secs_f64(1.0 / rate));
        let burst = interval
            .map(|i| i.mul_f64(rate.max(1.0).floor() - 1.0))
            .unwrap_or_default();
        Self {
            interval,
            burst,
            next: Mutex::new(None),
        }
    }

    /// Waits until this call may go.
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let wait_until = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            // Unused capacity accrues up to the burst, never more.
            let slot = match *next {
                Some(t) if t + self.burst > now => t,
                _ => now.checked_sub(self.burst).unwrap_or(now),
            };
            let slot = slot.max(now.checked_sub(self.burst).unwrap_or(now));
            *next = Some(slot + interval);
            slot
        };
        tokio::time::sleep_until(wait_until).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn test_spacing_after_burst() {
        let l = RateLimiter::new(4.0);
        let start = Instant::now();
        for _ in 0..12 {
            l.acquire().await;
        }
        // 4 in the first instant (burst), then 8 more at 250 ms each.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(1999), "{took:?}");
        assert!(took <= Duration::from_millis(2300), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn test_unlimited_never_waits() {
        let l = RateLimiter::new(0.0);
        let start = Instant::now();
        for _ in 0..1000 {
            l.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
