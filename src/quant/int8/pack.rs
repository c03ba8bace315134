//! The packed weight layout the kernels read. Output channels are grouped in panels of
//! [`NR`] = 16; inside a panel the input dimension runs in groups of [`KG`] = 2, and each group
//! stores 16 channels × 2 consecutive values widened to i16 (64 bytes), so one 32-byte load gives
//! 8 channels × 2 inputs — exactly what one `madd` (i16 pairs → i32) reduces into 8 i32 lanes.
//! The input dimension is padded with zero weights to a multiple of 2 and the last panel with
//! zero channels; per-channel scales are padded with zeros to whole panels too.
//!
//! The values are the int8 weights exactly (−128..=127), only stored in 16 bits so that the
//! kernels multiply them with 16-bit activation codes without unpacking in the inner loop.

/// Output channels per panel.
pub(super) const NR: usize = 16;
/// Consecutive input values per group (one i32 lane of the kernel: one `madd` pair).
pub(super) const KG: usize = 2;
/// Values (i16) of one group of one panel.
pub(super) const GROUP_LEN: usize = NR * KG;

/// Int8 weights, widened to i16, in panels, with the channel scales next to them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Packed {
    pub out_dim: usize,
    pub in_dim: usize,
    /// Groups of [`KG`] inputs per row: `in_dim.div_ceil(KG)`.
    pub groups: usize,
    /// Panels of [`NR`] channels: `out_dim.div_ceil(NR)`.
    pub panels: usize,
    /// `panels × groups × GROUP_LEN` values (see the module docs for the order), each an i8.
    pub data: Vec<i16>,
    /// Scale per channel, padded with zeros to `panels × NR`.
    pub scales: Vec<f32>,
}

impl Packed {
    /// Packs row-major `values` (`out_dim × in_dim`) with one scale per row. The caller has
    /// checked the lengths.
    pub fn new(values: &[i8], scales: &[f32], out_dim: usize, in_dim: usize) -> Self {
        let groups = in_dim.div_ceil(KG);
        let panels = out_dim.div_ceil(NR);
        let mut data = vec![0i16; panels * groups * GROUP_LEN];
        let mut padded_scales = vec![0f32; panels * NR];
        for n in 0..out_dim {
            let row = &values[n * in_dim..(n + 1) * in_dim];
            for (k, &v) in row.iter().enumerate() {
                data[Self::index(groups, n, k)] = i16::from(v);
            }
            padded_scales[n] = scales[n];
        }
        Packed { out_dim, in_dim, groups, panels, data, scales: padded_scales }
    }

    /// Where the value of channel `n`, input `k` lives in `data`.
    fn index(groups: usize, n: usize, k: usize) -> usize {
        ((n / NR * groups + k / KG) * NR + n % NR) * KG + k % KG
    }

    /// The int8 values of one output row, in input order.
    pub fn row(&self, n: usize) -> Vec<i8> {
        // Every stored value came from an i8, so the narrowing is exact.
        (0..self.in_dim).map(|k| self.data[Self::index(self.groups, n, k)] as i8).collect()
    }

    /// The values of panel `p` (all its groups).
    pub fn panel(&self, p: usize) -> &[i16] {
        let len = self.groups * GROUP_LEN;
        &self.data[p * len..(p + 1) * len]
    }
}
