//! The unified diff `register --dry-run` prints: one hunk around the lines that changed.

use std::path::Path;

/// Lines of context around the change, as `diff -u` shows.
const CONTEXT: usize = 3;

/// A unified diff from `old` (`None`: the file does not exist) to `new`. The change is one
/// insertion or replacement inside the file, so the lines outside the common prefix and suffix
/// form a single hunk; no line-matching search is needed, even for a large ~/.claude.json.
pub(super) fn unified(path: &Path, old: Option<&str>, new: &str) -> String {
    let old_lines: Vec<&str> = old.map(|t| t.lines().collect()).unwrap_or_default();
    let new_lines: Vec<&str> = new.lines().collect();
    let prefix = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = old_lines[prefix..]
        .iter()
        .rev()
        .zip(new_lines[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let name = path.display();
    let mut out = match old {
        Some(_) => format!("--- {name}\n+++ {name}\n"),
        None => format!("--- /dev/null\n+++ {name}\n"),
    };
    if prefix == old_lines.len() && prefix == new_lines.len() {
        return out;
    }
    let start = prefix.saturating_sub(CONTEXT);
    let old_changed_end = old_lines.len() - suffix;
    let new_changed_end = new_lines.len() - suffix;
    let trailing = suffix.min(CONTEXT);
    let old_len = old_changed_end + trailing - start;
    let new_len = new_changed_end + trailing - start;
    // A range of no lines is numbered by the line before it (0 for an empty file).
    let first = |len: usize| if len == 0 { start } else { start + 1 };
    out.push_str(&format!(
        "@@ -{},{old_len} +{},{new_len} @@\n",
        first(old_len),
        first(new_len)
    ));
    for line in &old_lines[start..prefix] {
        out.push_str(&format!(" {line}\n"));
    }
    for line in &old_lines[prefix..old_changed_end] {
        out.push_str(&format!("-{line}\n"));
    }
    for line in &new_lines[prefix..new_changed_end] {
        out.push_str(&format!("+{line}\n"));
    }
    for line in &old_lines[old_changed_end..old_changed_end + trailing] {
        out.push_str(&format!(" {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insertion_shows_as_one_hunk_with_context() {
        let old = "{\n  \"a\": 1,\n  \"b\": 2\n}\n";
        let new = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}\n";
        let diff = unified(Path::new("f.json"), Some(old), new);
        assert_eq!(
            diff,
            "--- f.json\n+++ f.json\n@@ -1,4 +1,5 @@\n {\n   \"a\": 1,\n-  \"b\": 2\n\
             +  \"b\": 2,\n+  \"c\": 3\n }\n"
        );
    }

    #[test]
    fn a_new_file_is_all_additions() {
        let diff = unified(Path::new("f.json"), None, "{\n}\n");
        assert_eq!(diff, "--- /dev/null\n+++ f.json\n@@ -0,0 +1,2 @@\n+{\n+}\n");
    }

    #[test]
    fn far_context_is_left_out() {
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        let diff = unified(Path::new("f"), Some(&old), &new);
        assert_eq!(
            diff,
            "--- f\n+++ f\n@@ -8,7 +8,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13\n"
        );
    }
}
