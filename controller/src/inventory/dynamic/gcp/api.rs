//! GCE's `instances.aggregatedList`: every instance of a project, page by page.
//!
//! `GET {endpoint}/projects/{project}/aggregated/instances?filter=...&pageToken=...` answers
//! `{"items": {"zones/<zone>": {"instances": [...]} | {"warning": ...}}, "nextPageToken": ...}`.
//! Instances of zones outside `zones:` are dropped here, as Ansible's plugin does. A 429 or
//! 5xx is retried twice with backoff (honouring a short `Retry-After`); every other failure
//! becomes a message naming the project, the credentials and what to change (the permission
//! for a 403, the `projects:`/`filters:` entry for a 404/400).

use super::auth::Credentials;
use super::config::GcpConfig;
use crate::inventory::dynamic::config::Located;
use crate::inventory::dynamic::http::{HttpClient, Response};
use crate::inventory::dynamic::Failure;
use serde_json::Value;
use std::time::Duration;

const ATTEMPTS: u32 = 3;
/// A server that keeps handing out page tokens is broken; stop rather than loop forever.
const MAX_PAGES: usize = 10_000;

/// Every listed instance (raw API JSON) of every project, in API order.
pub(crate) async fn list_instances(config: &GcpConfig) -> Result<Vec<(String, Value)>, Failure> {
    let credentials = Credentials::resolve(&config.auth).await?;
    let projects = match config.projects.is_empty() {
        false => config.projects.clone(),
        true => match credentials.project().await {
            Some(project) => vec![Located {
                value: project,
                loc: config.root.clone(),
            }],
            None => {
                return Err(Failure::At(
                    config.root.clone(),
                    format!(
                        "no `projects:` given and the credentials ({}) name no project; list \
                         the project IDs under `projects:`",
                        credentials.identity
                    ),
                ))
            }
        },
    };
    let token = credentials.token(&config.auth.scopes).await?;
    let client = HttpClient::new()?;
    let mut all = Vec::new();
    for project in &projects {
        check_project_id(project)?;
        let lister = Lister {
            client: &client,
            config,
            token: &token,
            identity: &credentials.identity,
            project,
        };
        for instance in lister.all_pages().await? {
            all.push((project.value.clone(), instance));
        }
    }
    Ok(all)
}

fn check_project_id(project: &Located<String>) -> Result<(), Failure> {
    let id = &project.value;
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(Failure::At(
            project.loc.clone(),
            format!(
                "'{id}' is not a GCP project ID (lowercase letters, digits and hyphens, e.g. \
                 my-project-123); use the ID, not the display name"
            ),
        ))
    }
}

struct Lister<'a> {
    client: &'a HttpClient,
    config: &'a GcpConfig,
    token: &'a str,
    identity: &'a str,
    project: &'a Located<String>,
}

