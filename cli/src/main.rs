//! `tenths`: the command line of the tenths engine.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tenths_cli::demo::{self, DemoOptions};

/// tenths: an embeddable engine for billable legal time entries.
#[derive(Debug, Parser)]
#[command(name = "tenths", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a month in the life of a small firm through the engine and print a report.
    ///
    /// Imports a firm (3 clients, 8 matters billed in 360, 900 and 36 second increments, UTBMS
    /// code types and codes, required code types, validation rules), captures a month of
    /// activities for each timekeeper (some overlapping) grouped into entries, runs timers,
    /// releases days, plays a PMS connector that accepts most entries and rejects some, fixes
    /// and re-releases the rejected ones, unreleases one, prints hours, units, statuses,
    /// failures and overlap, and writes the export CSV. The same seed gives the same data.
    ///
    /// The database file is recreated on every run: if PATH exists and is a tenths database,
    /// it is deleted together with its -wal and -shm files first (any other file is refused).
    Demo {
        /// Database file to (re)create.
        #[arg(long, value_name = "PATH", default_value = "tenths-demo.sqlite")]
        db: PathBuf,
        /// Export CSV to write [default: tenths-demo-export.csv next to the database].
        #[arg(long, value_name = "PATH")]
        csv: Option<PathBuf>,
        /// Seed of the generated data.
        #[arg(long, value_name = "N", default_value_t = 42)]
        seed: u64,
        /// Timekeepers (1 to 500).
        #[arg(long, value_name = "N", default_value_t = 5)]
        users: usize,
        /// Calendar days from Monday 2026-03-02 (1 to 3660); work happens on weekdays.
        #[arg(long, value_name = "N", default_value_t = 30)]
        days: usize,
        /// Entries per timekeeper and work day (1 to 40).
        #[arg(long, value_name = "N", default_value_t = 6)]
        entries_per_day: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { db, csv, seed, users, days, entries_per_day } => {
            let opts = DemoOptions { db, csv, seed, users, days, entries_per_day };
            match demo::run(&opts, &mut std::io::stdout()) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
