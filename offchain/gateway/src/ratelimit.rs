//! Per-account rate limit: a token bucket of `burst` tokens refilled at
//! `per_minute` tokens a minute. Charged only after the signature verified,
//! so nobody can spend another account's budget.

use std::collections::HashMap;
use std::sync::Mutex;

/// Token buckets per account. Time is passed in (milliseconds), so tests control it.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_ms: f64,
    buckets: Mutex<HashMap<String, (f64, u64)>>,
}

impl RateLimiter {
    /// `per_minute` sustained, `burst` at once.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            burst: f64::from(burst),
            per_ms: f64::from(per_minute) / 60_000.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `account` at `now_ms`; `Err(wait_ms)` when empty.
    pub fn take(&self, account: &str, now_ms: u64) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let (tokens, last) = buckets
            .entry(account.to_string())
            .or_insert((self.burst, now_ms));
        let elapsed = now_ms.saturating_sub(*last) as f64;
        *tokens = (*tokens + elapsed * self.per_ms).min(self.burst);
        *last = now_ms.max(*last);
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_ms).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let r = RateLimiter::new(60, 3); // one a second
        assert!(r.take("a", 0).is_ok());
        assert!(r.take("a", 0).is_ok());
        assert!(r.take("a", 0).is_ok());
        assert_eq!(r.take("a", 0), Err(1000));
        assert_eq!(r.take("a", 400), Err(600));
        assert!(r.take("a", 1000).is_ok());
        assert!(r.take("b", 0).is_ok(), "accounts are independent");
    }
}
