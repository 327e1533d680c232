//! A per-process scratch folder for targets whose parser reads a file: the input is written
//! there and loaded by path, the way play loads it.

use std::path::PathBuf;
use std::sync::OnceLock;

pub fn file(name: &str, text: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        // /dev/shm keeps the write out of the disk's way; any temp folder works.
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("play-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    });
    let path = dir.join(name);
    std::fs::write(&path, text).expect("scratch file");
    path
}
