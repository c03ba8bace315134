//! How long idle worker threads spin before they sleep. Two pools share the cores: rayon's, which
//! runs our kernels and matrix products, and candle's own barrier pool (the calling thread plus
//! one worker per further core), which runs candle's element-wise ops. Call
//! [`stop_candle_workers_spinning_long`] first thing in `main` of a binary, before any thread starts.

/// The environment variable candle-core reads, once, when its barrier pool starts.
const CANDLE_SPIN_LIMIT: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";

/// Spins before candle's idle worker parks: about 10 µs on this project's machine (candle's
/// default, 25,000, is about half a millisecond).
const SPIN_LIMIT: &str = "500";

/// After each candle op, candle's worker spun for about half a millisecond before parking, on a
/// core that rayon's workers needed for the matrix product that usually comes next: on two
/// cores three threads then share two, and the product waits for its slower half. With a short
/// spin, MiniLM training steps measured 3–8 % faster (alternating `attune bench` rounds,
/// docs/performance.md). A value the user set is kept.
pub fn stop_candle_workers_spinning_long() {
    if std::env::var_os(CANDLE_SPIN_LIMIT).is_none() {
        // Called before any other thread exists, so nothing reads the environment meanwhile.
        std::env::set_var(CANDLE_SPIN_LIMIT, SPIN_LIMIT);
    }
}
