//! What every bench shares: the inputs, a counting allocator for peak memory, and the ratio
//! summary read back from criterion's own results.
//!
//! Each bench measures the library and its baseline in the same run and prints the ratio of
//! their medians at the end, so that a number in `docs/performance.md` is never a comparison
//! between two runs (or two machine loads).

#![allow(dead_code)] // Each bench uses a different part of this module.

pub mod shapes;

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, CString};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

// ------------------------------------------------------------------------------------------
// Inputs

/// The text of a valid `create_batches` outcome with `workers` integer ranges of 100 keys,
/// compact, with the ids the partitioner generates (`"001"`, ...): the shape a batchable step
/// hands to the orchestrator.
pub fn outcome_text(workers: usize) -> String {
    let mut configs = String::with_capacity(workers * 80);
    for i in 0..workers {
        if i > 0 {
            configs.push(',');
        }
        configs.push_str(&format!(
            r#"{{"batch_id":"{:03}","start_cursor":{},"end_cursor":{},"batch_size":100}}"#,
            i + 1,
            i * 100,
            (i + 1) * 100
        ));
    }
    format!(
        r#"{{"type":"create_batches","worker_template_name":"process_batch","worker_count":{workers},"cursor_configs":[{configs}],"total_items":{}}}"#,
        workers * 100
    )
}

/// Calls the C ABI as a C caller would and returns the envelope's length, so that the
/// envelope is read (not optimised away) and then freed.
pub fn c_abi_call(op: &CStr, input: &CStr) -> usize {
    unsafe {
        let out = tasker_batch::capi::tasker_batch_call(op.as_ptr(), input.as_ptr());
        assert!(!out.is_null(), "the C ABI returned NULL");
        let len = CStr::from_ptr(out).to_bytes().len();
        tasker_batch::capi::tasker_batch_free_string(out);
        len
    }
}

/// Checks once, before timing, that the operation succeeds on the input: a bench of an
/// error envelope would measure the wrong thing.
pub fn assert_ok(op: &str, input: &str) -> String {
    let envelope = tasker_batch::operations::call_envelope(op, input);
    assert!(
        envelope.starts_with(r#"{"ok":true"#),
        "{op} failed: {}",
        envelope.chars().take(300).collect::<String>()
    );
    envelope
}

/// For `Bencher::iter_custom`: the time `iters` runs of `f` take, without dropping what they
/// return (a baseline that leaves the freeing to its caller).
pub fn time_without_drop<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let output = black_box(f());
        total += start.elapsed();
        drop(output);
    }
    total
}

/// `text` as a C string.
pub fn c_string(text: &str) -> CString {
    CString::new(text).expect("JSON text has no NUL byte")
}

// ------------------------------------------------------------------------------------------
// Memory

/// The system allocator, counting bytes while [`peak_bytes_during`] runs. Outside that
/// window it adds one relaxed load per call, so timings are not skewed: a baseline that
/// allocates more would otherwise pay more for the counting.
pub struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
/// Bytes allocated minus bytes freed since counting started (negative when the window frees
/// memory allocated before it).
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

impl CountingAllocator {
    fn count(delta: isize) {
        if COUNTING.load(Ordering::Relaxed) {
            let now = CURRENT.fetch_add(delta, Ordering::Relaxed) + delta;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            Self::count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            Self::count(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        Self::count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            Self::count(new_size as isize - layout.size() as isize);
        }
        new
    }
}

/// The most bytes held at once while `f` ran, beyond what was held before it. Requested
/// sizes are counted: the allocator's rounding and bookkeeping are not, and a `realloc`
/// counts as its net change (glibc grows large blocks with `mremap`, without a copy).
/// Single-threaded use only: the benches call it from their main thread.
pub fn peak_bytes_during(f: impl FnOnce()) -> usize {
    CURRENT.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    f();
    COUNTING.store(false, Ordering::Relaxed);
    PEAK.load(Ordering::Relaxed) as usize
}

// ------------------------------------------------------------------------------------------
// Ratios

/// Reads the medians criterion wrote during this run and prints them with ratios.
pub struct Summary {
    started: SystemTime,
    lines: Vec<String>,
}

impl Summary {
    /// Call before the benchmarks run: results older than this are not this run's.
    pub fn start() -> Self {
        Summary {
            started: SystemTime::now(),
            lines: Vec::new(),
        }
    }

    /// The median time per iteration of `group/id` in nanoseconds, if it ran in this run
    /// (it did not when a filter skipped it, or in `cargo test` mode).
    pub fn median_ns(&self, group: &str, id: &str) -> Option<f64> {
        let file = criterion_home()?
            .join(group)
            .join(id)
            .join("new/estimates.json");
        let written = std::fs::metadata(&file).ok()?.modified().ok()?;
        if written < self.started {
            return None;
        }
        let estimates: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).ok()?).ok()?;
        estimates["median"]["point_estimate"].as_f64()
    }

    /// Adds a line to the summary.
    pub fn line(&mut self, text: impl Into<String>) {
        self.lines.push(text.into());
    }

    /// Adds `name: subject / baseline = ratio (target)` when both ran in this run.
    pub fn ratio(&mut self, name: &str, group: &str, subject: &str, baseline: &str, target: f64) {
        if let (Some(s), Some(b)) = (
            self.median_ns(group, subject),
            self.median_ns(group, baseline),
        ) {
            let ratio = s / b;
            let verdict = if ratio <= target { "met" } else { "MISSED" };
            self.line(format!(
                "{name}: {subject} {} / {baseline} {} = {ratio:.2}x (target <= {target}x: {verdict})",
                millis(s),
                millis(b)
            ));
        }
    }

    /// Prints the summary, if there is anything in it.
    pub fn print(&self) {
        if !self.lines.is_empty() {
            println!("\n== summary (medians of this run) ==");
            for line in &self.lines {
                println!("{line}");
            }
        }
    }
}

/// Formats nanoseconds as milliseconds.
pub fn millis(ns: f64) -> String {
    format!("{:.2} ms", ns / 1e6)
}

/// Where criterion writes its results, found as criterion finds it: `$CRITERION_HOME`, else
/// `criterion/` in the cargo target directory.
fn criterion_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(home.into());
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    let cargo = std::env::var_os("CARGO")?;
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some(PathBuf::from(metadata["target_directory"].as_str()?).join("criterion"))
}

/// Tells glibc to serve blocks up to 512 MB from the heap and keep freed memory
/// (`M_MMAP_THRESHOLD`, `M_TRIM_THRESHOLD`), for the benches' "heap kept warm" columns: above
/// 128 KB glibc maps every block afresh by default (its threshold grows with use, up to 32 MB),
/// so a large call pays page faults a small one does not, whatever the operation's own work.
pub fn keep_heap_warm() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(
                param: std::os::raw::c_int,
                value: std::os::raw::c_int,
            ) -> std::os::raw::c_int;
        }
        const M_TRIM_THRESHOLD: std::os::raw::c_int = -1;
        const M_MMAP_THRESHOLD: std::os::raw::c_int = -3;
        // SAFETY: plain glibc calls that only change the allocator's tuning.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 512 << 20);
            mallopt(M_TRIM_THRESHOLD, 512 << 20);
        }
    }
}
