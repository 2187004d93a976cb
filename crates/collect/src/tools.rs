//! Running the Xen tools (`xl`, `xenhypfs`), behind a trait so tests can replay real output.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a finished command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit code; `None` when killed by a signal or by the timeout.
    pub status: Option<i32>,
    /// Everything the command wrote to stdout: what collect stores, byte for byte.
    pub stdout: Vec<u8>,
    /// Its stderr; the last line goes to capture-log.txt when the command fails.
    pub stderr: Vec<u8>,
}

impl CommandOutput {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

/// Runs a Xen tool and returns its output.
///
/// An `Err` of kind [`io::ErrorKind::NotFound`] means the tool is not installed; collect then
/// falls back (privcmd for `xl`) or records the gap.
pub trait XenTools {
    /// Runs `program` (`xl` or `xenhypfs`) with `args` until it exits; a non-zero exit is
    /// `Ok` with its status, `Err` means it could not be started.
    fn run(&mut self, program: &str, args: &[&str]) -> io::Result<CommandOutput>;

    /// Whether `program` is installed (decides between `xl` and privcmd).
    fn available(&mut self, program: &str) -> bool;
}

/// Runs the real tools found in `PATH`, the usual sbin directories and Debian's
/// `/usr/lib/xen-<version>/bin` (where `xl` lives behind a version-picking wrapper).
#[derive(Debug, Clone)]
pub struct SystemTools {
    dirs: Vec<PathBuf>,
    timeout: Duration,
}

impl SystemTools {
    /// Search directories from `PATH` plus the Xen locations; each command may run `timeout`
    /// before it is killed (a wedged `xl` must not hang the collection).
    pub fn new(timeout: Duration) -> Self {
        let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        for d in [
            "/usr/local/sbin",
            "/usr/sbin",
            "/sbin",
            "/usr/local/bin",
            "/usr/bin",
            "/bin",
        ] {
            dirs.push(d.into());
        }
        // Newest Xen release first, so a leftover older tools directory does not win.
        let mut xen_dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib")
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("xen-"))
            .map(|e| e.path().join("bin"))
            .collect();
        xen_dirs.sort();
        xen_dirs.reverse();
        dirs.extend(xen_dirs);
        Self { dirs, timeout }
    }

    fn locate(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            return Some(PathBuf::from(program));
        }
        self.dirs
            .iter()
            .map(|d| d.join(program))
            .find(|p| is_executable(p))
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl XenTools for SystemTools {
    fn available(&mut self, program: &str) -> bool {
        self.locate(program).is_some()
    }

    fn run(&mut self, program: &str, args: &[&str]) -> io::Result<CommandOutput> {
        let path = self.locate(program).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("{program}: not found"))
        })?;
        let mut child = Command::new(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let out = child.stdout.take().map(drain);
        let err = child.stderr.take().map(drain);
        // None: a timeout too long to represent never expires (the CLI caps it at a day).
        let deadline = Instant::now().checked_add(self.timeout);
        let expired = || deadline.is_some_and(|d| Instant::now() >= d);
        let status = loop {
            if let Some(st) = child.try_wait()? {
                break st.code();
            }
            if expired() {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(10));
        };
        let join = |h: Option<thread::JoinHandle<Vec<u8>>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        let mut stderr = join(err);
        if status.is_none() && expired() {
            stderr.extend_from_slice(
                format!("dom0scope: killed after {} s\n", self.timeout.as_secs()).as_bytes(),
            );
        }
        Ok(CommandOutput {
            status,
            stdout: join(out),
            stderr,
        })
    }
}

fn drain<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}
