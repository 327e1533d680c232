//! Access tokens for GCE, per `auth_kind`, through `gcp_auth`.
//!
//! - `serviceaccount`: a key file (`service_account_file`) or its JSON
//!   (`service_account_contents`): a JWT signed with the key is exchanged at the key's
//!   `token_uri` (which is how a private token endpoint or a test server is reached);
//! - `application`: Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, then
//!   gcloud's `application_default_credentials.json`, then the metadata server, then the
//!   `gcloud` CLI;
//! - `machineaccount`: the metadata server of the GCE VM play runs on;
//! - `accesstoken`: a token given as is (`access_token` / `GCP_ACCESS_TOKEN`).
//!
//! Errors say which kind was tried, from where, and what to set instead. Key material and
//! tokens never appear in messages.

use super::config::{Auth, AuthKind};
use gcp_auth::TokenProvider;
use serde_json::Value;
use std::sync::Arc;

pub(crate) struct Credentials {
    provider: Option<Arc<dyn TokenProvider>>,
    static_token: Option<String>,
    /// Who we are, for error messages: "service account inv@p.iam.gserviceaccount.com".
    pub identity: String,
}

impl Credentials {
    pub async fn resolve(auth: &Auth) -> Result<Credentials, String> {
        match auth.kind {
            AuthKind::ServiceAccount => service_account(auth),
            AuthKind::AccessToken => match &auth.access_token {
                Some(token) => Ok(Credentials {
                    provider: None,
                    static_token: Some(token.clone()),
                    identity: "the given access token".into(),
                }),
                None => Err(format!(
                    "auth_kind accesstoken (from {}) needs `access_token:` or GCP_ACCESS_TOKEN",
                    auth.kind_from
                )),
            },
            AuthKind::MachineAccount => match gcp_auth::MetadataServiceAccount::new().await {
                Ok(p) => Ok(Credentials {
                    provider: Some(Arc::new(p)),
                    static_token: None,
                    identity: "the VM's default service account (metadata server)".into(),
                }),
                Err(err) => Err(format!(
                    "auth_kind machineaccount (from {}): the GCE metadata server gave no token \
                     ({}); machineaccount works only on a GCE VM with a service account \
                     attached; elsewhere use auth_kind: serviceaccount with service_account_file",
                    auth.kind_from,
                    super::super::http::error_chain(&err)
                )),
            },
            AuthKind::Application => application_default(auth).await,
        }
    }

    /// A bearer token for `scopes`.
    pub async fn token(&self, scopes: &[String]) -> Result<String, String> {
        if let Some(token) = &self.static_token {
            return Ok(token.clone());
        }
        let provider = self
            .provider
            .as_ref()
            .expect("a provider or a static token");
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        match provider.token(&scopes).await {
            Ok(token) => Ok(token.as_str().to_string()),
            Err(err) => Err(format!(
                "could not get an access token for {} ({}): check that the key is still active \
                 (not deleted or disabled in IAM), that this machine's clock is right, and that \
                 the token endpoint is reachable",
                self.identity,
                super::super::http::error_chain(&err)
            )),
        }
    }

    /// The project the credentials belong to, when they name one.
    pub async fn project(&self) -> Option<String> {
        let provider = self.provider.as_ref()?;
        provider.project_id().await.ok().map(|p| p.to_string())
    }
}

fn service_account(auth: &Auth) -> Result<Credentials, String> {
    let (text, origin) = match (&auth.service_account_contents, &auth.service_account_file) {
        (Some(text), _) => (text.clone(), "service_account_contents".to_string()),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => (text, format!("service_account_file {}", path.display())),
            Err(err) => {
                return Err(format!(
                    "auth_kind serviceaccount: cannot read service_account_file {}: {err}; \
                     download a JSON key for the service account (IAM > Service accounts > Keys) \
                     and point service_account_file at it",
                    path.display()
                ))
            }
        },
        (None, None) => {
            return Err(format!(
                "auth_kind serviceaccount (from {}) needs `service_account_file:` (or \
                 GCP_SERVICE_ACCOUNT_FILE) naming a service-account JSON key",
                auth.kind_from
            ))
        }
    };
    let mut key: Value = serde_json::from_str(&text).map_err(|err| {
        format!("{origin} is not JSON ({err}); it must be a service-account key file")
    })?;
    let kind = key
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("service_account");
    if kind != "service_account" {
        return Err(format!(
            "{origin} holds a '{kind}' credential, not a service-account key; for gcloud user \
             credentials use auth_kind: application"
        ));
    }
    for field in ["client_email", "private_key"] {
        if key.get(field).and_then(Value::as_str).is_none() {
            return Err(format!(
                "{origin} has no `{field}`: it is not a complete service-account key"
            ));
        }
    }
    let email = key["client_email"].as_str().unwrap_or_default().to_string();
    if key.get("token_uri").and_then(Value::as_str).is_none() {
        key["token_uri"] = Value::String("https://oauth2.googleapis.com/token".into());
    }
    let account = gcp_auth::CustomServiceAccount::from_json(&key.to_string()).map_err(|err| {
        format!(
            "{origin}: the key cannot be used ({}); keys must be RSA in PKCS#8 PEM, as Google \
             issues them",
            super::super::http::error_chain(&err)
        )
    })?;
    Ok(Credentials {
        provider: Some(Arc::new(account)),
        static_token: None,
        identity: format!("service account {email} ({origin})"),
    })
}

async fn application_default(auth: &Auth) -> Result<Credentials, String> {
    match gcp_auth::provider().await {
        Ok(provider) => Ok(Credentials {
            provider: Some(provider),
            static_token: None,
            identity: "Application Default Credentials".into(),
        }),
        Err(gcp_auth::Error::NoAuthMethod(gcloud, metadata, user_file)) => Err(format!(
            "no GCP credentials found for auth_kind application (from {}). Tried: \
             GOOGLE_APPLICATION_CREDENTIALS (not set); gcloud's \
             ~/.config/gcloud/application_default_credentials.json ({}); the GCE metadata \
             server ({}); the gcloud CLI ({}). Set `auth_kind: serviceaccount` with \
             `service_account_file: KEY.json`, or run `gcloud auth application-default login`",
            auth.kind_from,
            super::super::http::error_chain(&*user_file),
            super::super::http::error_chain(&*metadata),
            super::super::http::error_chain(&*gcloud),
        )),
        Err(err) => Err(format!(
            "auth_kind application (from {}): {}; check GOOGLE_APPLICATION_CREDENTIALS",
            auth.kind_from,
            super::super::http::error_chain(&err)
        )),
    }
}
