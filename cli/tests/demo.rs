//! End to end: the built `tenths` binary runs the demo on a temporary database, twice.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("tenths-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenths")).args(args).output().expect("the tenths binary runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const STATUSES: [&str; 6] = ["validation-pending", "validation-failed", "validation-succeeded", "release-pending", "release-succeeded", "release-failed"];

/// The count printed on the status line of `status` in the report.
fn status_count(report: &str, status: &str) -> usize {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(status) && l.trim_start()[status.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no line for {status} in:\n{report}"));
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count on {line:?}"))
}

fn csv_rows(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

#[test]
fn demo_runs_end_to_end_and_is_rerunnable() {
    let dir = TempDir::new("demo");
    let db = dir.path().join("demo.sqlite");
    let db_arg = db.to_str().unwrap();
    let args = ["demo", "--db", db_arg, "--users", "3", "--days", "10", "--seed", "7"];

    let (ok, report, err) = run(&args);
    assert!(ok, "demo failed:\nstdout:\n{report}\nstderr:\n{err}");
    for status in STATUSES {
        assert!(report.contains(status), "the report names {status}:\n{report}");
        assert!(status_count(&report, status) >= 1, "at least one entry is {status}:\n{report}");
    }
    assert!(report.contains("Overlap:"), "{report}");
    assert!(report.contains("PMS rejections"), "{report}");
    assert!(report.contains("Done in"), "{report}");
    // The progress bars never reach a pipe.
    assert!(!report.contains('['), "no progress bar on a pipe:\n{report}");

    let csv = dir.path().join("tenths-demo-export.csv");
    let rows = csv_rows(&csv);
    assert!(rows[0].starts_with("_id,customerId,userId,workDate"), "header: {}", rows[0]);
    assert!(rows.len() >= 2, "a header and at least one row");
    let exported = status_count(&report, "release-pending") + status_count(&report, "release-succeeded");
    assert_eq!(rows.len() - 1, exported, "one row per released entry");

    // Again on the same file: it is recreated, and the same seed gives the same report.
    let (ok, again, err) = run(&args);
    assert!(ok, "second run failed:\nstdout:\n{again}\nstderr:\n{err}");
    let strip = |r: &str| r.lines().filter(|l| !l.contains(" s:") && !l.contains(" in ") && !l.starts_with("Done in")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(strip(&report), strip(&again), "same seed, same report");
    assert_eq!(csv_rows(&csv).len(), rows.len());
    assert!(!dir.path().join("demo.sqlite-wal").exists() || std::fs::metadata(dir.path().join("demo.sqlite-wal")).unwrap().len() == 0);
}

#[test]
fn demo_writes_the_csv_where_asked_and_refuses_foreign_files() {
    let dir = TempDir::new("csv");
    let db = dir.path().join("a.sqlite");
    let csv = dir.path().join("out").join("export.csv");
    let (ok, report, err) = run(&["demo", "--db", db.to_str().unwrap(), "--csv", csv.to_str().unwrap(), "--users", "1", "--days", "3"]);
    assert!(ok, "{report}\n{err}");
    assert!(csv_rows(&csv).len() >= 2, "{report}");

    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, "not a database").unwrap();
    let (ok, _, err) = run(&["demo", "--db", foreign.to_str().unwrap(), "--users", "1", "--days", "3"]);
    assert!(!ok);
    assert!(err.contains("refusing to replace"), "{err}");
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "not a database", "left untouched");
}

#[test]
fn version_help_and_bad_arguments() {
    let (ok, out, _) = run(&["--version"]);
    assert!(ok);
    assert!(out.starts_with("tenths "), "{out}");
    let (ok, help, _) = run(&["--help"]);
    assert!(ok);
    assert!(help.contains("demo"), "{help}");
    let (ok, _, err) = run(&["demo", "--users", "0", "--db", "/nonexistent-dir-for-tenths/x.sqlite"]);
    assert!(!ok);
    assert!(err.contains("--users"), "{err}");
}
