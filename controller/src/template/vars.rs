//! Variables prepared for templating, cheap to build from large shared data.
//!
//! Converting a host's whole vars (with `hostvars` holding every host's facts) into minijinja
//! values costs time proportional to their size on every render. [`Vars::shared`] instead
//! wraps an `Arc<serde_json::Value>` and converts only what a template touches, and
//! [`Vars::overlay`] / [`Vars::with_var`] stack layers (host vars, then task vars, then the
//! loop item) without copying any of them.

use super::native;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::Value;
use serde_json::Value as Json;
use std::collections::HashSet;
use std::sync::Arc;

/// A templating context. Clones are cheap (reference counted).
#[derive(Debug, Clone)]
pub struct Vars(pub(super) Value);

impl Vars {
    /// Converts `json` (an object) eagerly; fine for small vars.
    pub fn from_json(json: &Json) -> Vars {
        Vars(native::to_value(json))
    }

    /// Wraps shared JSON without copying; values are converted when a template reads them.
    pub fn shared(json: Arc<Json>) -> Vars {
        Vars(lazy_node(json, Vec::new()))
    }

    /// `top`'s variables shadow this one's.
    pub fn overlay(&self, top: &Vars) -> Vars {
        let mut layers = layers_of(&self.0);
        layers.extend(layers_of(&top.0));
        Vars(Value::from_object(Layers(layers)))
    }

    /// Sets (or shadows) one variable.
    pub fn with_var(&self, name: &str, value: &Vars) -> Vars {
        self.overlay(&Vars(Value::from_pairs([(name, value.0.clone())])))
    }
}

fn layers_of(v: &Value) -> Vec<Value> {
    match v.downcast_object_ref::<Layers>() {
        Some(layers) => layers.0.clone(),
        None => vec![v.clone()],
    }
}

/// Stacked maps, the last one winning; keys keep first-seen order.
#[derive(Debug)]
struct Layers(Vec<Value>);

impl Object for Layers {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0
            .iter()
            .rev()
            .filter_map(|layer| layer.get_item(key).ok())
            .find(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut seen = HashSet::new();
        let keys: Vec<Value> = self
            .0
            .iter()
            .filter_map(|layer| layer.try_iter().ok())
            .flatten()
            .filter(|k| seen.insert(k.clone()))
            .collect();
        Enumerator::Iter(Box::new(keys.into_iter()))
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// A list or object inside shared JSON, addressed by its path from the root.
#[derive(Debug)]
struct LazyJson {
    root: Arc<Json>,
    path: Vec<Step>,
}

fn lazy_node(root: Arc<Json>, path: Vec<Step>) -> Value {
    Value::from_object(LazyJson { root, path })
}

impl LazyJson {
    fn node(&self) -> &Json {
        let mut node = &*self.root;
        for step in &self.path {
            node = match (step, node) {
                (Step::Key(k), Json::Object(m)) => &m[k.as_str()],
                (Step::Index(i), Json::Array(a)) => &a[*i],
                _ => unreachable!("paths are built from existing children"),
            };
        }
        node
    }

    fn child(&self, step: Step, child: &Json) -> Value {
        match child {
            Json::Object(_) | Json::Array(_) => {
                let mut path = self.path.clone();
                path.push(step);
                lazy_node(self.root.clone(), path)
            }
            scalar => native::to_value(scalar),
        }
    }
}

impl Object for LazyJson {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.node() {
            Json::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.node() {
            Json::Object(map) => {
                let k = key.as_str()?;
                map.get(k).map(|v| self.child(Step::Key(k.to_string()), v))
            }
            Json::Array(items) => {
                let i = key.as_i64()?;
                let i = if i < 0 { items.len() as i64 + i } else { i };
                let i = usize::try_from(i).ok()?;
                items.get(i).map(|v| self.child(Step::Index(i), v))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Json::Object(map) => Enumerator::Iter(Box::new(
                map.keys()
                    .map(|k| Value::from(k.as_str()))
                    .collect::<Vec<_>>()
                    .into_iter(),
            )),
            Json::Array(items) => Enumerator::Seq(items.len()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Json::Object(map) => Some(map.len()),
            Json::Array(items) => Some(items.len()),
            _ => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shared_json_reads_like_converted_json() {
        let data = json!({"a": {"b": [1, {"c": "x"}]}, "e": [], "m": {}});
        let lazy = Vars::shared(Arc::new(data.clone()));
        assert_eq!(native::to_json(&lazy.0).unwrap(), data);
        let b = lazy.0.get_attr("a").unwrap().get_attr("b").unwrap();
        assert_eq!(
            b.get_item(&Value::from(-1))
                .unwrap()
                .get_attr("c")
                .unwrap()
                .as_str(),
            Some("x")
        );
        assert_eq!(
            b,
            Value::from_iter([Value::from(1), Value::from_pairs([("c", "x")])])
        );
        assert!(!lazy.0.get_attr("e").unwrap().is_true());
        assert!(lazy.0.get_attr("nope").unwrap().is_undefined());
    }

    #[test]
    fn overlays_shadow_lower_layers() {
        let base = Vars::from_json(&json!({"a": 1, "b": 1}));
        let top = Vars::shared(Arc::new(json!({"b": 2, "c": 2})));
        let v = base
            .overlay(&top)
            .with_var("d", &Vars::from_json(&json!([3])));
        assert_eq!(
            native::to_json(&v.0).unwrap(),
            json!({"a": 1, "b": 2, "c": 2, "d": [3]})
        );
        // Overlays flatten instead of nesting.
        assert_eq!(v.0.downcast_object_ref::<Layers>().unwrap().0.len(), 3);
    }
}
