//! The aws_ec2 plugin against moto's EC2 server: instances made with the AWS SDK (tags, one
//! stopped), then listed through `endpoint_url` / `AWS_ENDPOINT_URL_EC2`.

use crate::check;
use crate::moto::{user_without_describe_instances, Moto};
use crate::support::{play, scratch, write};
use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};
use play::inventory::Inventory;
use std::collections::HashMap;
use std::path::Path;

/// What the test made: instance name -> (id, private IP, public IP).
type Fleet = HashMap<String, (String, String, Option<String>)>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Makes the fleet in moto: app-01/app-02/bastion-01 in prod, db-01 in staging, and old-01 in
/// prod but stopped.
fn seed(endpoint: &str) -> Fleet {
    runtime().block_on(async {
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        let client = aws_sdk_ec2::Client::from_conf(conf);
        let images = client
            .describe_images()
            .owners("amazon")
            .send()
            .await
            .unwrap();
        let image = images
            .images()
            .iter()
            .find_map(|i| i.image_id())
            .unwrap_or("ami-12c6146b")
            .to_string();
        let mut fleet = Fleet::new();
        for (name, role, env) in [
            ("app-01", "app", "prod"),
            ("app-02", "app", "prod"),
            ("bastion-01", "bastion", "prod"),
            ("db-01", "db", "staging"),
            ("old-01", "app", "prod"),
        ] {
            let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
            let run = client
                .run_instances()
                .image_id(&image)
                .instance_type(InstanceType::T3Micro)
                .min_count(1)
                .max_count(1)
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::Instance)
                        .tags(tag("Name", name))
                        .tags(tag("Role", role))
                        .tags(tag("Env", env))
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let instance = &run.instances()[0];
            let id = instance.instance_id().unwrap().to_string();
            let private = instance.private_ip_address().unwrap().to_string();
            fleet.insert(name.to_string(), (id, private, None));
        }
        client
            .stop_instances()
            .instance_ids(&fleet["old-01"].0)
            .send()
            .await
            .unwrap();
        // Public addresses are assigned at launch in the default VPC; read them back.
        let described = client.describe_instances().send().await.unwrap();
        for reservation in described.reservations() {
            for instance in reservation.instances() {
                let id = instance.instance_id().unwrap_or_default();
                if let Some(entry) = fleet.values_mut().find(|e| e.0 == id) {
                    entry.2 = instance.public_ip_address().map(str::to_string);
                }
            }
        }
        fleet
    })
}

fn load(path: &Path) -> Result<Inventory, String> {
    Inventory::load(&[path.display().to_string()], None).map_err(|e| e.to_string())
}

fn hosts_of(inv: &Inventory, group: &str) -> Vec<String> {
    let mut hosts = inv
        .group(group)
        .map(|g| g.hosts.clone())
        .unwrap_or_default();
    hosts.sort();
    hosts
}

#[test]
fn ec2_lists_running_instances_by_tag_with_groups_and_bastion() {
    let moto = Moto::start();
    let fleet = seed(&moto.endpoint);
    let dir = scratch("ec2-fleet");
    let config = dir.join("aws_ec2.yml");
    write(
        &config,
        &format!(
            "plugin: amazon.aws.aws_ec2
regions: [us-east-1]
endpoint_url: {}
aws_access_key: testing
aws_secret_key: testing
filters:
  tag:Env: prod
hostnames: [tag:Name, private-ip-address]
keyed_groups:
  - key: tags.Role
    prefix: role
  - key: placement.region
    prefix: region
compose:
  ec2_type: instance_type
bastion:
  label: Role=bastion
  user: play
",
            moto.endpoint
        ),
    );
    let inv = load(&config).unwrap();
    let mut names: Vec<&str> = inv.hosts().map(|h| h.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["app-01", "app-02", "bastion-01"],
        "db-01 is staging, old-01 is stopped"
    );
    assert_eq!(hosts_of(&inv, "role_app"), ["app-01", "app-02"]);
    assert_eq!(hosts_of(&inv, "role_bastion"), ["bastion-01"]);
    assert_eq!(
        hosts_of(&inv, "region_us-east-1"),
        ["app-01", "app-02", "bastion-01"]
    );

    let bastion_ip = fleet["bastion-01"]
        .2
        .clone()
        .expect("moto gives the bastion a public IP");
    let app = inv.host_vars("app-01");
    assert_eq!(app["ansible_host"], fleet["app-01"].1.as_str());
    assert_eq!(app["private_ip_address"], fleet["app-01"].1.as_str());
    assert_eq!(app["instance_id"], fleet["app-01"].0.as_str());
    assert_eq!(app["tags"]["Role"], "app");
    assert_eq!(app["state"]["name"], "running");
    assert_eq!(app["ec2_type"], "t3.micro");
    assert_eq!(app["play_bastion"], format!("play@{bastion_ip}").as_str());
    let bastion = inv.host_vars("bastion-01");
    assert_eq!(bastion["ansible_host"], bastion_ip.as_str());
    assert!(!bastion.contains_key("play_bastion"));

    // Filtering on the state yourself replaces the running-only default.
    let stopped = dir.join("stopped_aws_ec2.yml");
    write(
        &stopped,
        &format!(
            "plugin: aws_ec2\nregions: [us-east-1]\nendpoint_url: {}\naws_access_key: testing\n\
             aws_secret_key: testing\nfilters:\n  instance-state-name: [stopped]\nhostnames: [tag:Name]\n",
            moto.endpoint
        ),
    );
    let inv = load(&stopped).unwrap();
    let names: Vec<&str> = inv.hosts().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["old-01"]);
    assert_eq!(inv.host_vars("old-01")["state"]["name"], "stopped");
}

