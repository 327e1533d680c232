//! Tests of known_hosts parsing and the trust decision, on fixtures made with OpenSSH's own
//! ssh-keygen (hashed lines from `ssh-keygen -H`, certificates from `ssh-keygen -s`).

use super::*;

const ED_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmRuNYIARPrfDEMnLdMiWHWTiUgZCMSoQvAueWvnY/h";
const ED_B: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr/ElPvXcf8x6VMULCU7iVIV41agmIYpPQ/7FVQnHdc";
const EC_A: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMkLXHhcA/Wv/qkjv/1X5VK1bKvq9UFDhnvHAptGd96xR/MsfYbLX89Ly7S67XjeQVeNMVO6AB1aP5MZJyyjAVs=";
const CA: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINBAt5c3X14+RGV/VyS0tEboAJ2DlknhSPcTeOwOTpaY";
/// ED_B's host certificate, signed by CA for principal web.example.com, valid 2020..2099.
const CERT_OK: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIPcZscJQtdMEppntHRmR6LFdz25EePiKxHyVVTrjnLKrAAAAIEr/ElPvXcf8x6VMULCU7iVIV41agmIYpPQ/7FVQnHdcAAAAAAAAAAAAAAACAAAABWhvc3QxAAAAEwAAAA93ZWIuZXhhbXBsZS5jb20AAAAAXgvhAAAAAAD0hQWAAAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDQQLeXN19ePkRlf1cktLRG6ACdg5ZJ4Uj3E3jsDk6WmAAAAFMAAAALc3NoLWVkMjU1MTkAAABApoYVa89hPGDVtRk27WUfWuKq61FWXzCvFevEzn6EWMRop91EphZ5ONwQQhcoeeJKDLM6m+wX4p4Peugt7EHZCw==";
/// The same, valid only on 2020-01-01.
const CERT_EXPIRED: &str = "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAICstuXgYFIat646P6fSFYW8xZdsD+WG1+wfUmYBavf1kAAAAIEr/ElPvXcf8x6VMULCU7iVIV41agmIYpPQ/7FVQnHdcAAAAAAAAAAAAAAACAAAABWhvc3QxAAAAEwAAAA93ZWIuZXhhbXBsZS5jb20AAAAAXgvhAAAAAABeDTKAAAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDQQLeXN19ePkRlf1cktLRG6ACdg5ZJ4Uj3E3jsDk6WmAAAAFMAAAALc3NoLWVkMjU1MTkAAABAmjPK4ny/MLsGustcDUmFXfI71HVQ9USA8mBmyN+e+CO0u7ZzeMu+t6S5Yn/ilei2O7fnPNfZWF1EZ6IGhKdnBg==";
const NOW_2025: u64 = 1_750_000_000;

fn key(text: &str) -> PublicKey {
    PublicKey::from_openssh(text).unwrap()
}

fn entries(text: &str) -> Vec<KnownHostsEntry> {
    parse_known_hosts(text, Path::new("/kh"))
}

fn check(host: &str, port: u16, k: &str, kh: &str, policy: HostKeyPolicy) -> HostKeyVerdict {
    check_host_key(host, port, &key(k), &entries(kh), policy)
}

#[test]
fn parses_lines_and_skips_junk() {
    let kh = format!(
        "# comment\n\nweb,10.0.0.1 {ED_A} comment here\n@revoked * {ED_B}\nbroken line\n@cert-authority *.example.com {CA}\n@bogus x {ED_A}\n"
    );
    let e = entries(&kh);
    assert_eq!(e.len(), 3);
    assert_eq!(
        (e[0].line, e[0].marker, e[0].hosts.as_str()),
        (3, None, "web,10.0.0.1")
    );
    assert_eq!((e[1].line, e[1].marker), (4, Some(Marker::Revoked)));
    assert_eq!((e[2].line, e[2].marker), (6, Some(Marker::CertAuthority)));
    assert_eq!(e[0].location(), "/kh:3");
}

