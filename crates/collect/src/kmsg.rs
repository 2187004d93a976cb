//! dom0's kernel log, read from `/dev/kmsg` and rendered as classic `dmesg` text.
//!
//! Reading `/dev/kmsg` needs no external tool and never clears anything (unlike
//! `dmesg -c`). Each record is `prio,seq,usec,flags[,…];text`, followed by optional
//! continuation lines starting with a space (device properties), which `dmesg` omits too.
//! Non-printable bytes arrive escaped as `\xNN` and are restored.

use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Most the kernel log may contribute (the ring is at most a few MiB).
const MAX_BYTES: usize = 64 << 20;

/// Reads every record currently in `/dev/kmsg` (or a regular file holding such records).
pub(crate) fn read_kmsg(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let mut all = Vec::new();
    // One record per read(); a record is at most about 8 KiB of text.
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                all.extend_from_slice(&buf[..n]);
                if all.len() > MAX_BYTES {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            // EPIPE: the record at our position was overwritten; the next read continues.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(all)
}

/// Renders `/dev/kmsg` records as `[    0.000000] text` lines, the format of `dmesg`.
///
/// Lines that are not records are kept as they are, so nothing is silently dropped.
pub fn kmsg_to_dmesg(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for line in raw.split(|&b| b == b'\n') {
        if line.is_empty() || line[0] == b' ' {
            continue;
        }
        let Some(semi) = line.iter().position(|&b| b == b';') else {
            out.extend_from_slice(line);
            out.push(b'\n');
            continue;
        };
        let header = String::from_utf8_lossy(&line[..semi]);
        let usec = header.split(',').nth(2).and_then(|u| u.parse::<u64>().ok());
        let Some(usec) = usec else {
            out.extend_from_slice(line);
            out.push(b'\n');
            continue;
        };
        out.extend_from_slice(
            format!("[{:5}.{:06}] ", usec / 1_000_000, usec % 1_000_000).as_bytes(),
        );
        unescape_into(&line[semi + 1..], &mut out);
        out.push(b'\n');
    }
    out
}

fn unescape_into(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\'
            && text.get(i + 1) == Some(&b'x')
            && let Some(v) = text
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_dmesg() {
        let raw = b"6,0,0,-;Linux version 6.1.0\n\
                    6,1,1234567,-,caller=T0;Command line: a=b\n SUBSYSTEM=acpi\n DEVICE=+acpi:x\n\
                    4,2,987654321,c;tab\\x09here \\x5c done\n\
                    garbage\n";
        let got = String::from_utf8(kmsg_to_dmesg(raw)).unwrap();
        assert_eq!(
            got,
            "[    0.000000] Linux version 6.1.0\n\
             [    1.234567] Command line: a=b\n\
             [  987.654321] tab\there \\ done\n\
             garbage\n"
        );
    }

    #[test]
    fn reads_a_plain_file() {
        let t = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(t.path(), b"6,0,5,-;x\n").unwrap();
        assert_eq!(read_kmsg(t.path()).unwrap(), b"6,0,5,-;x\n");
    }
}
