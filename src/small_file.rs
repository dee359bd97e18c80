//! Reading a small file that a variable or a flag names (a key file, a passphrase file, the
//! vault): only a regular file, and at most a bound. A FIFO would block the start until
//! something writes to it, and `/dev/zero` would never end.

use std::io::Read;
use std::path::Path;

/// The bytes of the regular file at `path`, or why not: not a regular file, unreadable, or
/// over `max` bytes (said in the error's text).
pub fn read(path: &Path, max: usize) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_a_directory_and_a_large_file_are_refused() {
        let err = read(Path::new("/dev/zero"), 16).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
        assert!(read(&std::env::temp_dir(), 16).is_err());
        let file = std::env::temp_dir().join(format!("llm-mcp-small-{}", std::process::id()));
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read(&file, 10).unwrap(), b"0123456789");
        assert_eq!(
            read(&file, 9).unwrap_err().to_string(),
            "larger than 9 bytes"
        );
        std::fs::remove_file(&file).unwrap();
    }
}
