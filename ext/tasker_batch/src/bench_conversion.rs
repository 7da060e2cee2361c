//! `TaskerBatch::Native.call_value`, through serde_magnus: only built with the
//! `bench-conversion` feature, for the benchmark that compares it with the paths the gem uses
//! (`bench/ruby_bench.rb`). Not part of the gem's API.

use magnus::value::ReprValue;
use magnus::{Error, Ruby, Value};
use tasker_batch::operations::{self, Success};

use crate::boundary::{guarded, maybe_without_gvl};

/// `Native.call_value(op, object)`: `[true, value, warnings]`, `[false, error, []]`, or `nil`
/// when serde_magnus cannot carry a value exactly (use `call_json` then).
pub(crate) fn call_value(ruby: &Ruby, op: String, input: Value) -> Result<Value, Error> {
    guarded(ruby, "call_value", || {
        let Ok(input) = serde_magnus::deserialize::<_, serde_json::Value>(ruby, input) else {
            return Ok(ruby.qnil().as_value());
        };
        let text = serde_json::to_string(&input).expect("a JSON value serializes");
        let result = maybe_without_gvl(text.len(), || operations::call_catching(&op, &text));
        let triple = ruby.ary_new_capa(3);
        match result {
            Ok(Success { value, warnings }) => {
                let Some(value) = exact_value(&value) else {
                    return Ok(ruby.qnil().as_value());
                };
                triple.push(true)?;
                triple.push(serde_magnus::serialize::<_, Value>(ruby, &value)?)?;
                triple.push(serde_magnus::serialize::<_, Value>(ruby, &warnings)?)?;
            }
            Err(error) => {
                triple.push(false)?;
                triple.push(serde_magnus::serialize::<_, Value>(ruby, &error)?)?;
                triple.push(ruby.ary_new())?;
            }
        }
        Ok(triple.as_value())
    })
}

/// The output as a `serde_json::Value`, unless it holds an integer that a Value (and so
/// serde_magnus) would turn into a float.
fn exact_value(text: &str) -> Option<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    fn exact(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(n) => {
                n.is_i64()
                    || n.is_u64()
                    || n.as_f64()
                        .is_some_and(|f| f.fract() != 0.0 || f.abs() < 9.0e15)
            }
            serde_json::Value::Array(items) => items.iter().all(exact),
            serde_json::Value::Object(map) => map.values().all(exact),
            _ => true,
        }
    }
    exact(&value).then_some(value)
}
