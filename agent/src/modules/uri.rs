//! `uri`: one HTTP(S) request from the host (health checks, API calls), with Ansible's
//! options and return values: status, content, json, headers, url, redirected, elapsed.
//!
//! TLS is rustls; the host's CA bundle (/etc/ssl/certs/ca-certificates.crt) is trusted when
//! present, else Mozilla's roots; `ca_path` adds a private CA. Credentials never leave this
//! module except in the Authorization header.

use super::{args, Context, ModuleError, ModuleOutcome};
use base64::Engine as _;
use play_protocol::ModuleResult;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::ResponseExt as _;

const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
const MAX_BODY: u64 = 8 * 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub method: Option<String>,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub body_format: Option<String>,
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "status_codes")]
    pub status_code: Option<Vec<u16>>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub return_content: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_f64")]
    pub timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub validate_certs: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub url_username: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub url_password: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub force_basic_auth: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub follow_redirects: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub ca_path: Option<String>,
}

fn status_codes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u16>>, D::Error> {
    let one = |v: &Value| {
        args::to_u64(v)
            .and_then(|n| u16::try_from(n).map_err(|_| format!("{n} is not an HTTP status")))
    };
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items.iter().map(one).collect::<Result<_, _>>().map(Some),
        Some(Value::String(s)) if s.contains(',') => s
            .split(',')
            .map(|p| one(&Value::String(p.trim().into())))
            .collect::<Result<_, _>>()
            .map(Some),
        Some(v) => one(&v).map(|c| Some(vec![c])),
    }
    .map_err(serde::de::Error::custom)
}

/// Form encoding of a body given as a map (or a list of pairs).
pub fn form_encode(body: &Value) -> Result<String, String> {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    }
    let pairs: Vec<(String, String)> = match body {
        Value::String(s) => return Ok(s.clone()),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| args::to_string(v).map(|v| (k.clone(), v)))
            .collect::<Result<_, _>>()?,
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Array(kv) if kv.len() == 2 => {
                    Ok((args::to_string(&kv[0])?, args::to_string(&kv[1])?))
                }
                _ => Err("form-urlencoded body lists must hold [key, value] pairs".to_string()),
            })
            .collect::<Result<_, _>>()?,
        other => return Err(format!("cannot form-encode {other}")),
    };
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&"))
}

