//! A small HTTPS client for JSON REST calls (GCE), on the hyper/rustls stack that `gcp_auth`
//! and the AWS SDK already build, so it costs no extra crates.
//!
//! TLS is rustls with the aws-lc-rs provider (the one russh uses) and the system's trusted
//! CAs (`SSL_CERT_FILE`/`SSL_CERT_DIR` add a private endpoint's CA). Plain `http://` is allowed
//! because operators point the endpoint at a local proxy or a test server.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

/// What came back: status, body and the server's `Retry-After` (seconds), if any.
pub(crate) struct Response {
    pub status: u16,
    pub body: Bytes,
    pub retry_after: Option<Duration>,
}

impl HttpClient {
    pub fn new() -> Result<HttpClient, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|err| {
                format!(
                    "cannot load the trusted CA certificates for HTTPS ({err}): install the \
                     ca-certificates package, or point SSL_CERT_FILE at a CA bundle"
                )
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// GETs `url` with the given headers; transport failures are errors, HTTP statuses are not.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, String> {
        let mut request = Request::get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Empty::new())
            .map_err(|err| format!("bad request URL {url}: {err}"))?;
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|err| error_chain(&err))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_secs);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|err| format!("reading the response: {err}"))?
                .to_bytes();
            Ok(Response {
                status,
                body,
                retry_after,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()))?
    }
}

/// An error and its causes on one line.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}
