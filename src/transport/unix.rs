//! A Unix socket listener (`--listen unix:PATH`). The socket is a credential boundary: whoever
//! can open it can call every tool, with no token. So it is made mode 0600 (only its owner may
//! connect), in a directory only its owner may enter (created 0700 when missing; an existing
//! one that is someone else's, or open to others, is refused), and removed when the server
//! stops. A socket file left by a server that died is replaced; one a live server answers on
//! is not.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

/// A bound socket, removed from the filesystem on drop.
pub(crate) struct UnixBound {
    /// The listener.
    pub listener: UnixListener,
    path: PathBuf,
}

impl Drop for UnixBound {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Checks that `dir` is this user's and closed to everyone else.
pub(crate) fn check_private_dir(dir: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let uid = nix::unistd::getuid().as_raw();
    if meta.uid() != uid {
        return Err(format!(
            "{} belongs to uid {}, not to this user ({uid}): a socket there is not private",
            dir.display(),
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} is mode {mode:04o}: a socket there must be in a directory only its owner may enter (chmod 700 it, or use $XDG_RUNTIME_DIR)",
            dir.display()
        ));
    }
    Ok(())
}

/// Binds the socket at `path` (see the module's rules).
pub(crate) async fn bind(path: &Path) -> Result<UnixBound, String> {
    let shown = format!("unix:{}", path.display());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::atomic_file::create_private_dir(&dir).map_err(|err| {
        format!(
            "cannot listen on {shown}: creating {}: {err}",
            dir.display()
        )
    })?;
    check_private_dir(&dir).map_err(|err| format!("cannot listen on {shown}: {err}"))?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if tokio::net::UnixStream::connect(path).await.is_ok() {
                return Err(format!(
                    "cannot listen on {shown}: a server is already listening there"
                ));
            }
            // Left by a server that did not stop cleanly.
            std::fs::remove_file(path).map_err(|err| {
                format!("cannot listen on {shown}: removing the old socket: {err}")
            })?;
        }
        Ok(_) => {
            return Err(format!(
                "cannot listen on {shown}: {} exists and is not a socket",
                path.display()
            ));
        }
        Err(_) => {}
    }
    let listener =
        UnixListener::bind(path).map_err(|err| format!("cannot listen on {shown}: {err}"))?;
    let bound = UnixBound {
        listener,
        path: path.to_path_buf(),
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|err| format!("cannot listen on {shown}: making it private: {err}"))?;
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("llm-mcp-unix-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn the_socket_is_private_replaces_a_dead_one_and_is_removed_at_the_end() {
        let dir = temp("bind");
        let path = dir.join("sub").join("serve.sock");
        let bound = bind(&path).await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        // A live server keeps its socket.
        let err = bind(&path).await.err().unwrap();
        assert!(err.contains("already listening"), "{err}");
        drop(bound);
        assert!(!path.exists(), "removed at the end");
        // A socket nobody answers on (its server died) is replaced.
        let dead = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(dead);
        assert!(path.exists());
        let bound = bind(&path).await.unwrap();
        drop(bound);
        // Not a socket: left alone.
        std::fs::write(&path, b"data").unwrap();
        let err = bind(&path).await.err().unwrap();
        assert!(err.contains("is not a socket"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"data");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_directory_open_to_others_is_refused() {
        let dir = temp("open");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = bind(&dir.join("serve.sock")).await.err().unwrap();
        assert!(err.contains("mode 0755"), "{err}");
        assert!(!dir.join("serve.sock").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
