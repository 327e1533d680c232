//! The gcp_compute plugin against a local server speaking the two real protocols: OAuth2's
//! token endpoint (JWT bearer grant; the JWT's RS256 signature is checked with `openssl`
//! against the key the test generated) and GCE's `instances.aggregatedList` (two pages, zones
//! scoped as `zones/<zone>`, a warning-only zone, Google's error bodies).

use crate::check;
use crate::support::{play, rs256_verifies, rsa_key, scratch, write, Request, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use play::inventory::Inventory;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const TOKEN: &str = "test-access-token";
const EMAIL: &str = "inventory@fleet-project.iam.gserviceaccount.com";
const FILTER: &str = "(status = RUNNING) (labels.env = prod)";

pub(crate) fn instance(
    name: &str,
    zone: &str,
    ip: &str,
    nat: Option<&str>,
    labels: Value,
) -> Value {
    let base = "https://www.googleapis.com/compute/v1/projects/fleet-project";
    let mut nic = json!({
        "network": format!("{base}/global/networks/fleet"),
        "subnetwork": format!("{base}/regions/europe-west1/subnetworks/fleet-private"),
        "networkIP": ip,
        "name": "nic0",
    });
    if let Some(nat) = nat {
        nic["accessConfigs"] =
            json!([{"type": "ONE_TO_ONE_NAT", "name": "External NAT", "natIP": nat}]);
    }
    json!({
        "kind": "compute#instance",
        "id": "12345",
        "name": name,
        "status": "RUNNING",
        "zone": format!("{base}/zones/{zone}"),
        "machineType": format!("{base}/zones/{zone}/machineTypes/e2-small"),
        "selfLink": format!("{base}/zones/{zone}/instances/{name}"),
        "labels": labels,
        "networkInterfaces": [nic],
        "metadata": {"kind": "compute#metadata", "items": [{"key": "team", "value": "data"}]},
    })
}

fn google_error(code: u16, message: &str, reason: &str) -> (u16, String) {
    let body = json!({"error": {"code": code, "message": message,
        "errors": [{"message": message, "domain": "global", "reason": reason}]}});
    (code, body.to_string())
}

/// The token endpoint: a JWT bearer grant whose assertion is signed by the test's key and whose
/// claims name our service account, this endpoint and a compute scope.
fn token_answer(req: &Request, public_key: &Path, dir: &Path) -> (u16, String) {
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let bad = |why: &str| {
        (
            400,
            json!({"error": "invalid_grant", "error_description": why}).to_string(),
        )
    };
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return bad("unsupported grant_type");
    }
    let Some(jwt) = form.get("assertion") else {
        return bad("no assertion");
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return bad("not a JWT");
    }
    let decode = |s: &str| {
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .unwrap_or_default()
    };
    let header: Value = serde_json::from_slice(&decode(parts[0])).unwrap_or_default();
    let claims: Value = serde_json::from_slice(&decode(parts[1])).unwrap_or_default();
    let signed = format!("{}.{}", parts[0], parts[1]);
    if header["alg"] != "RS256"
        || !rs256_verifies(public_key, signed.as_bytes(), &decode(parts[2]), dir)
    {
        return bad("Invalid JWT Signature.");
    }
    let audience = format!("http://{}/token", req.headers["host"]);
    let scope = claims["scope"].as_str().unwrap_or_default();
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    if claims["iss"] != EMAIL
        || claims["aud"] != audience.as_str()
        || !scope.contains("auth/compute")
        || !(1..=3600).contains(&lifetime)
    {
        return bad(&format!("bad claims: {claims}"));
    }
    (
        200,
        json!({"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}).to_string(),
    )
}

/// `GET /compute/v1/projects/<p>/aggregated/instances`; project `testbed-project` lists
/// `testbed` (one zone, one page).
fn list_answer(req: &Request, testbed: &[Value]) -> (u16, String) {
    if req.headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return google_error(
            401,
            "Request had invalid authentication credentials.",
            "authError",
        );
    }
    let project = req.path.split('/').nth(4).unwrap_or_default();
    if req.query.get("filter").is_some_and(|f| f.contains("bogus")) {
        return google_error(
            400,
            "Invalid value for field 'filter': 'bogus'. Invalid list filter expression.",
            "invalid",
        );
    }
    match project {
        "fleet-project" => {}
        "testbed-project" => {
            let page = json!({"kind": "compute#instanceAggregatedList",
                "items": {"zones/local-a": {"instances": testbed}}});
            return (200, page.to_string());
        }
        "locked-project" => {
            return google_error(
                403,
                "Required 'compute.instances.list' permission for 'projects/locked-project'",
                "forbidden",
            )
        }
        "busy-project" => return google_error(
            429,
            "Quota exceeded for quota metric 'Read requests' of service 'compute.googleapis.com'",
            "rateLimitExceeded",
        ),
        other => {
            return google_error(
                404,
                &format!("The resource 'projects/{other}' was not found"),
                "notFound",
            )
        }
    }
    let prod = |role: &str| json!({"role": role, "env": "prod"});
    let page = match req.query.get("pageToken").map(String::as_str) {
        None => json!({
            "kind": "compute#instanceAggregatedList",
            "items": {
                "zones/europe-west1-b": {"instances": [
                    instance("web-1", "europe-west1-b", "10.10.0.11", None, prod("web")),
                    instance("bastion-1", "europe-west1-b", "10.10.0.2", Some("203.0.113.20"), prod("bastion")),
                ]},
                "zones/us-central1-a": {"warning": {"code": "NO_RESULTS_ON_PAGE",
                    "message": "There are no results for scope 'zones/us-central1-a' on this page."}},
                "zones/us-east1-b": {"instances": [
                    instance("elsewhere-1", "us-east1-b", "10.20.0.5", None, prod("web")),
                ]},
            },
            "nextPageToken": "page-2",
        }),
        Some("page-2") => json!({
            "kind": "compute#instanceAggregatedList",
            "items": {
                "zones/europe-west1-c": {"instances": [
                    instance("db-1", "europe-west1-c", "10.10.0.12", None, prod("db")),
                ]},
            },
        }),
        Some(other) => return google_error(400, &format!("Invalid page token {other}"), "invalid"),
    };
    (200, page.to_string())
}

/// A fake Google: the token endpoint and the Compute API on one local port.
pub(crate) struct FakeGoogle {
    server: Server,
    dir: PathBuf,
}

impl FakeGoogle {
    fn start(name: &str) -> FakeGoogle {
        Self::with_testbed(name, Vec::new())
    }

    /// Also lists `testbed` as the instances of project `testbed-project`.
    pub(crate) fn with_testbed(name: &str, testbed: Vec<Value>) -> FakeGoogle {
        let dir = scratch(name);
        let (private_pem, public_key) = rsa_key(&dir, "sa");
        let verify_dir = dir.clone();
        let server = Server::start(move |req| match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/token") => token_answer(req, &public_key, &verify_dir),
            ("GET", p)
                if p.starts_with("/compute/v1/projects/")
                    && p.ends_with("/aggregated/instances") =>
            {
                list_answer(req, &testbed)
            }
            _ => google_error(404, "no such route", "notFound"),
        });
        let key = json!({
            "type": "service_account",
            "project_id": "fleet-project",
            "private_key_id": "k1",
            "private_key": private_pem,
            "client_email": EMAIL,
            "client_id": "1",
            "token_uri": format!("http://127.0.0.1:{}/token", server.port),
        });
        write(&dir.join("sa.json"), &key.to_string());
        FakeGoogle { server, dir }
    }

    /// Writes `gcp.yml` with the endpoint and key filled in, plus `extra` lines.
    pub(crate) fn config(&self, file: &str, projects: &str, extra: &str) -> PathBuf {
        let path = self.dir.join(file);
        write(
            &path,
            &format!(
                "plugin: google.cloud.gcp_compute\nprojects: {projects}\nauth_kind: serviceaccount\n\
                 service_account_file: sa.json\nendpoint: http://127.0.0.1:{}/compute/v1\n{extra}",
                self.server.port
            ),
        );
        path
    }

    fn lists(&self) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET")
            .collect()
    }
}

