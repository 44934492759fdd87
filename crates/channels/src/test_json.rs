//! Test-only proptest strategies for JSON: arbitrary values biased towards a parser's own keys.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value a few levels deep; object keys and strings are often taken from `words`, so
/// the generated documents reach past a parser's first checks.
pub(crate) fn arb_json(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z_]{0,12}".prop_map(Value::String),
        prop::sample::select(words).prop_map(|w| Value::String(w.to_owned())),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z_]{1,10}",
                    prop::sample::select(words).prop_map(str::to_owned),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the node at position `pick` (pre-order) of `v` with `replacement`, if there is one.
pub(crate) fn graft(v: &mut Value, pick: usize, replacement: Value) {
    fn walk(v: &mut Value, pick: &mut usize, replacement: &mut Option<Value>) {
        if replacement.is_none() {
            return;
        }
        if *pick == 0 {
            *v = replacement.take().unwrap();
            return;
        }
        *pick -= 1;
        match v {
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, pick, replacement)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, pick, replacement)),
            _ => {}
        }
    }
    let mut pick = pick;
    walk(v, &mut pick, &mut Some(replacement));
}
