//! Training batches: shuffled with the run's seed, grouped so that texts of similar length share
//! a batch (little padding), and padded per batch to their own longest text.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// How many batches' worth of examples are sorted by length together before being cut.
const BUCKET_BATCHES: usize = 50;

/// The example indices of each batch of one epoch.
pub fn epoch_batches(lengths: &[usize], batch_size: usize, rng: &mut StdRng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.shuffle(rng);
    let mut batches = Vec::new();
    for bucket in order.chunks(batch_size * BUCKET_BATCHES) {
        let mut bucket = bucket.to_vec();
        bucket.sort_by_key(|&i| lengths[i]);
        batches.extend(bucket.chunks(batch_size).map(|c| c.to_vec()));
    }
    batches.shuffle(rng);
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_example_once_and_similar_lengths_together() {
        let lengths: Vec<usize> = (0..1000).map(|i| (i * 7919) % 97 + 3).collect();
        let mut rng = StdRng::seed_from_u64(1);
        let batches = epoch_batches(&lengths, 16, &mut rng);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        let padded: usize = batches.iter().map(|b| b.iter().map(|&i| lengths[i]).max().unwrap() * b.len()).sum();
        let real: usize = lengths.iter().sum();
        assert!((padded as f64) < real as f64 * 1.1, "bucketing should keep padding small: {padded} vs {real}");
        let again = epoch_batches(&lengths, 16, &mut StdRng::seed_from_u64(1));
        assert_eq!(batches, again);
    }
}
