//! Host facts under Ansible's names (`ansible_hostname`, `ansible_distribution`, ...),
//! gathered from /proc, /sys, /etc and a few syscalls: no child processes, so a `facts`
//! request takes milliseconds.

mod docker;
mod net;
mod os;

use crate::{accounts, timefmt};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::ffi::CStr;
use std::path::Path;

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn uname() -> (String, String, String, String) {
    // SAFETY: utsname is plain data that uname fills with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Default::default();
    }
    let s = |f: &[libc::c_char]| {
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    (s(&u.sysname), s(&u.nodename), s(&u.release), s(&u.machine))
}

/// The canonical name /etc/hosts gives `host`, when it is a dotted name (what Python's
/// socket.getfqdn finds there), else `host` itself.
pub fn fqdn_from_hosts(hosts: &str, host: &str) -> String {
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let names: Vec<&str> = line.split_whitespace().skip(1).collect();
        if names.contains(&host) {
            if let Some(dotted) = names.iter().find(|n| n.contains('.')) {
                return dotted.to_string();
            }
        }
    }
    host.to_string()
}

/// kB values from /proc/meminfo.
pub fn meminfo(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// (vcpus, sockets, cores per socket) from /proc/cpuinfo.
pub fn cpu_counts(text: &str) -> (u64, u64, u64) {
    let mut vcpus = 0;
    let mut sockets = BTreeSet::new();
    let mut cores = 0;
    for l in text.lines() {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        match k.trim() {
            "processor" => vcpus += 1,
            "physical id" => {
                sockets.insert(v.trim().to_string());
            }
            "cpu cores" => cores = v.trim().parse().unwrap_or(cores),
            _ => {}
        }
    }
    let sockets = if sockets.is_empty() {
        vcpus
    } else {
        sockets.len() as u64
    };
    (vcpus, sockets, cores.max(1))
}

fn date_time() -> Value {
    let (epoch, micros) = timefmt::now_epoch();
    let t = timefmt::breakdown(epoch, micros, true);
    let u = timefmt::breakdown(epoch, micros, false);
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let week_monday = (t.yday + 7 - (t.weekday + 6) % 7) / 7;
    json!({
        "year": format!("{:04}", t.year),
        "month": format!("{:02}", t.month),
        "day": format!("{:02}", t.day),
        "hour": format!("{:02}", t.hour),
        "minute": format!("{:02}", t.minute),
        "second": format!("{:02}", t.second),
        "weekday": DAYS[t.weekday as usize % 7],
        "weekday_number": t.weekday.to_string(),
        "weeknumber": format!("{week_monday:02}"),
        "epoch": epoch.to_string(),
        "epoch_int": epoch.to_string(),
        "date": t.date(),
        "time": t.time(),
        "iso8601": format!("{}T{}Z", u.date(), u.time()),
        "iso8601_micro": format!("{}T{}.{:06}Z", u.date(), u.time(), micros),
        "iso8601_basic": format!("{}T{}{:06}", t.date().replace('-', ""), t.time().replace(':', ""), micros),
        "iso8601_basic_short": format!("{}T{}", t.date().replace('-', ""), t.time().replace(':', "")),
        "tz": t.zone,
        "tz_dst": if t.isdst { t.zone.clone() } else { String::new() },
        "tz_offset": t.tz_offset(),
    })
}

fn mounts() -> Value {
    const LOCAL: &[&str] = &[
        "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "zfs", "f2fs",
    ];
    let text = read("/proc/mounts").unwrap_or_default();
    let list: Vec<Value> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 4 || !LOCAL.contains(&f[2]) {
                return None;
            }
            let mount = f[1].replace("\\040", " ");
            let c = std::ffi::CString::new(mount.as_bytes()).ok()?;
            // SAFETY: statvfs is plain data filled by the call; c is a valid path.
            let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
            if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
                return None;
            }
            let bs = s.f_frsize as u64;
            Some(json!({
                "mount": mount, "device": f[0], "fstype": f[2], "options": f[3],
                "size_total": s.f_blocks as u64 * bs, "size_available": s.f_bavail as u64 * bs,
                "block_size": bs, "block_total": s.f_blocks as u64, "block_available": s.f_bavail as u64,
                "inode_total": s.f_files as u64, "inode_available": s.f_favail as u64,
            }))
        })
        .collect();
    Value::Array(list)
}

