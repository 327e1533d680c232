//! Tests for `catalogue` (unit tests in temp dirs; see the module under test for what it owns).
//! Keeps the agent's typed arguments and the protocol's module catalogue in step: every
//! option the controller may send must be a field, and every field must be in the catalogue
//! (or be internal, starting with `_`).

use super::*;
use play_protocol::modules::{RunsOn, MODULES};
use serde::de::{self, Deserializer, Visitor};

/// A deserializer that records the field names a struct asks for, then stops.
struct Grab(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut Grab {
    type Error = de::value::Error;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("fields recorded"))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut g = Grab(None);
    let _ = T::deserialize(&mut g);
    g.0.expect("module arguments are a plain struct")
}

/// The argument fields of each module `dispatch` knows.
fn agent_fields(module: &str) -> Option<&'static [&'static str]> {
    Some(match module {
        "ping" => fields::<ping::Args>(),
        "setup" => fields::<setup::Args>(),
        "command" | "shell" => fields::<command::Args>(),
        "copy" => fields::<copy::Args>(),
        "file" => fields::<file::Args>(),
        "lineinfile" => fields::<lineinfile::Args>(),
        "stat" => fields::<stat::Args>(),
        "apt" => fields::<apt::Args>(),
        "package" => fields::<package::Args>(),
        "service" => fields::<service::Args>(),
        "systemd" => fields::<systemd::Args>(),
        "user" => fields::<user::Args>(),
        "group" => fields::<group::Args>(),
        "wait_for" => fields::<wait_for::Args>(),
        "uri" => fields::<uri::Args>(),
        "docker_image" => fields::<docker_image::Args>(),
        "docker_image_pull" => fields::<docker_image_pull::Args>(),
        "docker_login" => fields::<docker_login::Args>(),
        "docker_container" => fields::<docker_container::Args>(),
        "release" => fields::<release::Args>(),
        "release_history" => fields::<release_history::Args>(),
        _ => return None,
    })
}

#[test]
fn agent_modules_match_the_catalogue() {
    for spec in MODULES {
        let target = match spec.runs_on {
            RunsOn::Agent => spec.name,
            RunsOn::ControllerThenAgent { agent_module } => agent_module,
            RunsOn::Controller => continue,
        };
        let fields = agent_fields(target)
            .unwrap_or_else(|| panic!("{} runs on the agent but dispatch has no arm", spec.name));
        for option in spec.options {
            let is_alias = spec.aliases.iter().any(|(alias, _)| alias == option);
            assert!(
                is_alias || fields.contains(option),
                "{}: catalogue option '{option}' is not a field of {target}'s arguments",
                spec.name
            );
        }
        if target == spec.name {
            for field in fields {
                assert!(
                    field.starts_with('_') || spec.options.contains(field),
                    "{}: field '{field}' is missing from the catalogue",
                    spec.name
                );
            }
        }
    }
}

#[test]
fn unknown_module_and_bad_option_fail_clearly() {
    let cancel = AtomicBool::new(false);
    let call: ModuleCall = serde_json::from_value(serde_json::json!({
        "module": "cpy", "args": {}
    }))
    .unwrap();
    let r = dispatch(&call, &cancel);
    assert!(r.failed && r.msg.unwrap().contains("unknown module 'cpy'"));
    let call: ModuleCall = serde_json::from_value(serde_json::json!({
        "module": "stat", "args": {"path": "/", "folow": true}
    }))
    .unwrap();
    let msg = dispatch(&call, &cancel).msg.unwrap();
    assert!(
        msg.contains("stat: invalid arguments") && msg.contains("folow"),
        "{msg}"
    );
}
