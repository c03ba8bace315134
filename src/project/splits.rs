//! Seeded, stratified train/validation/test splits: each label's examples are shuffled with the
//! project's seed and cut by the ratios, so every split has every label in proportion.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::Split;

/// Assigns a split to each example. `strata[i]` groups examples (their label; None for unlabeled).
/// `ratios` are the train and validation shares; the rest is test.
pub fn stratified_splits(strata: &[Option<String>], ratios: (f64, f64), seed: u64) -> Vec<Split> {
    let mut groups: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, s) in strata.iter().enumerate() {
        groups.entry(s.as_deref()).or_default().push(i);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = vec![Split::Train; strata.len()];
    for (_, mut rows) in groups {
        rows.shuffle(&mut rng);
        let n = rows.len() as f64;
        let train = (n * ratios.0).round() as usize;
        let valid = ((n * (ratios.0 + ratios.1)).round() as usize).max(train);
        for (k, r) in rows.into_iter().enumerate() {
            out[r] = if k < train {
                Split::Train
            } else if k < valid {
                Split::Valid
            } else {
                Split::Test
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_stratified_and_seeded() {
        let strata: Vec<Option<String>> =
            (0..1000).map(|i| Some(if i % 10 == 0 { "rare" } else { "common" }.into())).collect();
        let a = stratified_splits(&strata, (0.8, 0.1), 3);
        assert_eq!(a, stratified_splits(&strata, (0.8, 0.1), 3));
        assert_ne!(a, stratified_splits(&strata, (0.8, 0.1), 4));
        let count = |label: &str, split: Split| {
            (0..1000).filter(|&i| strata[i].as_deref() == Some(label) && a[i] == split).count()
        };
        assert_eq!(count("rare", Split::Train), 80);
        assert_eq!(count("rare", Split::Valid), 10);
        assert_eq!(count("rare", Split::Test), 10);
        assert_eq!(count("common", Split::Valid), 90);
    }
}
