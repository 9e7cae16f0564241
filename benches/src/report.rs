//! The figures of the benchmarks that set an engine operation beside its raw baseline
//! (`benches/ops.rs`, `benches/postgres.rs`): the two sides interleaved call by call in one
//! process (so a burst of load from other processes falls on both), and the table of figures
//! (operation, tenths, baseline, ratio, goal, met) printed as Markdown.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Whether criterion runs as a benchmark (`cargo bench`), not in its test mode or a listing.
pub fn benchmarking() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    has("--bench") && !has("--test") && !has("--list")
}

/// One row of the table.
pub struct Figure {
    op: String,
    tenths: String,
    baseline: String,
    ratio: String,
    goal: String,
    met: String,
}

/// The table of figures of a benchmark run.
pub struct Table(pub Vec<Figure>);

impl Table {
    /// Adds a row (and prints it); `met` is `None` where no goal is set.
    pub fn add(&mut self, op: &str, tenths: String, baseline: String, ratio: String, goal: &str, met: Option<bool>) {
        let met = match met {
            Some(true) => "yes".to_string(),
            Some(false) => "no".to_string(),
            None => "n/a".to_string(),
        };
        let f = Figure { op: op.into(), tenths, baseline, ratio, goal: goal.into(), met };
        println!("{} | tenths {} | baseline {} | ratio {} | goal {} | met {}", f.op, f.tenths, f.baseline, f.ratio, f.goal, f.met);
        self.0.push(f);
    }

    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::from("| operation | tenths | baseline | ratio | goal | met |\n|---|---|---|---|---|---|\n");
        for f in &self.0 {
            let _ = writeln!(s, "| {} | {} | {} | {} | {} | {} |", f.op, f.tenths, f.baseline, f.ratio, f.goal, f.met);
        }
        s
    }
}

/// The median.
pub fn p50(xs: &[Duration]) -> Duration {
    let mut v = xs.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The sum.
pub fn total(xs: &[Duration]) -> Duration {
    xs.iter().sum()
}

/// Microseconds, one decimal.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// `n` per second over `d`.
pub fn rate(n: f64, d: Duration) -> f64 {
    n / d.as_secs_f64().max(1e-12)
}

/// A rate, in thousands past 10,000.
pub fn krate(r: f64) -> String {
    if r >= 10_000.0 {
        format!("{:.0} k/s", r / 1e3)
    } else {
        format!("{r:.0}/s")
    }
}

/// Runs `e(i)` and `r(i)` alternately `n` times; the time of each call.
pub fn interleave(n: usize, mut e: impl FnMut(usize), mut r: impl FnMut(usize)) -> (Vec<Duration>, Vec<Duration>) {
    let (mut te, mut tr) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        if i % 2 == 0 {
            let t = Instant::now();
            e(i);
            te.push(t.elapsed());
            let t = Instant::now();
            r(i);
            tr.push(t.elapsed());
        } else {
            let t = Instant::now();
            r(i);
            tr.push(t.elapsed());
            let t = Instant::now();
            e(i);
            te.push(t.elapsed());
        }
    }
    (te, tr)
}
