//! `keep_freed_memory`: after it, a large block comes from malloc's heap (kept for reuse by the
//! next step) instead of a fresh `mmap` that is unmapped on free. Its own test binary, since the
//! tuning is process-wide and done once.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn after_keep_freed_memory_large_blocks_stay_on_the_heap() {
    let mmapped = || unsafe { libc::mallinfo2() }.hblkhd;
    // 16 MB: one activation of a 256 px step. (Blocks over 64 MB, more than a thread's arena
    // can hold, are mmapped by glibc whatever the tuning.)
    let block = 16 << 20;
    // Before: glibc serves it with mmap. Kept, not freed: freeing an mmapped block would raise
    // glibc's threshold by itself and hide what the tuning does.
    let before = mmapped();
    let a = std::hint::black_box(vec![1u8; block]);
    assert!(mmapped() >= before + block, "glibc's default should mmap a 16 MB block");
    // Any value but "default" keeps the tuning on.
    std::env::set_var("NST_MALLOC", "on");
    nst_lib::cpu_kernels::keep_freed_memory();
    let before = mmapped();
    let b = std::hint::black_box(vec![1u8; block]);
    assert_eq!(mmapped(), before, "a 16 MB block was mmapped after keep_freed_memory");
    drop((a, b));
}
