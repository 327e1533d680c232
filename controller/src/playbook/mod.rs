//! Playbooks: parsing YAML into the typed [`model`], with every error located.

pub mod model;
