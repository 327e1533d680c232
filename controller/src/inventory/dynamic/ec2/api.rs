//! EC2's `DescribeInstances` through the AWS SDK, region by region, every page.
//!
//! Credentials are resolved once, before any EC2 call, so "no credentials" is its own error
//! naming the providers the SDK's chain tried; `aws_profile`, keys in the config and
//! `iam_role_arn` (an STS AssumeRole on top) change the chain as in Ansible. With no
//! `regions:` every region `DescribeRegions` reports is searched. Service errors are turned
//! into what to change: the IAM action for `UnauthorizedOperation`, the filter for
//! `InvalidParameterValue`, patience or the cache for throttling (the SDK has already retried
//! those with backoff).

use super::config::Ec2Config;
use super::facts;
use crate::inventory::dynamic::http::error_chain;
use crate::inventory::dynamic::Failure;
use aws_config::BehaviorVersion;
use aws_sdk_ec2::config::{Credentials, ProvideCredentials, Region, SharedCredentialsProvider};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::Filter;
use serde_json::Value;

/// The facts of every listed instance, sorted by instance id (as Ansible's plugin sorts).
pub(crate) async fn list_instances(config: &Ec2Config) -> Result<Vec<Value>, Failure> {
    let sdk = sdk_config(config).await?;
    let identity = check_credentials(&sdk, config).await?;
    let regions = match config.regions.is_empty() {
        false => config.regions.iter().map(|r| r.value.clone()).collect(),
        true => all_regions(&sdk, config, &identity).await?,
    };
    let mut listed = Vec::new();
    for region in &regions {
        listed.extend(describe(&sdk, config, region, &identity).await?);
    }
    listed.sort_by(|a, b| {
        let id = |v: &Value| {
            v.get("instance_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        id(a).cmp(&id(b))
    });
    Ok(listed)
}

async fn sdk_config(config: &Ec2Config) -> Result<aws_config::SdkConfig, Failure> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    // A known region saves the chain a look at the instance metadata service.
    if let Some(first) = config.regions.first() {
        loader = loader.region(Region::new(first.value.clone()));
    }
    match (&config.keys.access_key, &config.keys.secret_key) {
        (Some(access), Some(secret)) => {
            loader = loader.credentials_provider(Credentials::new(
                access,
                secret,
                config.keys.session_token.clone(),
                None,
                "play inventory config",
            ));
        }
        (None, None) => {}
        _ => {
            return Err(Failure::At(
                config.root.clone(),
                "give both aws_access_key and aws_secret_key, or neither (to use the \
                 environment, a profile or the instance's role)"
                    .into(),
            ))
        }
    }
    let mut sdk = loader.load().await;
    if let Some(arn) = &config.iam_role_arn {
        let role = aws_config::sts::AssumeRoleProvider::builder(arn)
            .session_name("play-inventory")
            .configure(&sdk)
            .build()
            .await;
        sdk = sdk
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(role))
            .build();
    }
    Ok(sdk)
}

async fn check_credentials(
    sdk: &aws_config::SdkConfig,
    config: &Ec2Config,
) -> Result<String, Failure> {
    let tried = match (&config.keys.access_key, &config.profile) {
        (Some(_), _) => "the keys in the inventory config".to_string(),
        (None, Some(profile)) => format!("profile '{profile}' in ~/.aws/config and ~/.aws/credentials"),
        (None, None) => "the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), the shared \
             files ~/.aws/credentials and ~/.aws/config (AWS_PROFILE, SSO, credential_process), web \
             identity (AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container endpoint and the EC2 \
             instance metadata service"
            .to_string(),
    };
    let Some(provider) = sdk.credentials_provider() else {
        return Err(Failure::Source(format!(
            "no AWS credentials provider could be set up from {tried}"
        )));
    };
    match provider.provide_credentials().await {
        Ok(creds) => {
            let role = config
                .iam_role_arn
                .as_ref()
                .map(|r| format!(" as role {r}"))
                .unwrap_or_default();
            Ok(format!("access key {}{role}", mask(creds.access_key_id())))
        }
        Err(err) => Err(Failure::Source(format!(
            "no usable AWS credentials: tried {tried} ({}). Export AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY, set AWS_PROFILE (or `aws_profile:`), or run play where an IAM \
             role is attached",
            error_chain(&err)
        ))),
    }
}

/// `AKIA…WXYZ`: enough to tell keys apart, not the whole id.
fn mask(key: &str) -> String {
    if key.len() <= 8 {
        return "…".into();
    }
    format!("{}…{}", &key[..4], &key[key.len() - 4..])
}

