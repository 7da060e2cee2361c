//! Ruby glue for the tasker-batch core: conversion, panic boundary and GVL handling only.
//! Every rule lives in the core's operation table; this file adds none.
//!
//! `TaskerBatch::Native` (defined here) offers two ways into the same operations:
//!
//! - `call_json(op, json) -> envelope_json`: JSON text in, the C ABI's envelope text out.
//!   Lossless for every value, including integers beyond 64 bits.
//! - `call(op, object)` and `call_lazy(op, object)`: Ruby objects read in place, the output
//!   built as Ruby objects (or kept as a lazy `Document`).
//!
//! With the `bench-conversion` feature, a third, `call_value`, goes through serde_magnus
//! (`bench_conversion.rs`). Which path each Ruby method uses was decided by measurement
//! (`bench/ruby_bench.rb`, "three ways into the same operation").

#[cfg(feature = "bench-conversion")]
mod bench_conversion;
mod boundary;
mod context;
mod document;
mod interned;
mod members;
mod raw;
mod read;
mod refuse;
mod ruby_de;
mod ruby_ser;
mod step_parts;
mod write;

use magnus::rb_sys::{AsRawValue, FromRawValue};
use magnus::{function, prelude::*, Error, RArray, RHash, RString, Ruby, Symbol, Value};
use tasker_batch::operations::{self, Success};
use tasker_batch::{ErrorCode, MAX_NESTING};

use boundary::{guarded, maybe_without_gvl};

/// `Native.call_json(op, json)`: the envelope text for `op` applied to `json`.
fn call_json(ruby: &Ruby, op: Value, input: Value) -> Result<RString, Error> {
    guarded(ruby, "call_json", || {
        let op = match op_name(op) {
            Ok(op) => op,
            Err(e) => return Ok(ruby.str_new(&operations::error_envelope(&e))),
        };
        let Some(input) = RString::from_value(input) else {
            let e = tasker_batch::Error::new(
                tasker_batch::ErrorCode::TypeMismatch,
                "",
                format!(
                    "expected the JSON text as a String, found {}",
                    class_name(input)
                ),
            );
            return Ok(ruby.str_new(&operations::error_envelope(&e)));
        };
        // SAFETY: the bytes are copied before any other Ruby code can run.
        let bytes = unsafe { input.as_slice() }.to_vec();
        let envelope = match String::from_utf8(bytes) {
            Ok(text) => maybe_without_gvl(text.len(), || operations::call_envelope(&op, &text)),
            Err(e) => operations::error_envelope(&tasker_batch::Error::new(
                tasker_batch::ErrorCode::InvalidUtf8,
                "",
                format!(
                    "expected the input to be UTF-8, found an invalid byte at offset {}",
                    e.utf8_error().valid_up_to()
                ),
            )),
        };
        Ok(ruby.str_new(&envelope))
    })
}

/// `Native.call(op, object)`: `[true, value, warnings]` or `[false, error, warnings]`. The core
/// reads the Ruby objects in place (`ruby_de`, with the GC paused so that lent strings stay
/// put); the operation then runs without the GVL when its input was large, and its output is
/// built into Ruby objects directly (`write::from_json`).
fn call(ruby: &Ruby, op: Value, input: Value) -> Result<RArray, Error> {
    match op_name(op) {
        Ok(op) => call_operation(ruby, op, input, Output::Objects),
        Err(e) => failure(ruby, &e),
    }
}

/// `Native.call_lazy(op, object)`: like `call`, with the value as a
/// `TaskerBatch::Native::Document` that builds Ruby objects only for what is read.
fn call_lazy(ruby: &Ruby, op: Value, input: Value) -> Result<RArray, Error> {
    match op_name(op) {
        Ok(op) => call_operation(ruby, op, input, Output::Document),
        Err(e) => failure(ruby, &e),
    }
}

