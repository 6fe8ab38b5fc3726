//! Hybrid logical clock.
//!
//! Ops are ordered by a hybrid logical clock (Kulkarni et al., 2014): the physical time in
//! milliseconds, a counter that orders events within one millisecond or while the wall clock
//! lags, and the replica id as the final tie-breaker. The clock never goes backwards, even
//! when a tablet's wall clock is wrong: a tablet whose clock is days behind still produces
//! timestamps above everything it has seen, so its edits are not silently older than the hub's.
//!
//! The `(wall, counter)` pair is packed into one `i64` (`wall << 16 | counter`) so SQLite can
//! index and compare it as an integer. 47 bits of milliseconds last until the year 6429.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where the wall time comes from. Injected so tests control time and so the device can apply
/// the offset the hub reports at sync.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since the Unix epoch, as best this device knows.
    fn now_ms(&self) -> u64;
    /// Sets the correction learned from a hub (hub time minus device time). Clocks that are not
    /// corrected (test clocks) ignore it.
    fn set_offset_ms(&self, _offset: i64) {}
}

/// The system clock plus an offset (milliseconds) learned from the hub.
#[derive(Debug, Default)]
pub struct SystemClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl SystemClock {
    /// A clock with no correction.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Clock for SystemClock {
    fn set_offset_ms(&self, offset: i64) {
        self.offset_ms
            .store(offset, std::sync::atomic::Ordering::Relaxed);
    }
    fn now_ms(&self) -> u64 {
        let sys = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let off = self.offset_ms.load(std::sync::atomic::Ordering::Relaxed);
        sys.saturating_add(off).max(0) as u64
    }
}

/// A fixed or manually advanced clock for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicU64);

impl ManualClock {
    /// A clock reading `ms`.
    pub fn new(ms: u64) -> Self {
        Self(std::sync::atomic::AtomicU64::new(ms))
    }
    /// Sets the reading.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, std::sync::atomic::Ordering::Relaxed);
    }
    /// Moves the reading forward (or back, with a negative delta).
    pub fn advance(&self, delta_ms: i64) {
        let cur = self.0.load(std::sync::atomic::Ordering::Relaxed) as i64;
        self.set(cur.saturating_add(delta_ms).max(0) as u64);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The largest wall time the packed form can hold.
pub const MAX_WALL_MS: u64 = (1 << 47) - 1;

/// A hybrid logical timestamp without its node. Ordered by wall time, then counter.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub struct Hlc {
    wall_ms: u64,
    counter: u16,
}

/// A packed timestamp that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed hybrid logical timestamp")]
pub struct MalformedHlc;

impl Hlc {
    /// From parts; the wall time is clamped to what the packed form can hold.
    pub fn new(wall_ms: u64, counter: u16) -> Self {
        Self {
            wall_ms: wall_ms.min(MAX_WALL_MS),
            counter,
        }
    }
    /// Milliseconds since the epoch.
    pub const fn wall_ms(&self) -> u64 {
        self.wall_ms
    }
    /// Logical counter within the millisecond.
    pub const fn counter(&self) -> u16 {
        self.counter
    }
    /// The packed form stored in SQLite.
    pub const fn to_i64(self) -> i64 {
        ((self.wall_ms << 16) | self.counter as u64) as i64
    }
    /// From the packed form.
    pub fn from_i64(v: i64) -> Result<Self, MalformedHlc> {
        if v < 0 {
            return Err(MalformedHlc);
        }
        let v = v as u64;
        Ok(Self {
            wall_ms: v >> 16,
            counter: (v & 0xffff) as u16,
        })
    }
    /// The next timestamp after `self`.
    fn successor(self) -> Self {
        match self.counter.checked_add(1) {
            Some(c) => Self::new(self.wall_ms, c),
            None => Self::new(self.wall_ms.saturating_add(1), 0),
        }
    }
}

impl From<Hlc> for i64 {
    fn from(h: Hlc) -> i64 {
        h.to_i64()
    }
}

impl TryFrom<i64> for Hlc {
    type Error = MalformedHlc;
    fn try_from(v: i64) -> Result<Self, MalformedHlc> {
        Self::from_i64(v)
    }
}

impl fmt::Debug for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hlc({}.{})", self.wall_ms, self.counter)
    }
}

/// The clock state of one replica: the last timestamp issued or observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HlcState {
    last: Hlc,
}

impl HlcState {
    /// Resumes from the last persisted timestamp.
    pub fn resume(last: Hlc) -> Self {
        Self { last }
    }
    /// The last timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }
    /// A timestamp for a local event at wall time `now_ms`: strictly above every timestamp this
    /// replica has issued or observed.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        let now = Hlc::new(now_ms, 0);
        self.last = if now > self.last {
            now
        } else {
            self.last.successor()
        };
        self.last
    }
    /// Takes a remote timestamp into account, so later local events order after it.
    pub fn observe(&mut self, remote: Hlc) {
        if remote > self.last {
            self.last = remote;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn test_tick_is_strictly_monotonic_when_clock_goes_back() {
        let mut s = HlcState::default();
        let a = s.tick(1_000);
        let b = s.tick(1_000);
        let c = s.tick(500); // wall clock jumped back
        let d = s.tick(2_000);
        assert!(a < b && b < c && c < d);
        assert_eq!(c.wall_ms(), 1_000);
        assert_eq!(d, Hlc::new(2_000, 0));
    }

    #[test]
    fn test_observe_moves_past_remote_time() {
        let mut s = HlcState::default();
        s.tick(1_000);
        // A hub days ahead of this tablet.
        let remote = Hlc::new(1_000 + 3 * 86_400_000, 7);
        s.observe(remote);
        assert!(s.tick(1_001) > remote);
    }

    #[test]
    fn test_packing_round_trips_and_preserves_order() {
        let xs = [
            Hlc::new(0, 0),
            Hlc::new(0, 65_535),
            Hlc::new(1, 0),
            Hlc::new(1_700_000_000_000, 3),
            Hlc::new(MAX_WALL_MS, 65_535),
        ];
        for w in xs.windows(2) {
            assert!(w[0] < w[1]);
            assert!(w[0].to_i64() < w[1].to_i64());
        }
        for x in xs {
            assert_eq!(Hlc::from_i64(x.to_i64()).unwrap(), x);
        }
        assert!(Hlc::from_i64(-1).is_err());
    }

    #[test]
    fn test_counter_overflow_carries_into_wall_time() {
        let mut s = HlcState::resume(Hlc::new(10, u16::MAX));
        assert_eq!(s.tick(5), Hlc::new(11, 0));
    }
}
