#!/bin/bash -eu
# Builds lockstep's fuzz targets for OSS-Fuzz and ClusterFuzzLite, in their builder image
# (gcr.io/oss-fuzz-base/base-builder-rust), which sets $SRC, $OUT, $WORK, $SANITIZER and the
# RUSTFLAGS of the sanitizer build. For each target in fuzz/fuzz_targets/ it writes to $OUT:
#   <target>                  the libFuzzer binary (cargo fuzz build -O --debug-assertions;
#                             AddressSanitizer comes from cargo-fuzz and the image's RUSTFLAGS)
#   <target>_seed_corpus.zip  corpora/<target>/seeds/ and every regression case (its trace,
#                             and its fuzzer bytes where it has them): the target runs both
#   <target>.options          libFuzzer's and AddressSanitizer's settings for the target
#   <target>.dict             the words of the target's traces, for libFuzzer to splice
# LOCKSTEP_FUZZ_FEATURES (empty on OSS-Fuzz) is passed to the fuzz package as --features:
# scripts/oss-fuzz-check builds `seeded-bugs` in to show a stored crash reproduces.
cd "$SRC/lockstep"

features=()
if [ -n "${LOCKSTEP_FUZZ_FEATURES:-}" ]; then
  features=(--features "$LOCKSTEP_FUZZ_FEATURES")
fi
targets=()
for file in fuzz/fuzz_targets/*.rs; do
  targets+=("$(basename "$file" .rs)")
done

# One cargo-fuzz invocation per target, as `lockstep fuzz` builds them: with the image's RUSTFLAGS
# (which `lockstep fuzz` uses too) the two share every unit of the build.
for target in "${targets[@]}"; do
  cargo fuzz build -O --debug-assertions "${features[@]}" "$target"
done

# cargo-fuzz passes --target for the host; the binaries are under the workspace's target
# directory (CARGO_TARGET_DIR when the image or the user sets it).
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir="$target_dir/$host/release"

for target in "${targets[@]}"; do
  cp "$bin_dir/$target" "$OUT/"

  rm -f "$OUT/${target}_seed_corpus.zip"
  seeds=()
  while IFS= read -r -d '' file; do
    seeds+=("$file")
  done < <(find "corpora/$target/seeds" "corpora/$target/regressions" -type f \
             \( -path '*/seeds/*' -o -name '*.trace' -o -name '*.bin' \) -print0 2>/dev/null | sort -z)
  if [ ${#seeds[@]} -gt 0 ]; then
    # -j: flat, as libFuzzer reads a corpus; seed and case names are unique within a target.
    zip -q -j "$OUT/${target}_seed_corpus.zip" "${seeds[@]}"
  fi

  # max_len: as `lockstep fuzz`. detect_leaks=0: after an injected panic a spec may allow a
  # leak (std's collections leak too); the runner counts every tracked value and fails on the
  # leaks a spec forbids. detect_stack_use_after_return=0: the runner unwinds on every panic
  # an op raises by contract, and the structures keep their memory on the heap.
  cat > "$OUT/$target.options" <<OPTIONS
[libfuzzer]
max_len = 4096
detect_leaks = 0

[asan]
detect_leaks = 0
detect_stack_use_after_return = 0
OPTIONS

  {
    printf '"# lockstep trace\\x0a# target: %s\\x0a"\n' "$target"
    find "corpora/$target" -name '*.trace' -exec grep -hv '^#' {} + 2>/dev/null |
      grep -oE '[A-Za-z_][A-Za-z0-9_]*' | sort -u | sed 's/.*/"&"/'
  } > "$OUT/$target.dict"
done
