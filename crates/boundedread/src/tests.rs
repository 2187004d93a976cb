use std::time::{Duration, Instant};

use super::*;

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn a_regular_file_is_read_whole_within_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, b"hello").unwrap();
    assert_eq!(read(&p, 5).unwrap(), b"hello");
    let e = read(&p, 4).unwrap_err();
    assert!(matches!(
        e.problem(),
        Problem::TooLarge {
            limit: 4,
            size: Some(5)
        }
    ));
    assert_eq!(
        e.to_string(),
        format!("{}: larger than 4 bytes (5 bytes)", p.display())
    );
    let prefix = open(&p, Accept::RegularFile)
        .unwrap()
        .read_prefix(2)
        .unwrap();
    assert_eq!(
        prefix,
        Prefix {
            bytes: b"he".to_vec(),
            cut: true
        }
    );
}

/// `/proc` files say 0 bytes; their size shows only by reading, and the limit still holds.
#[test]
fn a_proc_file_is_bounded_by_reading_not_by_its_stat_size() {
    let p = Path::new("/proc/self/status");
    assert_eq!(std::fs::metadata(p).unwrap().len(), 0);
    assert!(read(p, 1 << 20).unwrap().starts_with(b"Name:"));
    let e = read(p, 10).unwrap_err();
    assert!(
        matches!(
            e.problem(),
            Problem::TooLarge {
                limit: 10,
                size: None
            }
        ),
        "{e}"
    );
}

#[test]
fn devices_directories_and_fifos_are_refused_without_opening_them() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let start = Instant::now();
    for (path, words) in [
        (
            Path::new("/dev/zero"),
            "is a character device, not a regular file",
        ),
        (dir.path(), "is a directory, not a regular file"),
        (fifo.as_path(), "is a FIFO (named pipe), not a regular file"),
    ] {
        let e = read(path, 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), format!("{}: {words}", path.display()));
        assert_eq!(e.path(), path);
    }
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_pipe_is_read_when_accepted_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, vec![b'x'; 100_000]))
    };
    let opened = open(&fifo, Accept::RegularFileOrPipe).unwrap();
    assert_eq!(opened.kind(), FileKind::Fifo);
    assert_eq!(opened.size(), None);
    let e = opened.read_to_limit(1000).unwrap_err();
    assert!(matches!(
        e.problem(),
        Problem::TooLarge {
            limit: 1000,
            size: None
        }
    ));
    drop(e);
    // The writer may see EPIPE once the reader is gone; it must not hang.
    let _ = writer.join().unwrap();
}

#[test]
fn an_os_error_is_kept_with_the_path() {
    let e = read(Path::new("/nonexistent/dom0scope"), 10).unwrap_err();
    assert_eq!(e.io_error().unwrap().kind(), io::ErrorKind::NotFound);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dom0scope: No such file")
    );
    assert!(std::error::Error::source(&e).is_none());
}

#[test]
fn text_must_be_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t");
    std::fs::write(&p, b"ok\xff").unwrap();
    let e = read_text(&p, 10).unwrap_err();
    assert!(e.to_string().ends_with("not UTF-8 text (byte 2)"), "{e}");
}
