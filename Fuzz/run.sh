#!/usr/bin/env bash
# Builds (once) and runs one crtsim fuzz target with its seed corpus and dictionary.
#
#   Fuzz/run.sh TARGET [libFuzzer options...]      TARGET: phantom | scenario | acquisition | nifti
#
# Defaults: -runs=1000000 -max_total_time=3600 -rss_limit_mb=2048 -timeout=10, one job, nice 19. New corpus
# entries go to Fuzz/.work/TARGET/corpus (not checked in; the checked-in seeds in Fuzz/corpus/TARGET are only
# read), crash/timeout/oom reproducers to Fuzz/.work/TARGET/artifacts/, the log to Fuzz/.work/TARGET/fuzz.log.
# Later options override the defaults (e.g. Fuzz/run.sh nifti -max_total_time=60).
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: Fuzz/run.sh phantom|scenario|acquisition|nifti [libFuzzer options]}"
shift
case "$target" in phantom|scenario|acquisition|nifti) ;; *) echo "unknown target $target" >&2; exit 2 ;; esac
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
bin="$scratch/release/fuzz-$target"
if [ ! -x "$bin" ] || [ "${FUZZ_REBUILD:-1}" = 1 ]; then
    lock=(); command -v flock >/dev/null && lock=(flock /tmp/crtsim-swift-build.lock)
    "${lock[@]}" nice -n 10 swift build -c release --scratch-path "$scratch" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address \
        --product "fuzz-$target"
fi
work=".work/$target"
mkdir -p "$work/corpus" "$work/artifacts"
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Swift's own crash backtracer would run before (and clash with) libFuzzer's and ASan's handlers.
export SWIFT_BACKTRACE=enable=no
export CRTSIM_ROOT="$(cd .. && pwd)"
nice -n 19 "$bin" -runs=1000000 -max_total_time=3600 -rss_limit_mb=2048 -timeout=10 \
    -dict="dict/$target.dict" -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" \
    "$work/corpus" "corpus/$target" 2>&1 | tee "$work/fuzz.log"