/// The operation's name as text, from a String (bytes that are not UTF-8 are replaced,
/// U+FFFD, so that such a name is an `unknown_operation` like any other unknown name, never an
/// `EncodingError`) or a Symbol; anything else is an `unknown_operation` naming its class. No
/// Ruby method is called (a String subclass's `to_s` is not).
fn op_name(op: Value) -> Result<String, tasker_batch::Error> {
    if let Some(op) = RString::from_value(op) {
        // SAFETY: the bytes are copied before any Ruby code runs.
        return Ok(String::from_utf8_lossy(unsafe { op.as_slice() }).into_owned());
    }
    if let Some(name) = Symbol::from_value(op).and_then(|symbol| symbol.name().ok()) {
        return Ok(name.into_owned());
    }
    Err(tasker_batch::Error::new(
        tasker_batch::ErrorCode::UnknownOperation,
        "",
        format!(
            "expected an operation name (a String or Symbol), found {}",
            class_name(op)
        ),
    ))
}

/// The name of a value's class, read without calling any Ruby method.
fn class_name(value: Value) -> String {
    // SAFETY: reading a class name runs no Ruby code.
    unsafe { value.classname() }.into_owned()
}

/// How an operation's output reaches Ruby.
#[derive(Clone, Copy)]
enum Output {
    Objects,
    Document,
}

fn call_operation(ruby: &Ruby, op: String, input: Value, output: Output) -> Result<RArray, Error> {
    guarded(ruby, "call", || {
        let per_step = PER_STEP_OPERATIONS.contains(&op.as_str());
        if per_step && matches!(output, Output::Objects) {
            // A small output, wanted whole: built straight from the typed value.
            if let Some(triple) = call_typed(ruby, &op, input, None) {
                return triple;
            }
        }
        let size = std::cell::Cell::new(0usize);
        let read = read_from_ruby(ruby, &op, input, &size, |de, track| {
            read_operation(&op, de, track)
        });
        let result = read.and_then(|pending| {
            maybe_without_gvl(weight(per_step, &size), || {
                operations::catching(&op, pending)
            })
        });
        match result {
            Ok(Success { value, warnings }) => {
                let value = match output {
                    Output::Objects => write::from_json(ruby, &value)?,
                    Output::Document => ruby.obj_wrap(document::Document::new(value)).as_value(),
                };
                success(ruby, value, &warnings)
            }
            Err(e) => failure(ruby, &e),
        }
    })
}

/// Runs a per-step operation on Ruby objects and builds its typed output into Ruby objects
/// directly (`ruby_ser`): the same objects `write::from_json` builds from its JSON text,
/// without writing and reading that text.
fn typed<I, O>(
    ruby: &Ruby,
    op: &str,
    input: Value,
    members: Option<&members::Members>,
    f: fn(I, &mut Vec<tasker_batch::Warning>) -> tasker_batch::Result<O>,
) -> Result<RArray, Error>
where
    I: serde::de::DeserializeOwned + Send + 'static,
    O: operations::Output + Send + 'static,
{
    let size = std::cell::Cell::new(0usize);
    let read = read_from_ruby(ruby, op, input, &size, |de, track| {
        operations::read_input_typed(de, f, track)
    });
    let result = read.and_then(|pending| {
        maybe_without_gvl(weight(true, &size), || operations::catching(op, pending))
    });
    match result {
        Ok((value, warnings)) => {
            let internal = |e: &dyn std::fmt::Display| {
                Error::new(
                    ruby.get_inner(&boundary::BATCH_ERROR),
                    format!("internal error in {op}: {e}"),
                )
            };
            let built = match members {
                None => ruby_ser::to_ruby(&value).map_err(|e| internal(&e))?,
                Some(members) => {
                    // The chosen members, then the whole output as a Document for the rest.
                    let built =
                        members::members_to_ruby(&value, members).map_err(|e| internal(&e))?;
                    let array = RArray::from_value(built)
                        .ok_or_else(|| internal(&"members are an Array"))?;
                    // Its text is written only if the Document is read.
                    array.push(document::Document::deferred(Box::new(move || {
                        value.into_json().map_err(|e| e.message)
                    })))?;
                    built
                }
            };
            success(ruby, built, &warnings)
        }
        Err(e) => failure(ruby, &e),
    }
}