#[test]
fn ec2_from_the_command_line_with_environment_credentials_and_without_any() {
    let moto = Moto::start();
    seed(&moto.endpoint);
    let dir = scratch("ec2-cli");
    write(
        &dir.join("aws_ec2.yml"),
        "plugin: amazon.aws.aws_ec2\nregions: [us-east-1]\nhostnames: [tag:Name]\nkeyed_groups:\n  - key: tags.Env\n    prefix: env\n",
    );
    let home = dir.display().to_string();
    // Never let the SDK ask an instance metadata service, nor read this machine's ~/.aws.
    let isolated = [
        ("HOME", Some(home.as_str())),
        ("AWS_EC2_METADATA_DISABLED", Some("true")),
        ("AWS_PROFILE", None),
        ("AWS_CONFIG_FILE", None),
        ("AWS_SHARED_CREDENTIALS_FILE", None),
        ("AWS_SESSION_TOKEN", None),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", None),
        ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", None),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", None),
    ];
    let mut with_keys = isolated.to_vec();
    with_keys.extend([
        ("AWS_ACCESS_KEY_ID", Some("testing")),
        ("AWS_SECRET_ACCESS_KEY", Some("testing")),
        ("AWS_ENDPOINT_URL_EC2", Some(moto.endpoint.as_str())),
    ]);
    let out = play(
        &dir,
        &["inventory", "-i", "aws_ec2.yml", "--graph"],
        &with_keys,
    );
    check!(out.0 == 0, out);
    check!(
        out.1.contains("@env_prod:") && out.1.contains("app-01") && !out.1.contains("old-01"),
        out
    );

    let mut without = isolated.to_vec();
    without.extend([
        ("AWS_ACCESS_KEY_ID", None),
        ("AWS_SECRET_ACCESS_KEY", None),
        ("AWS_ENDPOINT_URL_EC2", Some(moto.endpoint.as_str())),
    ]);
    let out = play(
        &dir,
        &["inventory", "-i", "aws_ec2.yml", "--list"],
        &without,
    );
    check!(out.0 != 0, out);
    check!(
        out.2.contains("no usable AWS credentials") && out.2.contains("AWS_ACCESS_KEY_ID"),
        out
    );
    check!(out.2.contains("instance metadata service"), out);
}

#[test]
fn ec2_permission_denied_names_the_iam_action_unless_told_to_skip() {
    // moto checks IAM for every call after the first three (the ones that make the user).
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let (key, secret) = user_without_describe_instances(&moto);
    let dir = scratch("ec2-denied");
    let config = |name: &str, extra: &str| {
        let path = dir.join(name);
        write(
            &path,
            &format!(
                "plugin: aws_ec2\nregions: [us-east-1]\nendpoint_url: {}\naws_access_key: {key}\n\
                 aws_secret_key: {secret}\n{extra}",
                moto.endpoint
            ),
        );
        path
    };
    let err = load(&config("strict_aws_ec2.yml", "")).unwrap_err();
    for needed in [
        "ec2:DescribeInstances",
        "not authorized",
        "AmazonEC2ReadOnlyAccess",
        "strict_permissions",
    ] {
        assert!(err.contains(needed), "missing {needed:?} in: {err}");
    }
    assert!(!err.contains(&secret), "the secret key leaked into: {err}");
    let inv = load(&config(
        "lenient_aws_ec2.yml",
        "strict_permissions: false\n",
    ))
    .unwrap();
    assert_eq!(inv.hosts().count(), 0);
}