/// Gathers every fact.
pub fn gather() -> Map<String, Value> {
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        f.insert(k.to_string(), v);
    };
    let (system, nodename, kernel, machine) = uname();
    let hostname = nodename.split('.').next().unwrap_or("").to_string();
    let fqdn = fqdn_from_hosts(&read("/etc/hosts").unwrap_or_default(), &nodename);
    put(
        "ansible_domain",
        fqdn.split_once('.').map(|(_, d)| d).unwrap_or("").into(),
    );
    put("ansible_hostname", hostname.into());
    put("ansible_nodename", nodename.clone().into());
    put("ansible_fqdn", fqdn.into());
    put("ansible_system", system.into());
    put("ansible_kernel", kernel.into());
    put(
        "ansible_kernel_version",
        read("/proc/sys/kernel/version")
            .unwrap_or_default()
            .trim()
            .into(),
    );
    put("ansible_architecture", machine.clone().into());
    put("ansible_machine", machine.into());
    put(
        "ansible_machine_id",
        read("/etc/machine-id").unwrap_or_default().trim().into(),
    );

    let osr = os::parse_os_release(
        &read("/etc/os-release")
            .or_else(|| read("/usr/lib/os-release"))
            .unwrap_or_default(),
    );
    let d = os::distribution(&osr, read("/etc/debian_version").as_deref());
    put("ansible_distribution", d.name.into());
    put("ansible_distribution_version", d.version.into());
    put("ansible_distribution_major_version", d.major.into());
    put("ansible_distribution_release", d.release.into());
    put("ansible_os_family", d.family.into());

    let mem = read("/proc/meminfo").unwrap_or_default();
    let mb = |k: &str| meminfo(&mem, k).map(|kb| kb / 1024).unwrap_or(0);
    put("ansible_memtotal_mb", mb("MemTotal").into());
    put("ansible_memfree_mb", mb("MemFree").into());
    put("ansible_swaptotal_mb", mb("SwapTotal").into());
    put("ansible_swapfree_mb", mb("SwapFree").into());
    let (vcpus, sockets, cores) = cpu_counts(&read("/proc/cpuinfo").unwrap_or_default());
    put("ansible_processor_vcpus", vcpus.into());
    put("ansible_processor_count", sockets.into());
    put("ansible_processor_cores", cores.into());
    put(
        "ansible_processor_nproc",
        std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(vcpus)
            .into(),
    );

    let systemd = Path::new("/run/systemd/system").exists();
    let init = read("/proc/1/comm").unwrap_or_default().trim().to_string();
    put(
        "ansible_service_mgr",
        (if systemd { "systemd".to_string() } else { init }).into(),
    );
    let pkg = if Path::new("/usr/bin/apt-get").exists() {
        "apt"
    } else if Path::new("/usr/bin/dnf").exists() {
        "dnf"
    } else if Path::new("/usr/bin/yum").exists() {
        "yum"
    } else {
        "unknown"
    };
    put("ansible_pkg_mgr", pkg.into());

    // SAFETY: geteuid/getegid cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let me = accounts::user_by_uid(uid);
    put(
        "ansible_user_id",
        me.as_ref()
            .map_or_else(|| uid.to_string(), |u| u.name.clone())
            .into(),
    );
    put("ansible_user_uid", uid.into());
    put("ansible_user_gid", gid.into());
    put(
        "ansible_user_dir",
        me.as_ref()
            .map(|u| u.home.clone())
            .unwrap_or_default()
            .into(),
    );
    put(
        "ansible_user_shell",
        me.as_ref()
            .map(|u| u.shell.clone())
            .unwrap_or_default()
            .into(),
    );
    put(
        "ansible_user_gecos",
        me.map(|u| u.gecos).unwrap_or_default().into(),
    );
    let env: Map<String, Value> = std::env::vars().map(|(k, v)| (k, v.into())).collect();
    put("ansible_env", Value::Object(env));

    put("ansible_date_time", date_time());
    let uptime = read("/proc/uptime")
        .and_then(|u| u.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    put("ansible_uptime_seconds", (uptime as u64).into());
    put(
        "ansible_product_name",
        read("/sys/class/dmi/id/product_name")
            .unwrap_or_default()
            .trim()
            .into(),
    );
    put(
        "ansible_system_vendor",
        read("/sys/class/dmi/id/sys_vendor")
            .unwrap_or_default()
            .trim()
            .into(),
    );
    put("ansible_mounts", mounts());
    put("play_docker", docker::fact());
    net::add_facts(&mut f);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn parsers() {
        assert_eq!(
            fqdn_from_hosts(
                "127.0.0.1 localhost\n10.0.0.5 vm1.example.internal vm1 # x\n",
                "vm1"
            ),
            "vm1.example.internal"
        );
        assert_eq!(fqdn_from_hosts("127.0.0.1 localhost\n", "vm1"), "vm1");
        assert_eq!(
            meminfo("MemTotal:       16384000 kB\nMemFree: 1024 kB\n", "MemFree"),
            Some(1024)
        );
        let cpu = "processor\t: 0\nphysical id\t: 0\ncpu cores\t: 2\n\nprocessor\t: 1\nphysical id\t: 0\ncpu cores\t: 2\n";
        assert_eq!(cpu_counts(cpu), (2, 1, 2));
        assert_eq!(cpu_counts("processor : 0\nprocessor : 1\n"), (2, 2, 1));
    }

    #[test]
    fn gathers_sane_facts_quickly() {
        gather();
        let started = Instant::now();
        let f = gather();
        let took = started.elapsed();
        assert_eq!(f["ansible_system"], "Linux");
        assert_eq!(f["ansible_architecture"], "x86_64");
        assert!(!f["ansible_hostname"].as_str().unwrap().is_empty());
        assert!(f["ansible_memtotal_mb"].as_u64().unwrap() > 0);
        assert!(f["ansible_processor_vcpus"].as_u64().unwrap() >= 1);
        assert_eq!(f["ansible_os_family"], "Debian");
        assert_eq!(f["ansible_pkg_mgr"], "apt");
        assert_eq!(f["ansible_user_id"], "root");
        assert!(f["ansible_env"].get("PATH").is_some());
        assert!(f["ansible_date_time"]["iso8601"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
        assert!(f["ansible_interfaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "lo"));
        assert!(f["play_docker"].get("installed").is_some());
        // The target is 20 ms on a VM; allow slack for a loaded shared test machine.
        assert!(took.as_millis() < 500, "facts took {took:?}");
    }
}