impl Lister<'_> {
    async fn all_pages(&self) -> Result<Vec<Value>, Failure> {
        let mut instances = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.page(page_token.as_deref()).await?;
            if let Some(items) = page.get("items").and_then(Value::as_object) {
                for (scope, listed) in items {
                    let zone = scope.strip_prefix("zones/").unwrap_or(scope);
                    if !self.config.zones.is_empty() && !self.config.zones.iter().any(|z| z == zone)
                    {
                        continue;
                    }
                    if let Some(list) = listed.get("instances").and_then(Value::as_array) {
                        instances.extend(list.iter().cloned());
                    }
                }
            }
            match page.get("nextPageToken").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => page_token = Some(next.to_string()),
                _ => return Ok(instances),
            }
        }
        Err(Failure::Source(format!(
            "GCE kept returning page tokens for project {} past {MAX_PAGES} pages; the endpoint \
             ({}) is not behaving like the Compute API",
            self.project.value, self.config.endpoint_from
        )))
    }

    fn url(&self, page_token: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(filter) = &self.config.filter {
            query.append_pair("filter", &filter.value);
        }
        if let Some(token) = page_token {
            query.append_pair("pageToken", token);
        }
        let query = query.finish();
        let base = format!(
            "{}/projects/{}/aggregated/instances",
            self.config.endpoint, self.project.value
        );
        if query.is_empty() {
            base
        } else {
            format!("{base}?{query}")
        }
    }

    async fn page(&self, page_token: Option<&str>) -> Result<Value, Failure> {
        let url = self.url(page_token);
        let auth = format!("Bearer {}", self.token);
        let headers = [
            ("authorization", auth.as_str()),
            ("accept", "application/json"),
        ];
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.client.get(&url, &headers).await;
            let retryable = match &outcome {
                Err(_) => true,
                Ok(r) => r.status == 429 || r.status >= 500,
            };
            if retryable && attempt < ATTEMPTS {
                let wait = outcome
                    .as_ref()
                    .ok()
                    .and_then(|r| r.retry_after)
                    .filter(|d| *d <= Duration::from_secs(10))
                    .unwrap_or(Duration::from_secs(1 << (attempt - 1)));
                tracing::debug!(%url, attempt, ?wait, "GCE call failed; retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            let response = outcome.map_err(|err| {
                Failure::Source(format!(
                    "cannot reach GCE at {} (from {}): {err}",
                    self.config.endpoint, self.config.endpoint_from
                ))
            })?;
            return self.answer(response, attempt);
        }
    }

    fn answer(&self, response: Response, attempts: u32) -> Result<Value, Failure> {
        let project = &self.project.value;
        if response.status == 200 {
            return serde_json::from_slice(&response.body).map_err(|err| {
                Failure::Source(format!(
                    "GCE's answer for project {project} is not JSON ({err}); is {} (from {}) the \
                     Compute API?",
                    self.config.endpoint, self.config.endpoint_from
                ))
            });
        }
        let (message, reason) = api_error(&response.body);
        let status = response.status;
        let rate_limited = status == 429
            || matches!(
                reason.as_deref(),
                Some("rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded")
            );
        Err(if rate_limited {
            Failure::Source(format!(
                "GCE rate limit or quota reached listing project {project} ({status}: {message}, \
                 after {attempts} tries): retry later, raise the quota, or set `cache: true` so \
                 scheduled runs reuse the listing for `cache_timeout` seconds"
            ))
        } else {
            match status {
                401 => Failure::Source(format!(
                    "GCE rejected the access token of {} (401: {message}); the credentials may \
                     be revoked, or the token was made for another audience",
                    self.identity
                )),
                403 => Failure::Source(format!(
                    "GCE denied listing instances in project {project} to {} (403: {message}). \
                     Grant it the permission compute.instances.list on the project (e.g. the role \
                     roles/compute.viewer), and check that the Compute Engine API is enabled",
                    self.identity
                )),
                404 => Failure::At(
                    self.project.loc.clone(),
                    format!(
                        "project '{project}' was not found (404: {message}); check the project \
                         ID under `projects:` (the ID, not the display name or number)"
                    ),
                ),
                400 => match &self.config.filter {
                    Some(filter) => Failure::At(
                        filter.loc.clone(),
                        format!(
                            "GCE rejected the request for project {project} (400: {message}); \
                             check `filters:` (sent as filter={:?})",
                            filter.value
                        ),
                    ),
                    None => Failure::Source(format!(
                        "GCE rejected the request for project {project} (400: {message})"
                    )),
                },
                _ => Failure::Source(format!(
                    "GCE answered {status} listing project {project} after {attempts} tries: \
                     {message}"
                )),
            }
        })
    }
}

/// Google's error body `{"error": {"message": ..., "errors": [{"reason": ...}]}}`, or the raw
/// text when it is something else (a proxy's HTML page, say).
fn api_error(body: &[u8]) -> (String, Option<String>) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "no details given".to_string()
            } else {
                text.chars().take(300).collect()
            }
        });
    let reason = error
        .and_then(|e| e.get("errors"))
        .and_then(|e| e.get(0))
        .and_then(|e| e.get("reason"))
        .and_then(Value::as_str)
        .map(str::to_string);
    (message, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_error_bodies_give_message_and_reason() {
        let body = br#"{"error":{"code":403,"message":"Required 'compute.instances.list' permission for 'projects/p'","errors":[{"reason":"forbidden"}]}}"#;
        let (message, reason) = api_error(body);
        assert_eq!(
            message,
            "Required 'compute.instances.list' permission for 'projects/p'"
        );
        assert_eq!(reason.as_deref(), Some("forbidden"));
        assert_eq!(
            api_error(b"<html>bad gateway</html>").0,
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn project_ids_are_checked_before_any_call() {
        let loc = crate::yaml::Location {
            file: std::sync::Arc::from(std::path::Path::new("gcp.yml")),
            line: 2,
            column: 12,
        };
        let bad = Located {
            value: "My Project".to_string(),
            loc,
        };
        match check_project_id(&bad).unwrap_err() {
            Failure::At(at, message) => {
                assert_eq!(at.line, 2);
                assert!(message.starts_with("'My Project' is not"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
