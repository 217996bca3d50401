//! dustlab: replay, attack and report on the dust (minimum-weight) policies of Bittensor
//! subnet 8. Data flows one way through the layers below, lowest first; `ARCHITECTURE.md`
//! states the order and `tests/layers.rs` fails on an upward import.

// Layer 0: utilities every layer may use.
pub mod error;
pub mod notes;
pub mod progress;
pub mod stats;
pub mod time;
// Layer 1..: the stages of the flow.
pub mod detect;
pub mod experiment;
pub mod ledger;
pub mod metrics;
pub mod policy;
pub mod population;
pub mod replay;
pub mod report;
// The command line, on top.
pub mod app;
pub mod cli;
#[cfg(test)]
pub(crate) mod testutil;

/// Every binary built on the library (the CLI, its tests and benchmarks) allocates through
/// mimalloc: a replay's many short per-step vectors, freed across threads, cost glibc's
/// malloc a tenth of an attack search and page faults on memory it had returned.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's own setter (linked in with the allocator; `mi_option_t` is a C enum).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

#[cfg(target_os = "linux")]
unsafe extern "C" {
    /// The C library's `prctl` (process settings; variadic in C).
    fn prctl(option: std::ffi::c_int, ...) -> std::ffi::c_int;
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v3, as built here, and v2 alike).
const PURGE_DELAY: std::ffi::c_int = 15;

/// Sets the process's memory up for dustlab's allocation pattern; call it first thing (the CLI
/// and the benchmarks do).
///
/// - Memory the process freed is kept for its own reuse instead of returned to the OS. A sweep
///   frees and reallocates its chunks' tables (hundreds of MB) over and over: returned, every
///   reuse faulted the pages back in zeroed (a tenth of the sweep's CPU). The cost is that the
///   resident size never shrinks below its peak until the process ends, which a command that
///   runs once can afford.
/// - Memory is faulted in 4 KiB pages, not transparent 2 MiB huge pages (which mimalloc asks
///   for). A huge page is zeroed whole at its first touch, however little of it is used: a
///   replay from `.json.gz` peaked 45 MB higher with them and spent 0.3–0.6 s of system time
///   zeroing, against 0.13–0.2 s without (alternated runs, same minutes); a sweep's wall time
///   did not move.
pub fn tune_memory() {
    // SAFETY: a plain setter of an allocator option (-1: never purge), valid at any time.
    unsafe { mi_option_set(PURGE_DELAY, -1) }
    #[cfg(target_os = "linux")]
    {
        /// `PR_SET_THP_DISABLE` of `<linux/prctl.h>`: the flag holds for every later fault of
        /// the process, whatever `madvise` its regions had.
        const PR_SET_THP_DISABLE: std::ffi::c_int = 41;
        // SAFETY: prctl with this option only sets a flag of the calling process; its failure
        // (an old kernel) leaves huge pages on, which is only slower.
        unsafe {
            prctl(
                PR_SET_THP_DISABLE,
                1 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
            )
        };
    }
}

#[cfg(test)]
mod allocator_tests {
    unsafe extern "C" {
        fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    }

    /// The option index is mimalloc's: v3's purge delay defaults to 1000 ms, and reads back as
    /// set; and the kernel reports huge pages off for the process.
    #[test]
    fn tune_memory_keeps_freed_memory_and_turns_huge_pages_off() {
        // SAFETY: plain getters of an allocator option.
        let before = unsafe { mi_option_get(super::PURGE_DELAY) };
        assert_eq!(before, 1000, "mimalloc v3's default purge delay (ms): is index 15 still purge_delay?");
        super::tune_memory();
        assert_eq!(unsafe { mi_option_get(super::PURGE_DELAY) }, -1);
        #[cfg(target_os = "linux")]
        {
            use super::prctl;
            const PR_GET_THP_DISABLE: std::ffi::c_int = 42;
            let zero = 0 as std::ffi::c_ulong;
            // SAFETY: a getter of a flag of the calling process.
            assert_eq!(unsafe { prctl(PR_GET_THP_DISABLE, zero, zero, zero, zero) }, 1);
        }
    }
}