/// Reads an operation's input from Ruby objects, with the GC paused (strings are lent):
/// without tracking paths first, and again with them only when that failed, to say where.
fn read_from_ruby<T>(
    ruby: &Ruby,
    op: &str,
    input: Value,
    size: &std::cell::Cell<usize>,
    read: impl Fn(ruby_de::RubyDeserializer<'_>, bool) -> tasker_batch::Result<T>,
) -> tasker_batch::Result<T> {
    read_with(
        op,
        || ruby_de::RubyDeserializer::new(ruby, input, size),
        || ruby_de::nests_deeper_than(input, MAX_NESTING),
        read,
    )
}

/// [`read_from_ruby`] for any of the extension's deserializers: `make` makes one, and
/// `too_deep` says whether the input nests deeper than the core reads.
fn read_with<D, T>(
    op: &str,
    make: impl Fn() -> D,
    too_deep: impl Fn() -> bool,
    read: impl Fn(D, bool) -> tasker_batch::Result<T>,
) -> tasker_batch::Result<T> {
    raw::with_gc_disabled(|| {
        operations::catching(op, || {
            read(make(), false).or_else(|_| {
                read(make(), true).map_err(|error| {
                    if error.code != ErrorCode::NestingTooDeep && too_deep() {
                        tasker_batch::Error::new(
                            ErrorCode::NestingTooDeep,
                            "",
                            tasker_batch::input::too_deep_message(),
                        )
                    } else {
                        error
                    }
                })
            })
        })
    })
}

/// How much work an operation is, to decide whether to give up the GVL around it.
fn weight(per_step: bool, size: &std::cell::Cell<usize>) -> usize {
    if per_step {
        size.get() * VALUE_BYTES
    } else {
        // Work that scales with a collection (ranges, workers, results) whatever the
        // input's size: a partition of a million ranges has a tiny input.
        usize::MAX
    }
}

/// `[true, value, warnings]`.
fn success(ruby: &Ruby, value: Value, warnings: &[tasker_batch::Warning]) -> Result<RArray, Error> {
    Ok(ok_triple(value, warning_list(ruby, warnings)?))
}

/// The Ruby warnings of a call: an Array of `{"code", "message", "path"}` Hashes.
fn warning_list(ruby: &Ruby, warnings: &[tasker_batch::Warning]) -> Result<RArray, Error> {
    let list = ruby.ary_new_capa(warnings.len());
    for w in warnings {
        list.push(error_hash(ruby, w.code.as_str(), &w.message, &w.path)?)?;
    }
    Ok(list)
}

/// `[true, value, list]`.
fn ok_triple(value: Value, list: RArray) -> RArray {
    // SAFETY: a fresh Array of three live values; `rb_ary_new_from_values` copies them in
    // and cannot raise.
    let triple = unsafe {
        let items = [
            rb_sys::Qtrue as rb_sys::VALUE,
            value.as_raw(),
            list.as_raw(),
        ];
        rb_sys::rb_ary_new_from_values(3, items.as_ptr())
    };
    RArray::from_value(unsafe { Value::from_raw(triple) }).expect("an Array")
}

/// `[false, error, []]`.
fn failure(ruby: &Ruby, e: &tasker_batch::Error) -> Result<RArray, Error> {
    let triple = ruby.ary_new_capa(3);
    triple.push(false)?;
    triple.push(error_hash(ruby, e.code.as_str(), &e.message, &e.path)?)?;
    triple.push(ruby.ary_new())?;
    Ok(triple)
}

/// `TaskerBatch::Native::Members.new(names)`: member names for [`call_members`], read from
/// Ruby once (a caller keeps them in a constant).
#[magnus::wrap(class = "TaskerBatch::Native::Members", free_immediately, size)]
struct MemberNames(members::Members);

fn member_names(names: Vec<String>) -> MemberNames {
    MemberNames(members::Members::new(names.iter().map(String::as_str)))
}

/// `Native.call_members(op, object, members)`: `[true, [value of each member..., document],
/// warnings]` or `[false, error, []]`, for a per-step operation whose output is an object. One
/// call answers the members a caller reads (as Ruby objects; `nil` for an absent one) and the
/// whole output as a `Document` for anything else, so that reading several members is not a
/// native call each.
fn call_members(
    ruby: &Ruby,
    op: Value,
    input: Value,
    members: &MemberNames,
) -> Result<RArray, Error> {
    let op = match op_name(op) {
        Ok(op) => op,
        Err(e) => return failure(ruby, &e),
    };
    guarded(ruby, "call_members", || {
        if !PER_STEP_OPERATIONS.contains(&op.as_str()) {
            return failure(
                ruby,
                &tasker_batch::Error::new(
                    ErrorCode::UnknownOperation,
                    "",
                    format!(
                        "call_members: expected one of {}, found {op:?}",
                        PER_STEP_OPERATIONS.join(", ")
                    ),
                ),
            );
        }
        // Every per-step operation is in the table.
        call_typed(ruby, &op, input, Some(&members.0))
            .unwrap_or_else(|| failure(ruby, &operations::unknown_operation(&op)))
    })
}

/// `Native.worker_context(class, step)`: a new `class` (BatchWorkerContext) with its members
/// set (see `context`); `[true, context, warnings]` when the core reported warnings (the
/// context holds them too); `[false, error, warnings]` for an error.
fn worker_context(ruby: &Ruby, class: magnus::RClass, input: Value) -> Result<Value, Error> {
    guarded(ruby, WORKER_CONTEXT, || {
        let size = std::cell::Cell::new(0usize);
        let read = read_from_ruby(ruby, WORKER_CONTEXT, input, &size, |de, track| {
            operations::read_input_typed(de, tasker_batch::worker_context::worker_context, track)
        });
        worker_context_from(ruby, class, read, &size)
    })
}

/// `Native.worker_context_step(class, step)`: `worker_context` of a Hash step, or of an object
/// step (an Object that responds to `inputs` and `results`, as upstream's WorkflowStepWrapper),
/// its parts asked for here and read without a Hash built for them (see `step_parts`); nil for
/// any other value, which the caller reads another way.
fn worker_context_step(ruby: &Ruby, class: magnus::RClass, step: Value) -> Result<Value, Error> {
    if RHash::from_value(step).is_some() {
        return worker_context(ruby, class, step);
    }
    guarded(ruby, WORKER_CONTEXT, || {
        match step_parts::StepParts::ask(ruby, step)? {
            Some(parts) => worker_context_of_parts(ruby, class, parts),
            None => Ok(ruby.qnil().as_value()),
        }
    })
}

/// `worker_context` of an object step's parts.
fn worker_context_of_parts(
    ruby: &Ruby,
    class: magnus::RClass,
    parts: step_parts::StepParts,
) -> Result<Value, Error> {
    let size = std::cell::Cell::new(0usize);
    let read = read_with(
        WORKER_CONTEXT,
        || parts.deserializer(ruby, &size),
        || parts.nests_deeper_than(MAX_NESTING),
        |de, track| {
            operations::read_input_typed(de, tasker_batch::worker_context::worker_context, track)
        },
    );
    worker_context_from(ruby, class, read, &size)
}

const WORKER_CONTEXT: &str = "worker_context";

/// Runs `worker_context` as read, and builds its context (or the failure triple).
fn worker_context_from(
    ruby: &Ruby,
    class: magnus::RClass,
    read: tasker_batch::Result<
        operations::PendingTyped<tasker_batch::worker_context::BatchWorkerContext>,
    >,
    size: &std::cell::Cell<usize>,
) -> Result<Value, Error> {
    let result = read.and_then(|pending| {
        maybe_without_gvl(weight(true, size), || {
            operations::catching(WORKER_CONTEXT, pending)
        })
    });
    match result {
        // Most contexts have no warnings: the context alone, its warnings nil.
        Ok((value, warnings)) if warnings.is_empty() => {
            context::build(ruby, class, value, ruby.qnil().as_value())
        }
        // The context holding its warnings, and the triple that has them reported.
        Ok((value, warnings)) => {
            let list = warning_list(ruby, &warnings)?;
            let context = context::build(ruby, class, value, list.as_value())?;
            Ok(ok_triple(context, list).as_value())
        }
        Err(e) => failure(ruby, &e).map(|triple| triple.as_value()),
    }
}

macro_rules! ruby_dispatch {
    ($($name:literal, $summary:literal, $f:path;)*) => {
        /// Reads the input of the operation `name` from Ruby objects: every operation of the
        /// core's list, instantiated for the Ruby deserializer.
        fn read_operation(
            name: &str,
            input: ruby_de::RubyDeserializer<'_>,
            track_paths: bool,
        ) -> tasker_batch::Result<operations::Pending> {
            match name {
                $($name => operations::read_input(input, $f, track_paths),)*
                _ => Err(operations::unknown_operation(name)),
            }
        }

        /// Runs the operation `name` through [`typed`]; `None` for an unknown name.
        fn call_typed(
            ruby: &Ruby,
            name: &str,
            input: Value,
            members: Option<&members::Members>,
        ) -> Option<Result<RArray, Error>> {
            match name {
                $($name => Some(typed(ruby, name, input, members, $f)),)*
                _ => None,
            }
        }
    };
}

tasker_batch::for_each_operation!(ruby_dispatch);

/// Operations on one step's data: their work is proportional to their input, so they keep the
/// GVL unless that input is large (giving it up costs more than a small call).
const PER_STEP_OPERATIONS: &[&str] = &[
    "validate_cursor_config",
    "validate_batch_metadata",
    "validate_worker_inputs",
    "worker_context",
    "update_step_results",
    "reset_for_retry",
];

/// A rough JSON size per Ruby value read, to compare inputs read in place with text inputs.
const VALUE_BYTES: usize = 16;

/// `{"code" => ..., "message" => ..., "path" => ...}`, the envelope's error and warning shape.
pub(crate) fn error_hash(
    ruby: &Ruby,
    code: &str,
    message: &str,
    path: &str,
) -> Result<RHash, Error> {
    let hash = ruby.hash_new();
    hash.aset("code", code)?;
    hash.aset("message", message)?;
    hash.aset("path", path)?;
    Ok(hash)
}

/// `Native.operations`: the names of every operation.
fn operation_names() -> Vec<&'static str> {
    operations::OPERATIONS.iter().map(|op| op.name).collect()
}

