//! The `google.cloud.gcp_compute` config, as Ansible's plugin reads it, plus play's extras.
//!
//! ```yaml
//! plugin: google.cloud.gcp_compute
//! projects: [my-project]
//! zones: [europe-west1-b]                  # optional: all zones otherwise
//! filters: [status = RUNNING, labels.env = prod]   # ANDed, passed to the API's `filter`
//! auth_kind: serviceaccount                 # application | machineaccount | accesstoken
//! service_account_file: ~/keys/inventory.json
//! hostnames: [name]                         # public_ip, private_ip, name, hostname, labels.KEY
//! keyed_groups: [{key: labels.role, prefix: role}]
//! bastion: {label: role=bastion, user: play}   # play extra
//! cache: true                               # play extra: cache_timeout, cache_connection
//! endpoint: https://compute.private.example/compute/v1   # play extra, or PLAY_GCP_COMPUTE_ENDPOINT
//! ```
//! Options keep Ansible's environment fallbacks (`GCP_AUTH_KIND`, `GCP_SERVICE_ACCOUNT_FILE`,
//! `GCP_SERVICE_ACCOUNT_CONTENTS`, `GCP_ACCESS_TOKEN`, `GCP_SCOPES`).

use crate::inventory::dynamic::config::Common;
use crate::inventory::dynamic::config::{ConfigFile, Located, Section, COMMON_KEYS};
use crate::inventory::InventoryError;
use crate::yaml::{Location, NodeKind};
use serde_json::{json, Value};
use std::path::PathBuf;

pub(crate) const DEFAULT_ENDPOINT: &str = "https://compute.googleapis.com/compute/v1";
pub(crate) const ENDPOINT_ENV: &str = "PLAY_GCP_COMPUTE_ENDPOINT";
/// Listing needs only read access; Ansible's default (`.../auth/compute`) asks for more.
const DEFAULT_SCOPE: &str = "https://www.googleapis.com/auth/compute.readonly";

const GCP_KEYS: &[&str] = &[
    "projects",
    "zones",
    "filters",
    "hostnames",
    "name_suffix",
    "auth_kind",
    "scopes",
    "service_account_file",
    "service_account_contents",
    "service_account_email",
    "access_token",
    "vars_prefix",
    "folders",
    "retrieve_image_info",
    "endpoint",
];

const HOSTNAMES: &[&str] = &["public_ip", "private_ip", "name", "hostname"];

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AuthKind {
    ServiceAccount,
    Application,
    MachineAccount,
    AccessToken,
}

/// How to get a token.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    pub kind: AuthKind,
    /// Where the kind came from (`auth_kind` in the file, or `GCP_AUTH_KIND`), for errors.
    pub kind_from: String,
    pub service_account_file: Option<PathBuf>,
    /// The service-account JSON itself (`service_account_contents`); never logged.
    pub service_account_contents: Option<String>,
    pub access_token: Option<String>,
    pub scopes: Vec<String>,
}

pub(crate) struct GcpConfig {
    pub common: Common,
    pub projects: Vec<Located<String>>,
    pub zones: Vec<String>,
    /// The `filter` query parameter built from `filters:`, and where they were written.
    pub filter: Option<Located<String>>,
    pub hostnames: Vec<String>,
    pub name_suffix: String,
    pub auth: Auth,
    /// Base URL up to `/compute/v1` (no trailing slash), and where it came from.
    pub endpoint: String,
    pub endpoint_from: String,
    pub root: Location,
}

