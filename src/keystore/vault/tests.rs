use super::*;

/// A fresh directory under the temp dir for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llm-mcp-vault-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn saved(dir: &Path) -> PathBuf {
    let path = dir.join("sub").join("vault");
    let mut vault = Vault::empty();
    vault.set("A_KEY", Secret::new("sk-alpha".into())).unwrap();
    vault.set("B_KEY", Secret::new("sk-beta".into())).unwrap();
    vault.save(&path, "right").unwrap();
    path
}

#[test]
fn round_trip_without_plaintext_on_disk() {
    let dir = temp_dir("round");
    let path = saved(&dir);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(8).any(|w| w == b"sk-alpha"));
    assert!(!bytes.windows(5).any(|w| w == b"A_KEY"));
    let mut vault = Vault::open(&path, "right").unwrap();
    assert_eq!(vault.names().collect::<Vec<_>>(), ["A_KEY", "B_KEY"]);
    assert_eq!(vault.get("A_KEY").unwrap().expose(), "sk-alpha");
    assert!(vault.remove("A_KEY"));
    assert!(!vault.remove("A_KEY"));
    vault.save(&path, "right").unwrap();
    let again = Vault::open(&path, "right").unwrap();
    assert_eq!(again.names().collect::<Vec<_>>(), ["B_KEY"]);
    assert!(!format!("{again:?}").contains("sk-beta"));
    // No temporary file is left beside the vault.
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_passphrase_and_damage_are_told_apart() {
    let dir = temp_dir("damage");
    let path = saved(&dir);
    assert!(matches!(
        Vault::open(&path, "wrong"),
        Err(KeystoreError::WrongPassphrase { .. })
    ));
    let good = std::fs::read(&path).unwrap();
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    std::fs::write(&path, &flipped).unwrap();
    let err = Vault::open(&path, "right").unwrap_err();
    assert!(matches!(err, KeystoreError::Corrupt { .. }), "{err}");
    // A header byte (a cost) changed: authenticated as associated data.
    let mut header = good.clone();
    header[MAGIC.len() + 4] ^= 1;
    std::fs::write(&path, &header).unwrap();
    assert!(Vault::open(&path, "right").is_err());
    std::fs::write(&path, &good[..HEADER_LEN]).unwrap();
    assert!(matches!(
        Vault::open(&path, "right"),
        Err(KeystoreError::Corrupt { .. })
    ));
    std::fs::write(&path, b"not a vault at all, just some text here.....................................................").unwrap();
    assert!(matches!(
        Vault::open(&path, "right"),
        Err(KeystoreError::Corrupt { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("mode");
    let path = saved(&dir);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o077, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_path_follows_the_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let explicit = vars(&[(PATH_ENV, "/tmp/v"), ("XDG_CONFIG_HOME", "/x")]);
    assert_eq!(path(&explicit), Some(PathBuf::from("/tmp/v")));
    if !cfg!(windows) {
        let xdg = vars(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(path(&xdg), Some(PathBuf::from("/x/llm-mcp/vault")));
        let home = vars(&[("HOME", "/h")]);
        assert_eq!(path(&home), Some(PathBuf::from("/h/.config/llm-mcp/vault")));
    }
    assert_eq!(path(&vars(&[])), None);
}

#[cfg(unix)]
#[test]
fn a_passphrase_file_that_is_not_a_regular_file_is_refused_at_once() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("pass");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo_path = fifo.display().to_string();
    let env = move |name: &str| (name == PASSPHRASE_FILE_ENV).then(|| fifo_path.clone());
    // Opening the FIFO would wait for a writer forever; the check comes first.
    let err = passphrase(&env, &dir.join("vault"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a regular file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
