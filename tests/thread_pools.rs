//! The spin limit of candle's idle workers: set for candle to read when nobody chose one, left
//! alone when the user did. A file of its own, so that this process changes its environment
//! while no other test thread reads it.

const VARIABLE: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";

#[test]
fn a_short_spin_is_set_unless_the_user_chose_one() {
    std::env::remove_var(VARIABLE);
    attune::thread_pools::stop_candle_workers_spinning_long();
    let set: u32 = std::env::var(VARIABLE).expect("the limit is set").parse().expect("a number");
    assert!(set > 0 && set < 25_000, "the limit {set} is not shorter than candle's default");

    std::env::set_var(VARIABLE, "1234");
    attune::thread_pools::stop_candle_workers_spinning_long();
    assert_eq!(std::env::var(VARIABLE).as_deref(), Ok("1234"), "the user's value was replaced");
}
