//! Tests for `fsutil`: atomic writes (incl. a simulated full disk), backups, checksums.
use super::*;

#[test]
fn writes_new_file_with_umask_mode_and_replaces_keeping_mode() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("a.conf");
    atomic_write(&dest, b"one\n", &WriteOptions::default()).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"one\n");
    assert_eq!(
        std::fs::metadata(&dest).unwrap().mode() & 0o777,
        0o666 & !umask()
    );
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o640)).unwrap();
    atomic_write(&dest, b"two\n", &WriteOptions::default()).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), b"two\n");
    assert_eq!(std::fs::metadata(&dest).unwrap().mode() & 0o777, 0o640);
    let opts = WriteOptions {
        mode: Some(0o600),
        ..Default::default()
    };
    atomic_write(&dest, b"three\n", &opts).unwrap();
    assert_eq!(std::fs::metadata(&dest).unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temp file left behind"
    );
}

#[test]
fn disk_full_keeps_old_file_and_removes_temp() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("keep");
    std::fs::write(&dest, b"old content\n").unwrap();
    let err = atomic_write_with(&dest, &WriteOptions::default(), |f| {
        f.write_all(b"half")?;
        Err(io::Error::from_raw_os_error(libc::ENOSPC))
    })
    .unwrap_err();
    assert!(err.contains("left unchanged"), "{err}");
    assert!(err.contains("No space left"), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"old content\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn failed_validation_keeps_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("sudoers");
    std::fs::write(&dest, b"good\n").unwrap();
    let seen = std::cell::RefCell::new(String::new());
    let validate = |p: &Path| -> Result<(), String> {
        *seen.borrow_mut() = std::fs::read_to_string(p).unwrap();
        Err("validation failed: syntax error".into())
    };
    let opts = WriteOptions {
        validate: Some(&validate),
        ..Default::default()
    };
    let err = atomic_write(&dest, b"bad\n", &opts).unwrap_err();
    assert!(err.contains("syntax error"));
    assert_eq!(*seen.borrow(), "bad\n");
    assert_eq!(std::fs::read(&dest).unwrap(), b"good\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn atomic_create_never_replaces_and_one_racer_wins() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("key");
    let opts = WriteOptions {
        mode: Some(0o600),
        ..Default::default()
    };
    assert!(atomic_create(&dest, b"first", &opts).unwrap());
    assert!(!atomic_create(&dest, b"second", &opts).unwrap());
    assert_eq!(std::fs::read(&dest).unwrap(), b"first");
    assert_eq!(std::fs::metadata(&dest).unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temp file left behind"
    );

    // Eight writers at once: exactly one creates the file, and it holds that writer's bytes.
    let race = dir.path().join("raced");
    let won: Vec<(bool, Vec<u8>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8u8)
            .map(|i| {
                let race = &race;
                s.spawn(move || {
                    let opts = WriteOptions {
                        mode: Some(0o600),
                        ..Default::default()
                    };
                    (atomic_create(race, &[i; 32], &opts).unwrap(), vec![i; 32])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&Vec<u8>> = won.iter().filter(|(w, _)| *w).map(|(_, b)| b).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(&std::fs::read(&race).unwrap(), winners[0]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn backup_copies_content_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x");
    std::fs::write(&f, b"data").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o604)).unwrap();
    let b = backup(&f).unwrap();
    assert!(b.ends_with('~') && b.contains('@'), "{b}");
    assert_eq!(std::fs::read(&b).unwrap(), b"data");
    assert_eq!(std::fs::metadata(&b).unwrap().mode() & 0o777, 0o604);
}

#[test]
fn checksums_and_diff_text() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x");
    std::fs::write(&f, b"abc").unwrap();
    assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(file_checksum(&f, "sha1").unwrap(), sha1_hex(b"abc"));
    assert_eq!(
        file_checksum(&f, "sha256").unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        file_checksum(&f, "md5").unwrap(),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert!(file_checksum(&f, "crc").is_err());
    assert_eq!(diff_text(b"a\n").unwrap(), "a\n");
    assert!(diff_text(b"a\0b").is_none());
}
