//! moto's EC2 server (the AWS API emulator from PyPI) on 127.0.0.1, installed on first use.
//!
//! Installs: a Python venv at /var/cache/play-moto-venv (or $PLAY_MOTO_VENV) holding
//! `moto[server]` 5.x from PyPI, made with `python3 -m venv` + pip the first time a test needs
//! it (about a minute; later runs reuse it). Each test starts its own `moto_server` on a free
//! port, so instances never leak between tests, and stops it when done.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static INSTALL: Mutex<()> = Mutex::new(());

fn venv() -> PathBuf {
    std::env::var_os("PLAY_MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/play-moto-venv"))
}

/// The `moto_server` program, installing it first when missing.
fn moto_server() -> PathBuf {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let venv = venv();
    let program = venv.join("bin/moto_server");
    if program.is_file() {
        return program;
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "python3 -m venv {} failed: install python3 and python3-venv",
        venv.display()
    );
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "moto[server]>=5.1,<6"])
        .status();
    assert!(
        pip.is_ok_and(|s| s.success()),
        "pip install 'moto[server]' into {} failed (PyPI must be reachable)",
        venv.display()
    );
    assert!(
        program.is_file(),
        "{} missing after pip install",
        program.display()
    );
    program
}

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Starts moto with extra environment (e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let program = moto_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port} within 60s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

/// Makes an IAM user in moto allowed only `ec2:DescribeRegions`; returns its access key pair.
/// Uses boto3 from the venv (moto depends on it): three IAM calls.
pub fn user_without_describe_instances(moto: &Moto) -> (String, String) {
    let script = r#"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="viewer")
iam.put_user_policy(UserName="viewer", PolicyName="regions-only", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeRegions"], "Resource": "*"}]}))
key = iam.create_access_key(UserName="viewer")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
"#;
    let out = Command::new(venv().join("bin/python"))
        .args(["-c", script, &moto.endpoint])
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (id, secret) = text.trim().split_once(' ').expect("key id and secret");
    (id.to_string(), secret.to_string())
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