fn load(path: &Path) -> Result<Inventory, String> {
    Inventory::load(&[path.display().to_string()], None).map_err(|e| e.to_string())
}

fn hosts_of(inv: &Inventory, group: &str) -> Vec<String> {
    inv.group(group)
        .map(|g| g.hosts.clone())
        .unwrap_or_default()
}

const FLEET: &str = "zones: [europe-west1-b, europe-west1-c]
filters:
  - status = RUNNING
  - labels.env = prod
hostnames: [name]
keyed_groups:
  - key: labels.role
    prefix: role
  - key: zone
    prefix: zone
groups:
  databases: \"labels.role == 'db'\"
compose:
  gcp_zone: zone
bastion:
  label: role=bastion
  user: play
cache: true
cache_timeout: 600
cache_connection: cache
";

#[test]
fn gcp_lists_every_page_and_builds_groups_vars_and_bastion_then_caches() {
    let google = FakeGoogle::start("gcp-fleet");
    let config = google.config("gcp.yml", "[fleet-project]", FLEET);
    let inv = load(&config).unwrap();

    // Both pages, with the filter and the token; zones outside `zones:` dropped.
    let lists = google.lists();
    assert_eq!(lists.len(), 2, "{lists:#?}");
    assert!(
        lists
            .iter()
            .all(|r| r.query.get("filter").map(String::as_str) == Some(FILTER)),
        "{lists:#?}"
    );
    assert_eq!(lists[0].query.get("pageToken"), None);
    assert_eq!(
        lists[1].query.get("pageToken").map(String::as_str),
        Some("page-2")
    );
    assert_eq!(
        google
            .server
            .requests()
            .iter()
            .filter(|r| r.path == "/token")
            .count(),
        1
    );
    assert!(
        inv.host("elsewhere-1").is_none(),
        "us-east1-b is not in `zones:`"
    );

    assert_eq!(hosts_of(&inv, "role_web"), ["web-1"]);
    assert_eq!(hosts_of(&inv, "role_db"), ["db-1"]);
    assert_eq!(hosts_of(&inv, "role_bastion"), ["bastion-1"]);
    assert_eq!(
        hosts_of(&inv, "zone_europe-west1-b"),
        ["web-1", "bastion-1"]
    );
    assert_eq!(hosts_of(&inv, "databases"), ["db-1"]);

    let web = inv.host_vars("web-1");
    assert_eq!(
        web["ansible_host"], "10.10.0.11",
        "the private IP, reached through the bastion"
    );
    assert_eq!(web["play_bastion"], "play@203.0.113.20");
    assert_eq!(web["gcp_zone"], "europe-west1-b");
    assert_eq!(web["labels"], json!({"role": "web", "env": "prod"}));
    assert_eq!(web["project"], "fleet-project");
    assert_eq!(
        web["networkInterfaces"][0]["subnetwork"]["name"],
        "fleet-private"
    );
    let db = inv.host_vars("db-1");
    assert_eq!(db["metadata"], json!({"team": "data"}));
    assert_eq!(db["play_bastion"], "play@203.0.113.20");
    let bastion = inv.host_vars("bastion-1");
    assert_eq!(bastion["ansible_host"], "203.0.113.20");
    assert!(
        !bastion.contains_key("play_bastion"),
        "the bastion does not jump through itself"
    );

    // The cache: one private file; a second load within the TTL asks the server nothing.
    let cache_files: Vec<_> = std::fs::read_dir(google.dir.join("cache"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(cache_files.len(), 1);
    assert_eq!(
        cache_files[0].metadata().unwrap().permissions().mode() & 0o777,
        0o600
    );
    let before = google.server.count();
    let again = load(&config).unwrap();
    assert_eq!(
        google.server.count(),
        before,
        "a cached load made HTTP requests"
    );
    assert_eq!(again.host_vars("web-1"), web);
    assert_eq!(hosts_of(&again, "role_web"), ["web-1"]);

    // The command line reads it too, from the cache, and PLAY_FLUSH_CACHE=1 goes back to the API.
    let out = play(&google.dir, &["inventory", "-i", "gcp.yml", "--list"], &[]);
    check!(out.0 == 0 && out.1.contains("\"web-1\""), out);
    assert_eq!(google.server.count(), before);
    let out = play(
        &google.dir,
        &["inventory", "-i", "gcp.yml", "--graph"],
        &[("PLAY_FLUSH_CACHE", Some("1"))],
    );
    check!(
        out.0 == 0 && out.1.contains("@role_db:") && out.1.contains("db-1"),
        out
    );
    assert_eq!(
        google.server.count(),
        before + 3,
        "token + two pages after a flush"
    );
}

fn load_err(google: &FakeGoogle, file: &str, projects: &str, extra: &str) -> String {
    let config = google.config(file, projects, extra);
    load(&config).expect_err("the load should fail")
}

#[test]
fn gcp_api_errors_say_what_to_fix() {
    let google = FakeGoogle::start("gcp-errors");

    let err = load_err(&google, "locked.yml", "[locked-project]", "");
    for needed in [
        "compute.instances.list",
        "roles/compute.viewer",
        EMAIL,
        "Required 'compute.instances.list' permission for 'projects/locked-project'",
    ] {
        assert!(err.contains(needed), "missing {needed:?} in: {err}");
    }

    let err = load_err(
        &google,
        "missing.yml",
        "\n  - fleet-project\n  - no-such-project",
        "",
    );
    let at = format!("{}:4:5:", google.dir.join("missing.yml").display());
    assert!(
        err.starts_with(&at) && err.contains("'no-such-project' was not found"),
        "{err}"
    );

    let err = load_err(
        &google,
        "filter.yml",
        "[fleet-project]",
        "filters:\n  - bogus\n",
    );
    let at = format!("{}:7:5:", google.dir.join("filter.yml").display());
    assert!(
        err.starts_with(&at) && err.contains("Invalid list filter expression"),
        "{err}"
    );

    let before = google.lists().len();
    let err = load_err(&google, "busy.yml", "[busy-project]", "");
    assert!(
        err.contains("rate limit or quota") && err.contains("cache: true"),
        "{err}"
    );
    assert_eq!(
        google.lists().len() - before,
        3,
        "a 429 is tried three times"
    );
}

#[test]
fn gcp_credential_problems_name_the_auth_kind_and_the_fix() {
    let google = FakeGoogle::start("gcp-auth");

    // A key the token endpoint does not know: its signature fails verification.
    let (other_key, _) = rsa_key(&google.dir, "other");
    let mut key: Value =
        serde_json::from_str(&std::fs::read_to_string(google.dir.join("sa.json")).unwrap())
            .unwrap();
    key["private_key"] = Value::String(other_key);
    write(&google.dir.join("other.json"), &key.to_string());
    let err = load_err(
        &google,
        "wrongkey.yml",
        "[fleet-project]",
        "service_account_file: other.json\n",
    );
    assert!(
        err.contains("could not get an access token for service account") && err.contains(EMAIL),
        "{err}"
    );
    assert_eq!(google.lists().len(), 0, "no API call without a token");

    let path = google.dir.join("nofile.yml");
    write(&path, "plugin: gcp_compute\nprojects: [p]\nauth_kind: serviceaccount\nservice_account_file: gone.json\n");
    let err = load(&path).unwrap_err();
    assert!(
        err.contains("cannot read service_account_file") && err.contains("gone.json"),
        "{err}"
    );

    let path = google.dir.join("nokind.yml");
    write(
        &path,
        "plugin: gcp_compute\nprojects: [p]\nauth_kind: accesstoken\n",
    );
    let err = load(&path).unwrap_err();
    assert!(
        err.contains("auth_kind accesstoken") && err.contains("GCP_ACCESS_TOKEN"),
        "{err}"
    );

    let path = google.dir.join("broken.yml");
    write(&path, "plugin: gcp_compute\nprojects: [p\nzones: []\n");
    let err = load(&path).unwrap_err();
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("YAML syntax error"),
        "{err}"
    );
}