fn client(sdk: &aws_config::SdkConfig, config: &Ec2Config, region: &str) -> aws_sdk_ec2::Client {
    let mut builder =
        aws_sdk_ec2::config::Builder::from(sdk).region(Region::new(region.to_string()));
    if let Some(url) = &config.endpoint_url {
        builder = builder.endpoint_url(url);
    }
    aws_sdk_ec2::Client::from_conf(builder.build())
}

async fn all_regions(
    sdk: &aws_config::SdkConfig,
    config: &Ec2Config,
    identity: &str,
) -> Result<Vec<String>, Failure> {
    let Some(home) = sdk.region() else {
        return Err(Failure::At(
            config.root.clone(),
            "no `regions:` and no default region (AWS_REGION or the profile's region): list the \
             regions to search under `regions:`"
                .into(),
        ));
    };
    let home = home.to_string();
    let answer = client(sdk, config, &home)
        .describe_regions()
        .send()
        .await
        .map_err(|err| explain(err, config, &home, identity, "ec2:DescribeRegions"))?;
    Ok(answer
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect())
}

async fn describe(
    sdk: &aws_config::SdkConfig,
    config: &Ec2Config,
    region: &str,
    identity: &str,
) -> Result<Vec<Value>, Failure> {
    let filters: Vec<Filter> = config
        .filters
        .iter()
        .map(|(name, values)| {
            Filter::builder()
                .name(name)
                .set_values(Some(values.clone()))
                .build()
        })
        .collect();
    let mut pages = client(sdk, config, region)
        .describe_instances()
        .set_filters(Some(filters))
        .into_paginator()
        .send();
    let mut listed = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(err) if !config.strict_permissions && err.code().is_some_and(denied) => {
                tracing::warn!(
                    region,
                    "not allowed to describe instances here; skipped (strict_permissions: false)"
                );
                return Ok(Vec::new());
            }
            Err(err) => {
                return Err(explain(
                    err,
                    config,
                    region,
                    identity,
                    "ec2:DescribeInstances",
                ))
            }
        };
        for reservation in page.reservations() {
            for instance in reservation.instances() {
                listed.push(facts::convert(instance, reservation, region));
            }
        }
    }
    Ok(listed)
}

/// EC2 says `UnauthorizedOperation`; IAM-style endpoints (and moto) say `AccessDenied`.
fn denied(code: &str) -> bool {
    matches!(
        code,
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException"
    )
}

/// An SDK failure as something the operator can act on.
fn explain<E, R>(
    err: SdkError<E, R>,
    config: &Ec2Config,
    region: &str,
    identity: &str,
    action: &str,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    let endpoint = format!(
        "{} (from {})",
        config
            .endpoint_url
            .as_deref()
            .unwrap_or("the public EC2 endpoint"),
        config.endpoint_from
    );
    match code.as_str() {
        "" => {
            let detail = error_chain(&err);
            let reach = matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_));
            Failure::Source(if reach {
                format!(
                    "cannot reach EC2 for region {region} at {endpoint}: {detail}; check the region \
                     name and the network (or `endpoint_url`)"
                )
            } else {
                format!("EC2 call {action} in region {region} failed: {detail}")
            })
        }
        code if denied(code) => Failure::Source(format!(
            "AWS denied {action} in region {region} to {identity} ({code}: {message}). Allow the \
             IAM action {action} for these credentials (e.g. the AmazonEC2ReadOnlyAccess policy), \
             or set `strict_permissions: false` to skip regions it may not read"
        )),
        "AuthFailure" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken"
        | "RequestExpired" | "UnrecognizedClientException" => Failure::Source(format!(
            "AWS rejected the credentials ({identity}) in region {region} ({code}: {message}); \
             check the keys or refresh the session (e.g. `aws sso login`), and this machine's clock"
        )),
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => Failure::Source(format!(
            "EC2 rate limit reached in region {region} ({code}: {message}) after the SDK's retries: \
             retry later, or set `cache: true` so scheduled runs reuse the listing for \
             `cache_timeout` seconds"
        )),
        "OptInRequired" => Failure::Source(format!(
            "region {region} is not enabled for this account ({code}: {message}); enable it or \
             remove it from `regions:`"
        )),
        "InvalidParameterValue" | "InvalidFilter" | "FilterLimitExceeded" | "InvalidParameterCombination" => {
            let text = format!("EC2 rejected the request in region {region} ({code}: {message}); check `filters:`");
            match &config.filters_at {
                Some(at) => Failure::At(at.clone(), text),
                None => Failure::Source(text),
            }
        }
        _ => Failure::Source(format!(
            "EC2 answered {code} for {action} in region {region} at {endpoint}: {message}"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn access_keys_are_masked() {
        assert_eq!(super::mask("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(super::mask("short"), "…");
    }
}
