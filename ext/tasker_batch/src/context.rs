//! A worker's context as a plain Ruby object (`Native.worker_context`): an instance of
//! `TaskerCore::BatchProcessing::BatchWorkerContext` whose instance variables are set here,
//! once, from the core's typed `BatchWorkerContext`, so that the accessors a worker calls are
//! `attr_reader`s (pure Ruby, no native call each).
//!
//! Only conversion: every value comes from the core's context (its fields and its
//! `resume_cursor`, `batch_size` and `checkpoint_items_processed`); of the cursor and the
//! metadata (read less often, and made of those members), only whether `batch_size` was stored
//! and the caller's extra keys, if any, are passed on. Nothing of the core's context outlives
//! the call: keeping it for later reads (a lazy Document) cost more, when the GC freed it, than
//! the whole read.
//!
//! Names from a fixed set (the cursor kind, the failure strategy) are frozen, shared Strings,
//! like Hash keys; the caller's own strings (batch id, cursor field) are fresh ones.
//!
//! Depends on `interned`, `ruby_ser` and `write`. The GC invariant is `ruby_ser`'s: every
//! object built is held in a local of the running frame (`members`) until the context holds
//! it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{Error, RClass, Ruby, Value};
use rb_sys::{ID, VALUE};
use tasker_batch::cursor::{Cursor, CursorKind};
use tasker_batch::worker_context::{BatchWorkerContext, CheckpointKind};
use tasker_batch::worker_inputs::FailureStrategy;

use crate::{interned, ruby_ser, write};

/// The private method of the context that sets its members from its arguments (in the order
/// of [`build`]): instance variables set in Ruby, where each assignment is cached, cost less
/// than `rb_ivar_set`'s lookup of each name.
const SET_MEMBERS: &str = "initialize_members";

static SET_MEMBERS_ID: OnceLock<ID> = OnceLock::new();

/// Interns the method name; called by the extension's `init`.
pub fn intern_ids() {
    SET_MEMBERS_ID.get_or_init(|| {
        // SAFETY: `rb_intern2` with a name and its length, while the extension loads.
        unsafe { rb_sys::rb_intern2(SET_MEMBERS.as_ptr().cast(), SET_MEMBERS.len() as _) }
    });
}