impl GcpConfig {
    pub fn read(file: &ConfigFile) -> Result<GcpConfig, InventoryError> {
        let s = file.section();
        s.check_keys(&[COMMON_KEYS, GCP_KEYS], "the gcp_compute plugin")?;
        s.reject_unless_default(
            "vars_prefix",
            &NodeKind::String(String::new()),
            "play does not prefix host facts; use `compose:` to name the variables you need",
        )?;
        s.reject_unless_default(
            "retrieve_image_info",
            &NodeKind::Bool(false),
            "play does not look up boot images; the `image` fact stays null",
        )?;
        if let Some((_, node)) = s.get("folders") {
            return Err(InventoryError::invalid(
                &node.loc,
                "`folders` is not supported by play: list the projects under `projects:`",
            ));
        }
        if let Some((_, node)) = s.get("service_account_email") {
            return Err(InventoryError::invalid(
                &node.loc,
                "`service_account_email` is not supported by play: machineaccount uses the VM's \
                 default service account",
            ));
        }
        let filters = s.strings("filters")?;
        let hostnames = read_hostnames(&s)?;
        let (endpoint, endpoint_from) = match s.string("endpoint")? {
            Some(e) => (e.value, format!("`endpoint` at {}", e.loc)),
            None => match std::env::var(ENDPOINT_ENV).ok().filter(|v| !v.is_empty()) {
                Some(e) => (e, ENDPOINT_ENV.to_string()),
                None => (DEFAULT_ENDPOINT.to_string(), "the default endpoint".into()),
            },
        };
        let endpoint = endpoint.trim_end_matches('/').to_string();
        if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(InventoryError::Dynamic {
                name: file.path.display().to_string(),
                message: format!(
                    "the GCE endpoint from {endpoint_from} must be an http(s) URL such as \
                     {DEFAULT_ENDPOINT}, got '{endpoint}'"
                ),
            });
        }
        Ok(GcpConfig {
            common: Common::read(file)?,
            projects: s.strings("projects")?,
            zones: s.strings("zones")?.into_iter().map(|z| z.value).collect(),
            filter: query_of(&filters),
            hostnames,
            name_suffix: s
                .string("name_suffix")?
                .map(|l| l.value)
                .unwrap_or_default(),
            auth: read_auth(file, &s)?,
            endpoint,
            endpoint_from,
            root: s.loc.clone(),
        })
    }

    /// What changes the API's answer: the cache key's input.
    pub fn cache_settings(&self) -> Value {
        json!({
            "projects": self.projects.iter().map(|p| &p.value).collect::<Vec<_>>(),
            "zones": self.zones,
            "filter": self.filter.as_ref().map(|f| &f.value),
            "endpoint": self.endpoint,
        })
    }
}