/// `Native.version`: the core's version.
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[magnus::init(name = "tasker_batch_native")]
fn init(ruby: &Ruby) -> Result<(), Error> {
    raw::intern_ids();
    context::intern_ids();
    step_parts::intern_keys();
    let top = ruby.define_module("TaskerBatch")?;
    let native = top.define_module("Native")?;
    native.define_module_function("call", function!(call, 2))?;
    native.define_module_function("call_lazy", function!(call_lazy, 2))?;
    native.define_module_function("call_members", function!(call_members, 3))?;
    native.define_module_function("worker_context", function!(worker_context, 2))?;
    native.define_module_function("worker_context_step", function!(worker_context_step, 2))?;
    let members = native.define_class("Members", ruby.class_object())?;
    members.define_singleton_method("new", function!(member_names, 1))?;
    document::define(ruby, native)?;
    native.define_module_function("call_json", function!(call_json, 2))?;
    #[cfg(feature = "bench-conversion")]
    native.define_module_function("call_value", function!(bench_conversion::call_value, 2))?;
    native.define_module_function("operations", function!(operation_names, 0))?;
    native.define_module_function("version", function!(version, 0))?;
    // The results keys a checkpoint lives in: the only ones a worker context needs to read.
    native.const_set(
        "CHECKPOINT_KEYS",
        ruby.ary_from_iter(tasker_batch::worker_context::CHECKPOINT_KEYS),
    )?;
    Ok(())
}
