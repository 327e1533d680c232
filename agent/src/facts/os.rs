//! Distribution facts from /etc/os-release, named and shaped as Ansible names them.

use std::collections::HashMap;

/// Parses os-release `KEY="value"` lines.
pub fn parse_os_release(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), v.replace("\\\"", "\""))
        })
        .collect()
}

/// The distribution facts Ansible reports.
#[derive(Debug, PartialEq, Eq)]
pub struct Distribution {
    pub name: String,
    pub version: String,
    pub major: String,
    pub release: String,
    pub family: String,
}

/// From os-release fields and, for Debian, /etc/debian_version (which has the point release).
pub fn distribution(os: &HashMap<String, String>, debian_version: Option<&str>) -> Distribution {
    let id = os.get("ID").map(String::as_str).unwrap_or("linux");
    let like = os.get("ID_LIKE").map(String::as_str).unwrap_or("");
    let name = match id {
        "debian" => "Debian".to_string(),
        "ubuntu" => "Ubuntu".to_string(),
        "rhel" => "RedHat".to_string(),
        "centos" => "CentOS".to_string(),
        "fedora" => "Fedora".to_string(),
        "rocky" => "Rocky".to_string(),
        "almalinux" => "AlmaLinux".to_string(),
        "amzn" => "Amazon".to_string(),
        "alpine" => "Alpine".to_string(),
        _ => os
            .get("NAME")
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("Linux")
            .to_string(),
    };
    let mut version = os.get("VERSION_ID").cloned().unwrap_or_default();
    if id == "debian" {
        if let Some(dv) = debian_version
            .map(str::trim)
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        {
            version = dv.to_string();
        }
    }
    let major = version.split('.').next().unwrap_or("").to_string();
    let release = os
        .get("VERSION_CODENAME")
        .or_else(|| os.get("UBUNTU_CODENAME"))
        .cloned()
        .unwrap_or_default();
    let words: Vec<&str> = std::iter::once(id).chain(like.split_whitespace()).collect();
    let family = if words.iter().any(|w| *w == "debian" || *w == "ubuntu") {
        "Debian"
    } else if words
        .iter()
        .any(|w| matches!(*w, "rhel" | "fedora" | "centos"))
    {
        "RedHat"
    } else if id == "alpine" {
        "Alpine"
    } else {
        name.as_str()
    }
    .to_string();
    Distribution {
        name,
        version,
        major,
        release,
        family,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_and_ubuntu() {
        let os = parse_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        );
        let d = distribution(&os, Some("12.5\n"));
        assert_eq!(
            d,
            Distribution {
                name: "Debian".into(),
                version: "12.5".into(),
                major: "12".into(),
                release: "bookworm".into(),
                family: "Debian".into()
            }
        );
        let os = parse_os_release(
            "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n",
        );
        let d = distribution(&os, Some("bookworm/sid"));
        assert_eq!(
            (d.name.as_str(), d.version.as_str(), d.major.as_str()),
            ("Ubuntu", "22.04", "22")
        );
        assert_eq!((d.release.as_str(), d.family.as_str()), ("jammy", "Debian"));
        let d = distribution(
            &parse_os_release("ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=9.3\n"),
            None,
        );
        assert_eq!(d.family, "RedHat");
    }
}