fn tls_config(a: &Args) -> Result<TlsConfig, ModuleError> {
    let mut pem = std::fs::read(SYSTEM_CA_BUNDLE).unwrap_or_default();
    if let Some(ca) = &a.ca_path {
        let extra = std::fs::read(ca)
            .map_err(|e| ModuleError(format!("uri: cannot read ca_path {ca}: {e}")))?;
        pem.push(b'\n');
        pem.extend_from_slice(&extra);
    }
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    let roots = if certs.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::new_with_certs(&certs)
    };
    Ok(TlsConfig::builder()
        .root_certs(roots)
        .disable_verification(a.validate_certs == Some(false))
        .build())
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let url = a
        .url
        .clone()
        .ok_or_else(|| ModuleError("uri: url is required".into()))?;
    let method = a.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let follow = match a
        .follow_redirects
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("safe") => matches!(method.as_str(), "GET" | "HEAD"),
        Some("all" | "yes" | "true" | "urllib2") => true,
        Some("none" | "no" | "false") => false,
        Some(other) => {
            return Err(ModuleError(format!(
                "uri: follow_redirects must be safe, all or none, not '{other}'"
            )))
        }
    };
    if ctx.check && !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        // A POST/PUT/DELETE may change something on the other end: check mode must not send
        // it. Reads still run, so a health check in a plan sees the real answer.
        let mut r = ModuleResult::changed(true)
            .with("url", url.clone())
            .with("method", method.clone())
            .with_msg(format!(
                "would send {method} {url} (not sent in check mode)"
            ));
        if ctx.diff {
            r.diff.push(super::common::state_diff(
                &format!("{method} {url}"),
                &[],
                &[("request", "would be sent".into())],
            ));
        }
        return Ok(r);
    }
    let expected = a.status_code.clone().unwrap_or_else(|| vec![200]);
    let mut timeout = Duration::from_secs_f64(a.timeout.unwrap_or(30.0).max(0.1));
    if let Some(left) = ctx.time_left() {
        timeout = timeout.min(left.max(Duration::from_millis(100)));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in a.headers.iter().flatten() {
        headers.push((
            k.clone(),
            args::to_string(v).map_err(|e| ModuleError(format!("uri: header {k}: {e}")))?,
        ));
    }
    let has_header =
        |h: &[(String, String)], name: &str| h.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let body: Vec<u8> = match (a.body_format.as_deref().unwrap_or("raw"), &a.body) {
        (_, None) => Vec::new(),
        ("json", Some(Value::String(s))) => s.clone().into_bytes(),
        ("json", Some(v)) => serde_json::to_vec(v)?,
        ("form-urlencoded", Some(v)) => form_encode(v)
            .map_err(|e| ModuleError(format!("uri: body: {e}")))?
            .into_bytes(),
        ("raw", Some(Value::String(s))) => s.clone().into_bytes(),
        ("raw", Some(v)) => serde_json::to_vec(v)?,
        (other, _) => {
            return Err(ModuleError(format!(
                "uri: body_format must be raw, json or form-urlencoded, not '{other}'"
            )))
        }
    };
    match a.body_format.as_deref() {
        Some("json") if !has_header(&headers, "content-type") => {
            headers.push(("Content-Type".into(), "application/json".into()))
        }
        Some("form-urlencoded") if !has_header(&headers, "content-type") => headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )),
        _ => {}
    }
    let auth = a.url_username.as_ref().map(|u| {
        let creds = format!("{u}:{}", a.url_password.as_deref().unwrap_or(""));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(creds)
        )
    });

    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .max_redirects(if follow { 10 } else { 0 })
        .max_redirects_will_error(false)
        .save_redirect_history(true)
        .timeout_global(Some(timeout))
        .user_agent("play-agent")
        .tls_config(tls_config(&a)?)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let send = |with_auth: bool| {
        let mut req = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(url.as_str());
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let (true, Some(auth)) = (with_auth, &auth) {
            req = req.header("Authorization", auth.as_str());
        }
        let req = req
            .body(body.clone())
            .map_err(|e| format!("invalid request: {e}"))?;
        agent.run(req).map_err(|e| e.to_string())
    };
    let started = Instant::now();
    let mut response = send(a.force_basic_auth == Some(true));
    if let Ok(r) = &response {
        let challenged = r
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("basic"));
        if r.status().as_u16() == 401
            && auth.is_some()
            && a.force_basic_auth != Some(true)
            && challenged
        {
            response = send(true);
        }
    }
    let elapsed = started.elapsed().as_secs();
    let mut response = match response {
        Ok(r) => r,
        Err(e) => {
            let mut r = ModuleResult::failed(format!(
                "Status code was -1 and not {expected:?}: Request failed: {e}"
            ));
            r.data.insert("status".into(), (-1).into());
            r.data.insert("url".into(), url.into());
            r.data.insert("elapsed".into(), elapsed.into());
            return Ok(r);
        }
    };
    let status = response.status().as_u16();
    let final_url = response.get_uri().to_string();
    let redirected = response.get_redirect_history().is_some_and(|h| h.len() > 1);
    let mut header_map = Map::new();
    for (k, v) in response.headers() {
        header_map.insert(
            k.as_str().to_ascii_lowercase(),
            String::from_utf8_lossy(v.as_bytes()).into_owned().into(),
        );
    }
    let content_type = header_map
        .get("content-type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let content = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| ModuleError(format!("uri: reading the response from {url}: {e}")))?;
    let reason = response.status().canonical_reason().unwrap_or("");
    let mut result = ModuleResult::ok()
        .with("status", status)
        .with("url", final_url)
        .with("redirected", redirected)
        .with("elapsed", elapsed);
    for (k, v) in &header_map {
        let key = k.replace('-', "_");
        if !matches!(
            key.as_str(),
            "status"
                | "url"
                | "msg"
                | "content"
                | "json"
                | "elapsed"
                | "redirected"
                | "changed"
                | "failed"
                | "headers"
        ) {
            result.data.insert(key, v.clone());
        }
    }
    result = result.with("headers", Value::Object(header_map));
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if mime.ends_with("/json") || mime.ends_with("+json") {
        if let Ok(js) = serde_json::from_slice::<Value>(&content) {
            result = result.with("json", js);
        }
    }
    if a.return_content == Some(true) {
        result = result.with("content", String::from_utf8_lossy(&content).into_owned());
    }
    if expected.contains(&status) {
        result.msg = Some(format!("OK ({} bytes)", content.len()));
    } else {
        result.failed = true;
        result.msg = Some(format!(
            "Status code was {status} and not {expected:?}: HTTP Error {status}: {reason}"
        ));
    }
    Ok(result)
}

#[cfg(test)]
#[path = "uri_tests.rs"]
mod tests;