/// Ansible's `_get_query_options`: one filter as is; several each in parentheses, which GCE
/// ANDs.
fn query_of(filters: &[Located<String>]) -> Option<Located<String>> {
    let first = filters.first()?;
    let value = if filters.len() == 1 {
        first.value.clone()
    } else {
        filters
            .iter()
            .map(|f| {
                let t = f.value.trim();
                if t.starts_with('(') || t.ends_with(')') {
                    t.to_string()
                } else {
                    format!("({t})")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(Located {
        value,
        loc: first.loc.clone(),
    })
}

fn read_hostnames(s: &Section<'_>) -> Result<Vec<String>, InventoryError> {
    let list = s.strings("hostnames")?;
    if list.is_empty() {
        return Ok(["public_ip", "private_ip", "name"]
            .map(String::from)
            .to_vec());
    }
    list.into_iter()
        .map(|h| {
            if HOSTNAMES.contains(&h.value.as_str()) || h.value.starts_with("labels.") {
                Ok(h.value)
            } else {
                Err(InventoryError::invalid(
                    &h.loc,
                    format!(
                        "'{}' is not a gcp_compute hostname source; use public_ip, private_ip, \
                         name, hostname or labels.KEY",
                        h.value
                    ),
                ))
            }
        })
        .collect()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn read_auth(file: &ConfigFile, s: &Section<'_>) -> Result<Auth, InventoryError> {
    let sa_file = match s.string("service_account_file")? {
        Some(p) => Some(file.resolve_path(&p.value)),
        None => env("GCP_SERVICE_ACCOUNT_FILE")
            .or_else(|| env("GCE_CREDENTIALS_FILE_PATH"))
            .map(PathBuf::from),
    };
    let sa_contents = match s.string("service_account_contents")? {
        Some(c) => Some(c.value),
        None => env("GCP_SERVICE_ACCOUNT_CONTENTS"),
    };
    let access_token = match s.string("access_token")? {
        Some(t) => Some(t.value),
        None => env("GCP_ACCESS_TOKEN"),
    };
    let scopes = match s.strings("scopes")? {
        list if !list.is_empty() => list.into_iter().map(|l| l.value).collect(),
        _ => match env("GCP_SCOPES") {
            Some(v) => v.split(',').map(|x| x.trim().to_string()).collect(),
            None => vec![DEFAULT_SCOPE.to_string()],
        },
    };
    let (kind_text, kind_from, kind_loc) = match s.string("auth_kind")? {
        Some(k) => (
            Some(k.value),
            format!("`auth_kind` at {}", k.loc),
            Some(k.loc),
        ),
        None => (env("GCP_AUTH_KIND"), "GCP_AUTH_KIND".to_string(), None),
    };
    let kind = match kind_text.as_deref() {
        Some("serviceaccount") => AuthKind::ServiceAccount,
        Some("application") => AuthKind::Application,
        Some("machineaccount") => AuthKind::MachineAccount,
        Some("accesstoken") => AuthKind::AccessToken,
        Some(other) => {
            let message = format!(
                "auth_kind '{other}' is not one of serviceaccount, application, machineaccount, \
                 accesstoken"
            );
            return Err(match kind_loc {
                Some(loc) => InventoryError::invalid(&loc, message),
                None => InventoryError::Dynamic {
                    name: file.path.display().to_string(),
                    message: format!("GCP_AUTH_KIND: {message}"),
                },
            });
        }
        // Ansible requires auth_kind; play picks the obvious one from what is given.
        None if sa_file.is_some() || sa_contents.is_some() => AuthKind::ServiceAccount,
        None if access_token.is_some() => AuthKind::AccessToken,
        None => AuthKind::Application,
    };
    let kind_from = if kind_text.is_some() {
        kind_from
    } else {
        "the default (no auth_kind given)".to_string()
    };
    Ok(Auth {
        kind,
        kind_from,
        service_account_file: sa_file,
        service_account_contents: sa_contents,
        access_token,
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<GcpConfig, InventoryError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gcp.yml");
        std::fs::write(&path, text).unwrap();
        GcpConfig::read(&ConfigFile::read(&path).unwrap())
    }

    #[test]
    fn filters_are_anded_the_way_ansible_builds_the_query() {
        let c = read("plugin: gcp_compute\nprojects: [p]\nfilters:\n  - status = RUNNING\n  - (labels.env = prod)\n")
            .unwrap();
        assert_eq!(
            c.filter.unwrap().value,
            "(status = RUNNING) (labels.env = prod)"
        );
        let c = read("plugin: gcp_compute\nprojects: [p]\nfilters: [status = RUNNING]\n").unwrap();
        assert_eq!(c.filter.unwrap().value, "status = RUNNING");
    }

    #[test]
    fn auth_kind_defaults_from_what_is_given() {
        let c =
            read("plugin: gcp_compute\nprojects: [p]\nservice_account_file: sa.json\n").unwrap();
        assert_eq!(c.auth.kind, AuthKind::ServiceAccount);
        assert!(c.auth.service_account_file.unwrap().ends_with("sa.json"));
        assert_eq!(c.auth.scopes, [DEFAULT_SCOPE]);
        let err = read("plugin: gcp_compute\nauth_kind: serviceacount\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("gcp.yml:2:12") && err.contains("not one of serviceaccount"),
            "{err}"
        );
    }

    #[test]
    fn the_example_config_reads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/gcp.yml");
        let c = GcpConfig::read(&ConfigFile::read(&path).unwrap()).unwrap();
        assert_eq!(c.projects[0].value, "my-project");
        assert_eq!(
            c.filter.unwrap().value,
            "(status = RUNNING) (labels.env = prod)"
        );
        assert_eq!(c.hostnames, ["name"]);
        assert!(c.common.cache.enabled);
        assert!(c.common.bastion.is_some());
        assert_eq!(c.common.constructed.keyed_groups.len(), 4);
    }

    #[test]
    fn bad_hostnames_and_unsupported_options_point_at_the_file() {
        let err = read("plugin: gcp_compute\nhostnames: [name, ip]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("gcp.yml:2:19") && err.contains("'ip' is not"),
            "{err}"
        );
        let err = read("plugin: gcp_compute\nvars_prefix: gcp_\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("gcp.yml:2:14"), "{err}");
        let err = read("plugin: gcp_compute\nendpoint: compute.example\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("must be an http(s) URL"), "{err}");
    }
}