#[test]
fn plain_names_comma_lists_and_ports() {
    let kh = format!("web,10.0.0.1 {ED_A}\n[10.0.0.2]:2222 {ED_B}\n");
    assert!(matches!(
        check("web", 22, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Known { line: 1, .. }
    ));
    assert!(matches!(
        check("10.0.0.1", 22, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Known { .. }
    ));
    // A plain entry does not cover another port, and a [host]:port entry only its port.
    assert_eq!(
        check("web", 2200, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
    assert!(matches!(
        check("10.0.0.2", 2222, ED_B, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Known { line: 2, .. }
    ));
    assert_eq!(
        check("10.0.0.2", 22, ED_B, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
}

#[test]
fn hashed_entries_from_ssh_keygen() {
    // `ssh-keygen -H` of "web.example.com ED_A" and "[10.0.1.5]:2222 ED_B".
    let kh = format!(
        "|1|Dchz6+UuFTbkRZ18wWHTN+I0H5Q=|12fLzgAwG7L3PzrbhuFWtokuC0g= {ED_A}\n|1|4Be6VO3fvYgbfu2OzE8v+l6ZKFQ=|SMGNWwlo9+F1o5yqH53O+5j5hqU= {ED_B}\n"
    );
    assert!(matches!(
        check("web.example.com", 22, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Known { line: 1, .. }
    ));
    assert!(matches!(
        check("10.0.1.5", 2222, ED_B, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Known { line: 2, .. }
    ));
    assert_eq!(
        check("10.0.1.5", 22, ED_B, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
    assert_eq!(
        check("other.example.com", 22, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
    // A hashed name with a different key of the same type: changed.
    assert!(matches!(
        check("web.example.com", 22, ED_B, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Changed { line: 1, .. }
    ));
}

#[test]
fn wildcards_and_negation() {
    let kh = format!("10.0.*,!10.0.9.9 {ED_A}\n");
    assert!(check("10.0.1.1", 22, ED_A, &kh, HostKeyPolicy::Strict).accepted());
    assert_eq!(
        check("10.0.9.9", 22, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
}

#[test]
fn changed_key_is_refused_whatever_the_policy_but_off() {
    let kh = format!("# first\nweb {ED_A}\n");
    let verdict = check("web", 22, ED_B, &kh, HostKeyPolicy::AcceptNew);
    assert_eq!(
        verdict,
        HostKeyVerdict::Changed {
            file: "/kh".into(),
            line: 2,
            entry: format!("web {ED_A}")
        }
    );
    assert!(!verdict.accepted());
    assert_eq!(
        check("web", 22, ED_B, &kh, HostKeyPolicy::Off),
        HostKeyVerdict::Unchecked
    );
}

#[test]
fn other_key_type_counts_as_new() {
    let kh = format!("web {EC_A}\n");
    assert_eq!(
        check("web", 22, ED_A, &kh, HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
    assert_eq!(
        check("web", 22, ED_A, &kh, HostKeyPolicy::AcceptNew),
        HostKeyVerdict::AcceptNew
    );
}

#[test]
fn revoked_is_refused_even_when_listed_or_unchecked() {
    let kh = format!("web {ED_A}\n@revoked * {ED_A}\n");
    for policy in [
        HostKeyPolicy::Strict,
        HostKeyPolicy::AcceptNew,
        HostKeyPolicy::Off,
    ] {
        let verdict = check("web", 22, ED_A, &kh, policy);
        assert_eq!(
            verdict,
            HostKeyVerdict::Revoked {
                file: "/kh".into(),
                line: 2
            }
        );
        assert!(!verdict.accepted());
    }
    assert!(check(
        "web",
        22,
        ED_B,
        &format!("web {ED_B}\n@revoked * {ED_A}\n"),
        HostKeyPolicy::Strict
    )
    .accepted());
}

#[test]
fn unknown_follows_policy() {
    assert_eq!(
        check("web", 22, ED_A, "", HostKeyPolicy::Strict),
        HostKeyVerdict::Unknown
    );
    assert_eq!(
        check("web", 22, ED_A, "", HostKeyPolicy::AcceptNew),
        HostKeyVerdict::AcceptNew
    );
    assert_eq!(
        check("web", 22, ED_A, "", HostKeyPolicy::Off),
        HostKeyVerdict::Unchecked
    );
}

#[test]
fn certificates_signed_by_a_listed_authority() {
    let cert = Certificate::from_openssh(CERT_OK).unwrap();
    let kh = entries(&format!("@cert-authority *.example.com {CA}\n"));
    let strict = HostKeyPolicy::Strict;
    assert!(has_cert_authority("web.example.com", 22, &kh));
    assert!(matches!(
        check_host_certificate("web.example.com", 22, &cert, &kh, strict, NOW_2025),
        HostKeyVerdict::Known { line: 1, .. }
    ));
    // Authority listed, wrong principal.
    let verdict = check_host_certificate("db.example.com", 22, &cert, &kh, strict, NOW_2025);
    assert!(
        matches!(&verdict, HostKeyVerdict::CertificateInvalid { why } if why.contains("not for db.example.com")),
        "{verdict:?}"
    );
    // Expired.
    let expired = Certificate::from_openssh(CERT_EXPIRED).unwrap();
    assert!(matches!(
        check_host_certificate("web.example.com", 22, &expired, &kh, strict, NOW_2025),
        HostKeyVerdict::CertificateInvalid { .. }
    ));
    // No authority for this host: falls back to the plain key.
    let plain = entries(&format!("web.example.com {ED_B}\n"));
    assert!(
        check_host_certificate("web.example.com", 22, &cert, &plain, strict, NOW_2025).accepted()
    );
    assert_eq!(
        check_host_certificate("web.example.com", 22, &cert, &[], strict, NOW_2025),
        HostKeyVerdict::Unknown
    );
    // A revoked authority.
    let revoked = entries(&format!("@cert-authority * {CA}\n@revoked * {CA}\n"));
    assert!(matches!(
        check_host_certificate("web.example.com", 22, &cert, &revoked, strict, NOW_2025),
        HostKeyVerdict::Revoked { line: 2, .. }
    ));
}

#[test]
fn append_creates_records_once_and_keeps_lines_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub/known_hosts");
    append_known_host(&file, "10.0.0.7", 2222, &key(ED_A)).unwrap();
    append_known_host(&file, "10.0.0.7", 2222, &key(ED_A)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("[10.0.0.7]:2222 {ED_A}\n")
    );
    // A file whose last line lacks its newline gets one before the new entry.
    std::fs::write(&file, format!("old {ED_B}")).unwrap();
    append_known_host(&file, "web", 22, &key(ED_A)).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, format!("old {ED_B}\nweb {ED_A}\n"));
    let parsed = load_known_hosts(&[file.clone(), dir.path().join("missing")]);
    assert!(check_host_key("web", 22, &key(ED_A), &parsed, HostKeyPolicy::Strict).accepted());
    append_known_host(Path::new("/dev/null"), "web", 22, &key(ED_A)).unwrap();
}
