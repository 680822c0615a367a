# Shared helpers for the scripts in this folder. Sourced, not run.

if [ -t 1 ]; then bold=$'\033[1m'; red=$'\033[31m'; reset=$'\033[0m'; else bold=; red=; reset=; fi

# say MESSAGE: announce a step.
say() { printf '%s==> %s%s\n' "$bold" "$*" "$reset"; }

# die MESSAGE: one-line error with the fix, non-zero exit.
die() { printf '%serror:%s %s\n' "$red" "$reset" "$*" >&2; exit 1; }

# timed LABEL COMMAND...: run a step, announce it, report how long it took; a failing step
# returns its status (also where `set -e` does not apply, as in an `if` condition).
timed() {
  local label=$1 start=$SECONDS
  shift
  say "$label"
  "$@" || return
  say "$label: ok in $((SECONDS - start)) s"
}

# The RUSTFLAGS of OSS-Fuzz's AddressSanitizer build of Rust (its image's `compile` sets them;
# cargo-fuzz adds its own after them). `lockstep fuzz` builds its targets with the same flags
# (harness/cli/src/builds.rs), so the scripts that build fuzz targets share its build.
OSS_FUZZ_RUSTFLAGS="--cfg fuzzing -Zsanitizer=address -Cdebuginfo=1 -Cforce-frame-pointers"
