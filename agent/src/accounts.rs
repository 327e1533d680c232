//! Users and groups read straight from /etc/passwd and /etc/group.
//!
//! The agent is linked statically, where glibc's NSS lookups (getpwnam, ...) cannot load
//! their modules; and the user/group modules compare against the local files anyway, since
//! that is what useradd and groupadd change. Entries from LDAP or other NSS sources are
//! therefore not seen.

use std::path::Path;

/// One /etc/passwd line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

/// One /etc/group line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Tests that add or remove real accounts take this, so they never race each other.
#[cfg(test)]
pub static TEST_ETC_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub const PASSWD: &str = "/etc/passwd";
pub const GROUP: &str = "/etc/group";
pub const SHADOW: &str = "/etc/shadow";

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

pub fn parse_passwd(text: &str) -> Vec<User> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 7 || line.starts_with('#') {
                return None;
            }
            Some(User {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                gecos: f[4].to_string(),
                home: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect()
}

pub fn parse_group(text: &str) -> Vec<Group> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 || line.starts_with('#') {
                return None;
            }
            Some(Group {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

pub fn users() -> Vec<User> {
    parse_passwd(&read_lines(Path::new(PASSWD)).join("\n"))
}

pub fn groups() -> Vec<Group> {
    parse_group(&read_lines(Path::new(GROUP)).join("\n"))
}

pub fn user_by_name(name: &str) -> Option<User> {
    users().into_iter().find(|u| u.name == name)
}

pub fn user_by_uid(uid: u32) -> Option<User> {
    users().into_iter().find(|u| u.uid == uid)
}

pub fn group_by_name(name: &str) -> Option<Group> {
    groups().into_iter().find(|g| g.name == name)
}

pub fn group_by_gid(gid: u32) -> Option<Group> {
    groups().into_iter().find(|g| g.gid == gid)
}

/// A user given by name or number: the uid.
pub fn resolve_uid(spec: &str) -> Result<u32, String> {
    if let Some(u) = user_by_name(spec) {
        return Ok(u.uid);
    }
    spec.parse().map_err(|_| {
        format!("user '{spec}' does not exist in /etc/passwd: create it first (user module) or give a numeric uid")
    })
}

/// A group given by name or number: the gid.
pub fn resolve_gid(spec: &str) -> Result<u32, String> {
    if let Some(g) = group_by_name(spec) {
        return Ok(g.gid);
    }
    spec.parse().map_err(|_| {
        format!("group '{spec}' does not exist in /etc/group: create it first (group module) or give a numeric gid")
    })
}

/// Name for a uid, or the number when no entry exists.
pub fn user_name(uid: u32) -> String {
    user_by_uid(uid).map_or_else(|| uid.to_string(), |u| u.name)
}

/// Name for a gid, or the number when no entry exists.
pub fn group_name(gid: u32) -> String {
    group_by_gid(gid).map_or_else(|| gid.to_string(), |g| g.name)
}

/// The supplementary groups a user is listed in (not the primary group).
pub fn supplementary_groups(user: &str) -> Vec<Group> {
    groups()
        .into_iter()
        .filter(|g| g.members.iter().any(|m| m == user))
        .collect()
}

/// The password hash field of /etc/shadow for `user`, if readable.
pub fn shadow_hash(user: &str) -> Option<String> {
    read_lines(Path::new(SHADOW)).into_iter().find_map(|line| {
        let mut f = line.split(':');
        (f.next()? == user).then(|| f.next().unwrap_or("").to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passwd_and_group() {
        let users = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n# comment\nbad line\ndeploy:x:1001:1001:Deploy,,,:/home/deploy:/bin/sh\n",
        );
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].name, "deploy");
        assert_eq!(users[1].gecos, "Deploy,,,");
        let groups = parse_group("root:x:0:\ndocker:x:998:deploy,ci\n");
        assert_eq!(groups[0].members, Vec::<String>::new());
        assert_eq!(groups[1].members, vec!["deploy", "ci"]);
    }

    #[test]
    fn resolves_root_and_numbers() {
        assert_eq!(resolve_uid("root").unwrap(), 0);
        assert_eq!(resolve_uid("4321").unwrap(), 4321);
        assert!(resolve_uid("no-such-user-xyz")
            .unwrap_err()
            .contains("does not exist"));
        assert_eq!(resolve_gid("root").unwrap(), 0);
        assert_eq!(user_name(0), "root");
        assert_eq!(group_name(4_000_000), "4000000");
    }
}
