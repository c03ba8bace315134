//! Settings of the memory allocator the binaries use (mimalloc, declared in `main.rs`): the
//! allocator decides CPU training speed, because every pass allocates large temporary tensors.
//! Call [`keep_freed_memory`] first thing in `main` of a binary whose global allocator is mimalloc.

unsafe extern "C" {
    /// mimalloc's option setter (part of the C library the `mimalloc` crate links).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// mimalloc's `mi_option_purge_delay`: index 15 of `mi_option_e` in both v2 and v3 (the build
/// links v3; checked in libmimalloc-sys 0.1.49's headers).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// mimalloc hands freed memory back to the OS after 10 ms; every forward and backward pass then
/// gets its large temporaries as fresh pages that the kernel must zero (11 % of a q8_0 inference
/// profile in `clear_page_erms`). Keeping freed memory for reuse measured +10–20 % examples/s in
/// `attune bench` (training and inference); the peak memory is the same, it is just not returned
/// between passes.
pub fn keep_freed_memory() {
    // SAFETY: setting a documented option of the allocator this binary links, before any
    // thread is started; an unknown option index is ignored by mimalloc.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}
