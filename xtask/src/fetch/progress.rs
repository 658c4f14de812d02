//! Progress for long transfers: a bar (bytes, rate, ETA) on a terminal, plain lines otherwise,
//! with a heartbeat line every 30 s so buildbots do not time out on a silent step.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Downloads larger than this get a "this may take a while" line when they start.
const LARGE: u64 = 50 * 1024 * 1024;
const HEARTBEAT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

pub struct Bar {
    mode: ProgressMode,
    label: String,
    bar: Option<ProgressBar>,
    plain: Mutex<PlainState>,
    total: Option<u64>,
}

struct PlainState {
    position: u64,
    started: Instant,
    last_line: Instant,
}

impl Bar {
    pub fn start(mode: ProgressMode, label: &str, total: Option<u64>, from: &str) -> Bar {
        let size = total.map_or_else(|| "unknown size".to_owned(), human_bytes);
        if mode != ProgressMode::Quiet {
            eprintln!("fetch: {label} ({size}) from {from}");
            if total.is_some_and(|t| t >= LARGE) {
                eprintln!("fetch: {label} is a large download ({size}); this may take a while");
            }
        }
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(8));
            bar.set_style(
                ProgressStyle::with_template("{msg:20!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(label.to_owned());
            bar
        });
        let now = Instant::now();
        Bar {
            mode,
            label: label.to_owned(),
            bar,
            plain: Mutex::new(PlainState { position: 0, started: now, last_line: now }),
            total,
        }
    }

    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
        self.plain.lock().expect("progress lock").position = position;
    }

    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        let mut state = self.plain.lock().expect("progress lock");
        state.position += n;
        if self.mode == ProgressMode::Lines && state.last_line.elapsed() >= HEARTBEAT {
            state.last_line = Instant::now();
            let of = self.total.map(|t| format!(" of {}", human_bytes(t))).unwrap_or_default();
            eprintln!("fetch: {}: {}{of} so far", self.label, human_bytes(state.position));
        }
    }

    /// A line about this transfer (a retry, a resume) that does not break the bar.
    pub fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("fetch: {}: {message}", self.label)),
            None if self.mode != ProgressMode::Quiet => {
                eprintln!("fetch: {}: {message}", self.label)
            }
            None => {}
        }
    }

    pub fn finish(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.mode == ProgressMode::Quiet {
            return;
        }
        let state = self.plain.lock().expect("progress lock");
        let seconds = state.started.elapsed().as_secs_f64();
        let bytes = self.bar.as_ref().map_or(state.position, |b| b.position());
        let rate = if seconds > 0.0 { bytes as f64 / seconds } else { 0.0 };
        eprintln!("fetch: {}: {what} in {seconds:.1}s ({}/s)", self.label, human_bytes(rate as u64));
    }

    pub fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_are_shown_in_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(22_856_016), "21.8 MiB");
    }
}
