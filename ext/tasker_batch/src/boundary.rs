//! The boundary between Ruby and the core: the panic boundary (`guarded`), running work
//! without the GVL, and the Ruby error class a failure of the glue is raised as.
//!
//! Depends on nothing else in the extension.

use std::ffi::c_void;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use magnus::value::Lazy;
use magnus::{prelude::*, Error, ExceptionClass, RModule, Ruby};

/// Inputs at least this long are processed with the GVL released, so that other Ruby threads
/// run during large partitions, expansions and aggregations. Small calls keep the GVL: giving
/// it up and taking it back costs more than they do.
pub(crate) const GVL_RELEASE_BYTES: usize = 32 * 1024;

/// `TaskerCore::BatchProcessing::InternalError`, defined by the Ruby layer before this library
/// loads (`Error` is a module both error classes include, so it cannot be raised itself).
pub(crate) static BATCH_ERROR: Lazy<ExceptionClass> = Lazy::new(|ruby| {
    let core: RModule = ruby
        .class_object()
        .const_get("TaskerCore")
        .expect("lib/tasker_batch/errors.rb defines TaskerCore before loading the extension");
    let processing: RModule = core
        .const_get("BatchProcessing")
        .expect("TaskerCore::BatchProcessing");
    processing
        .const_get("InternalError")
        .expect("TaskerCore::BatchProcessing::InternalError")
});

/// Runs glue code so that a panic becomes a Ruby `TaskerCore::BatchProcessing::InternalError`
/// rather than a `fatal` that takes the process down.
pub(crate) fn guarded<T>(
    ruby: &Ruby,
    what: &str,
    body: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    // The core's panic boundary: the same message text, and nothing printed to stderr.
    match tasker_batch::operations::catch_panic(body) {
        Ok(result) => result,
        Err(detail) => Err(Error::new(
            ruby.get_inner(&BATCH_ERROR),
            format!("internal error in {what}: {detail}"),
        )),
    }
}

/// Runs `work` without the GVL when `size` is large. `work` must not touch Ruby objects.
pub(crate) fn maybe_without_gvl<F: FnOnce() -> R, R>(size: usize, work: F) -> R {
    if size < GVL_RELEASE_BYTES {
        return work();
    }
    struct Call<F, R> {
        work: Option<F>,
        out: Option<std::thread::Result<R>>,
    }
    unsafe extern "C" fn trampoline<F: FnOnce() -> R, R>(data: *mut c_void) -> *mut c_void {
        // SAFETY: `data` is the `Call` below, alive for the whole blocking call.
        let call = unsafe { &mut *(data as *mut Call<F, R>) };
        let work = call.work.take().expect("the trampoline runs once");
        // Never unwind through Ruby's C frames: carry the panic back out instead.
        call.out = Some(catch_unwind(AssertUnwindSafe(work)));
        std::ptr::null_mut()
    }
    let mut call = Call {
        work: Some(work),
        out: None,
    };
    // SAFETY: the trampoline matches the callback type and only touches `call`. No unblocking
    // function: operations are CPU-bound and finish on their own.
    unsafe {
        rb_sys::rb_thread_call_without_gvl(
            Some(trampoline::<F, R>),
            &mut call as *mut Call<F, R> as *mut c_void,
            None,
            std::ptr::null_mut(),
        );
    }
    match call
        .out
        .take()
        .expect("rb_thread_call_without_gvl ran the trampoline")
    {
        Ok(result) => result,
        Err(panic) => resume_unwind(panic),
    }
}
