//! YAML read into a tree that remembers where every value came from.
//!
//! Playbooks, inventories and vars files are all read through here, so every later error can
//! say file:line:column. Scalars are resolved the way Ansible resolves them (YAML 1.1: `yes`,
//! `no`, `on`, `off` are booleans when unquoted), anchors and aliases are expanded, `<<` merge
//! keys are applied, and `!vault` / `!unsafe` tags are kept as their own kinds.

mod node;
mod parse;

pub use node::{Location, Node, NodeKind};
pub use parse::{parse_file, parse_str, YamlError};
