//! Running child processes with a time limit, capturing what they print.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// What a finished (or stopped) child printed, and how it ended.
#[derive(Debug)]
pub struct Finished {
    /// How it ended; `None` when it was killed for running out of time.
    pub status: Option<ExitStatus>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Finished {
    /// Whether it was killed for running out of time.
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    /// The exit code, if it exited.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// The signal that ended it, if one did.
    pub fn signal(&self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        self.status.and_then(|s| s.signal())
    }
}

/// What a child said last on stderr, as one line for an error of ours: its own `error: `
/// prefix removed (ours comes in front), and cut short when long.
pub fn last_words(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("it printed nothing");
    // Long enough for a message with its fix, short of echoing a whole input back.
    lockstep::trace::excerpt_to(line.strip_prefix("error: ").unwrap_or(line), 600)
}

/// Has the child killed when `lockstep` dies, however it dies (even by SIGKILL), so no fuzzer
/// keeps running and no build keeps cargo's lock. What a campaign found is already copied, or
/// recovered next time.
pub fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let hook = || {
        // SAFETY: PR_SET_PDEATHSIG takes a signal number and nothing else.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the hook runs in the child between fork and exec, where only async-signal-safe
    // functions may be called: it calls only `prctl`, which is one, and allocates nothing.
    unsafe { cmd.pre_exec(hook) };
}

/// Lowers the priority of the calling thread, and so of every process it starts from now on
/// (children inherit it), to `nice` 10: the work a campaign does beside the fuzzer (builds,
/// triage, shrinking, Miri) then takes what the fuzzer leaves of the cores, not half of its core.
pub fn yield_to_the_fuzzer() {
    // SAFETY: `gettid` takes no arguments and cannot fail.
    let tid = unsafe { libc::gettid() };
    // SAFETY: `setpriority` takes plain integers; on Linux `PRIO_PROCESS` with a thread id sets
    // that thread's nice value. Failing (a sandbox that forbids it) only leaves it where it was.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10) };
}

/// A signal's name and what it usually means: `SIGSEGV (segmentation fault)`.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV (segmentation fault)",
        libc::SIGABRT => "SIGABRT (abort)",
        libc::SIGBUS => "SIGBUS (bus error)",
        libc::SIGILL => "SIGILL (illegal instruction)",
        libc::SIGFPE => "SIGFPE (arithmetic error)",
        libc::SIGTRAP => "SIGTRAP (trap)",
        libc::SIGKILL => "SIGKILL (killed)",
        libc::SIGTERM => "SIGTERM (terminated)",
        other => return format!("signal {other}"),
    };
    name.to_owned()
}

/// Why a replay that died of `signal` said nothing, and how to learn more.
pub fn died_of(signal: i32) -> String {
    format!(
        "the replay died of {} without a report: undefined behaviour, most likely; replay it \
         with --asan (or --miri) to see what and where",
        signal_name(signal)
    )
}

/// Runs `cmd` to the end or until `limit`, whichever comes first, capturing its output.
pub fn run(cmd: &mut Command, limit: Duration) -> Result<Finished> {
    cmd.stdin(Stdio::null());
    run_with_stdin(cmd, limit)
}

/// [`run`], with the standard input `cmd` was given.
pub fn run_with_stdin(cmd: &mut Command, limit: Duration) -> Result<Finished> {
    die_with_parent(cmd);
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    // Both pipes are drained by threads, so a child that fills one cannot block on it.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait(&mut child, limit)?;
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` until `limit`; kills it then and returns `None`.
fn wait(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().context("waiting for a child process")? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child's `error: ` came out as `error: error: ...`, and a 35 KB line was echoed whole.
    #[test]
    fn signals_are_named_with_the_fix() {
        assert!(died_of(libc::SIGSEGV).contains("SIGSEGV (segmentation fault)"));
        assert!(died_of(libc::SIGSEGV).contains("--asan"));
        assert_eq!(signal_name(64), "signal 64");
    }

    #[test]
    fn last_words_drop_the_childs_prefix_and_stay_short() {
        assert_eq!(
            last_words("warning: x\nerror: no such target\n\n"),
            "no such target"
        );
        assert_eq!(last_words(""), "it printed nothing");
        let long = format!("error: `{}`", "9".repeat(35_000));
        assert!(last_words(&long).len() < 700, "{}", last_words(&long).len());
    }
}