/// A new instance of `class` (BatchWorkerContext or a subclass) holding `context`, with the
/// warnings the core reported (an Array of Hashes, built by the caller; nil when there are
/// none, which the context reads as an empty Array).
pub fn build(
    ruby: &Ruby,
    class: RClass,
    context: BatchWorkerContext,
    warnings: Value,
) -> Result<Value, Error> {
    let set_members = *SET_MEMBERS_ID
        .get()
        .expect("intern_ids ran when the extension loaded");
    let internal = |e: &dyn std::fmt::Display| {
        Error::new(
            ruby.get_inner(&crate::boundary::BATCH_ERROR),
            format!("internal error in worker_context: {e}"),
        )
    };
    // Every value is held in `members`, on this frame's stack, where Ruby's GC sees it (see
    // the module documentation) until the object holds it.
    let batch_size = match context.batch_size() {
        Some(size) => ruby_ser::to_raw(&size).map_err(|e| internal(&e))?,
        None => rb_sys::Qnil as VALUE,
    };
    // The checkpoint Hash is made of members when read (its cursor is `resume_cursor`): its kind
    // (nil without a checkpoint) and its accumulated results are passed on.
    let (checkpoint_kind, accumulated_results) = match &context.checkpoint {
        Some(checkpoint) => (
            match checkpoint.cursor_kind {
                CheckpointKind::Key(kind) => name(Name::Kind(kind)),
                CheckpointKind::Opaque => name(Name::Opaque),
            },
            raw_value(checkpoint.accumulated_results.get()),
        ),
        None => (rb_sys::Qnil as VALUE, rb_sys::Qnil as VALUE),
    };
    let mut members: [VALUE; 17] = [
        string(&context.cursor.batch_id),
        cursor(&context.cursor.start_cursor),
        cursor(&context.cursor.end_cursor),
        batch_size,
        // Names from a fixed set: frozen, like the keys.
        name(Name::Kind(context.range.kind)),
        // The frozen, shared key: the context makes its own String of it when read (most
        // workers never read it).
        interned::key(&context.batch_metadata.cursor_field),
        name(Name::Strategy(
            context.batch_metadata.failure_strategy.strategy,
        )),
        cursor(context.resume_cursor()),
        checkpoint_kind,
        // SAFETY: plain conversion.
        unsafe { rb_sys::rb_ull2inum(context.checkpoint_items_processed()) },
        boolean(context.is_no_op),
        boolean(context.checkpoint.is_some()),
        warnings.as_raw(),
        boolean(context.cursor.batch_size.is_some()),
        rb_sys::Qnil as VALUE,
        rb_sys::Qnil as VALUE,
        accumulated_results,
    ];
    // What else `cursor` and `batch_metadata` hold: the caller's keys, if any (most have none).
    if !context.cursor.extra.is_empty() {
        members[14] = ruby_ser::to_raw(&context.cursor.extra).map_err(|e| internal(&e))?;
    }
    if !context.batch_metadata.extra.is_empty() {
        members[15] = ruby_ser::to_raw(&context.batch_metadata.extra).map_err(|e| internal(&e))?;
    }
    // SAFETY: a fresh object of a plain Ruby class (allocation runs no Ruby code); the call
    // runs the class's own Ruby method, protected, so that nothing unwinds through this frame.
    let object = magnus::rb_sys::protect(|| unsafe {
        let object = rb_sys::rb_obj_alloc(class.as_raw());
        rb_sys::rb_funcallv(object, set_members, members.len() as _, members.as_ptr());
        object
    })?;
    std::hint::black_box(&members);
    // SAFETY: a live object.
    Ok(unsafe { Value::from_raw(object) })
}

/// A name from a fixed set, as a frozen String.
#[derive(Clone, Copy)]
enum Name {
    Kind(CursorKind),
    Strategy(FailureStrategy),
    Opaque,
}

/// The frozen String of each name, made the first time it is needed (0: not yet).
static NAMES: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];

fn name(name: Name) -> VALUE {
    let (slot, text) = match name {
        Name::Kind(kind) => (kind as usize, kind.as_str()),
        Name::Strategy(strategy) => (16 + strategy as usize, strategy.as_str()),
        Name::Opaque => (31, "opaque"),
    };
    let cell = &NAMES[slot];
    match cell.load(Ordering::Relaxed) {
        0 => {
            let value = interned::permanent(text);
            cell.store(value as usize, Ordering::Relaxed);
            value
        }
        value => value as VALUE,
    }
}

fn string(text: &str) -> VALUE {
    // SAFETY: a fresh String from valid UTF-8.
    unsafe { rb_sys::rb_utf8_str_new(text.as_ptr().cast(), text.len() as _) }
}

fn boolean(value: bool) -> VALUE {
    if value {
        rb_sys::Qtrue as VALUE
    } else {
        rb_sys::Qfalse as VALUE
    }
}

/// A cursor's Ruby value.
fn cursor(cursor: &Cursor) -> VALUE {
    raw_value(cursor.json())
}

/// The Ruby value of JSON text the core kept exactly: an Integer straight from its digits,
/// `nil` for `null`, anything else the objects `write::from_json` builds.
fn raw_value(text: &str) -> VALUE {
    if text == "null" {
        return rb_sys::Qnil as VALUE;
    }
    if text.len() <= 18 {
        if let Ok(n) = text.parse::<i64>() {
            // SAFETY: plain conversion.
            return unsafe { rb_sys::rb_ll2inum(n) };
        }
    }
    write::from_json_raw(text)
}
