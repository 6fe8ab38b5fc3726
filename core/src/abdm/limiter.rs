//! A request rate limit shared by every task of one client.
//!
//! ABDM rate-limits clients (`ABDM-1022`) and the sandbox quota is small, so the hub spaces its
//! calls itself rather than finding the limit by being refused. Slots are handed out at most
//! `rate` per second, with a burst of one second's worth; a caller waits for its slot.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spacing is this much wider than `1/rate`, so jitter between here and ABDM does not push a
/// window over the limit.
const MARGIN: f64 = 1.05;

/// Spaces calls to at most `rate` per second.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter of `rate` calls per second; `rate <= 0` means no limit.
    pub fn new(rate: f64) -> Self {
        let interval =
            (rate > 0.0 && rate.is_finite()).then(|| Duration::from_secs_f64(MARGIN / rate));
        Self {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits until this call may go.
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self.next.lock().await;
            // An idle limiter does not save up calls: the next one goes now, the one after
            // waits a full interval.
            let slot = next.map_or_else(Instant::now, |t| t.max(Instant::now()));
            *next = Some(slot + interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn test_no_second_holds_more_than_rate_calls() {
        let l = std::sync::Arc::new(RateLimiter::new(4.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire().await;
                start.elapsed()
            }));
        }
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        // Every window of one second, starting at any call, holds at most 4 calls.
        for (i, t) in at.iter().enumerate() {
            let in_window = at[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(in_window <= 4, "{in_window} calls within 1 s from {t:?}");
        }
        // And the limit is used: 12 calls take about 11 intervals of 262.5 ms.
        let took = *at.last().unwrap();
        assert!(took <= Duration::from_millis(2950), "{took:?}");
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
