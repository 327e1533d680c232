//! Image references: `registry:5000/org/app:tag@sha256:...` split into their parts.
//!
//! The agent needs the repository (to pull), the tag or digest (to pin), and the registry
//! host (to find credentials in the Docker config); Docker's own grammar decides where the
//! registry ends: a first path component with a `.` or `:`, or `localhost`.

/// The registry Docker uses for names without a registry host, as the CLI keys it in
/// `config.json`.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Repository, registry host included when one was given (`reg:5000/app`).
    pub repo: String,
    pub tag: Option<String>,
    /// `sha256:...`
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `name`; `default_tag` applies only when `name` has neither tag nor digest
    /// (community.docker: a tag inside `name` wins over the `tag` option).
    pub fn parse(name: &str, default_tag: Option<&str>) -> Result<ImageRef, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("image name is empty".into());
        }
        if name.chars().any(|c| c.is_whitespace()) {
            return Err(format!("image name '{name}' contains whitespace"));
        }
        let (rest, digest) = match name.split_once('@') {
            Some((r, d)) => {
                if !d.starts_with("sha256:") || d.len() != 71 {
                    return Err(format!(
                        "image '{name}': digest must be sha256: followed by 64 hex digits"
                    ));
                }
                (r, Some(d.to_string()))
            }
            None => (name, None),
        };
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (repo, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        if repo.is_empty() || tag.as_deref() == Some("") {
            return Err(format!("image name '{name}' is malformed"));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some(default_tag.unwrap_or("latest").to_string()),
            (None, Some(_)) => None,
        };
        Ok(ImageRef {
            repo: repo.to_string(),
            tag,
            digest,
        })
    }

    /// The reference as Docker takes it: `repo@digest` when pinned, else `repo:tag`.
    pub fn pinned(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => format!("{}@{d}", self.repo),
            (None, Some(t)) => format!("{}:{t}", self.repo),
            (None, None) => self.repo.clone(),
        }
    }

    /// What `/images/create` takes in its `tag` parameter: the digest when pinned.
    pub fn tag_or_digest(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The registry host (`reg.example.com:5000`), `docker.io` for Docker Hub names.
    pub fn registry(&self) -> &str {
        match self.repo.split_once('/') {
            Some((first, _))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                first
            }
            _ => "docker.io",
        }
    }

    /// Whether an entry of `RepoDigests` (`repo@sha256:..`) belongs to this repository.
    /// Docker stores Hub names normalised (`nginx` as `nginx`, sometimes `docker.io/library/nginx`).
    pub fn repo_digest_in<'a>(&self, repo_digests: &'a [String]) -> Option<&'a str> {
        let wanted = normalise_repo(&self.repo);
        repo_digests.iter().find_map(|rd| {
            let (repo, digest) = rd.split_once('@')?;
            (normalise_repo(repo) == wanted).then_some(digest)
        })
    }
}

fn normalise_repo(repo: &str) -> String {
    let r = repo.strip_prefix("docker.io/").unwrap_or(repo);
    let r = r.strip_prefix("library/").unwrap_or(r);
    r.to_string()
}

/// Normalises a registry given by a user or found in `config.json` to the key the Docker CLI
/// uses: the host[:port] without scheme or path, and [`DOCKER_HUB_KEY`] for Docker Hub.
pub fn registry_key(url: &str) -> String {
    let host = url
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        ""
        | "docker.io"
        | "index.docker.io"
        | "registry-1.docker.io"
        | "registry.hub.docker.com" => DOCKER_HUB_KEY.to_string(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn tags_digests_and_registries_split_like_docker() {
        let r = ImageRef::parse("reg.example.com:5000/org/app:v1", None).unwrap();
        assert_eq!(
            (r.repo.as_str(), r.tag.as_deref()),
            ("reg.example.com:5000/org/app", Some("v1"))
        );
        assert_eq!(r.registry(), "reg.example.com:5000");
        let r = ImageRef::parse("localhost:5000/app", Some("v2")).unwrap();
        assert_eq!(r.pinned(), "localhost:5000/app:v2");
        assert_eq!(r.registry(), "localhost:5000");
        let r = ImageRef::parse("nginx", None).unwrap();
        assert_eq!(
            (r.pinned().as_str(), r.registry()),
            ("nginx:latest", "docker.io")
        );
        let r = ImageRef::parse(&format!("org/app@{D}"), Some("v1")).unwrap();
        assert_eq!((r.tag.as_deref(), r.tag_or_digest()), (None, D));
        assert_eq!(r.pinned(), format!("org/app@{D}"));
    }

    #[test]
    fn tag_in_name_wins_over_tag_option() {
        let r = ImageRef::parse("app:v1", Some("v9")).unwrap();
        assert_eq!(r.tag.as_deref(), Some("v1"));
    }

    #[test]
    fn bad_names_are_rejected() {
        assert!(ImageRef::parse("", None).is_err());
        assert!(ImageRef::parse("app:", None).is_err());
        assert!(ImageRef::parse("app@sha256:12", None).is_err());
        assert!(ImageRef::parse("my app", None).is_err());
    }

    #[test]
    fn repo_digests_match_normalised_hub_names() {
        let rds = vec![format!("docker.io/library/nginx@{D}")];
        assert_eq!(
            ImageRef::parse("nginx:1", None)
                .unwrap()
                .repo_digest_in(&rds),
            Some(D)
        );
        assert_eq!(
            ImageRef::parse("other:1", None)
                .unwrap()
                .repo_digest_in(&rds),
            None
        );
    }

    #[test]
    fn registry_keys_match_the_docker_cli() {
        assert_eq!(
            registry_key("https://reg.example.com:5000/v2/"),
            "reg.example.com:5000"
        );
        assert_eq!(registry_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(registry_key(DOCKER_HUB_KEY), DOCKER_HUB_KEY);
    }
}
