#!/bin/sh
# A kit's run.sh: runs the suite from this folder's binaries, with no Rust toolchain, and leaves out/:
# criterion's data (with the record of size and machine beside every baseline), the JSON of `cvp run`,
# `cvp scale` (sleeps and sockets), `cvp latency` and `cvp server` (the sweep, --idle, --mix, --cores), and three
# `cvp trace` folders (the default timeline, one CPU, and net_bound's requests).
# CVP_PROFILE and the other CVP_* variables pass through. Stops at the first step that fails, naming it;
# out/ appears only when every step succeeded. Then, on a machine with this project's checkout:
#   scripts/record --from-kit <this folder>
set -eu
kit=$(cd "$(dirname "$0")" && pwd)
out="$kit/out"
# fail MESSAGE [STATUS]: the step's own status (2 for bad input) goes through; 1 otherwise.
fail() {
    printf 'run.sh: step failed: %s\n' "$1" >&2
    exit "${2:-1}"
}
[ ! -e "$out" ] || {
    printf 'run.sh: %s exists: move it away first (nothing was changed)\n' "$out" >&2
    exit 2
}
printf '== cvp config\n' >&2
"$kit/cvp" config || fail "cvp config: a CVP_* value is bad (exit $?)" $?
# A folder of its own (never an out.partial the user may have), removed on any failure.
partial=$(mktemp -d "$kit/out.partial.XXXXXX") || fail "cannot make a folder in $kit" 2
chmod 755 "$partial"
mkdir -p "$partial/criterion"
trap 'rm -rf "$partial"' EXIT
export CRITERION_HOME="$partial/criterion"
for b in cpu_bound io_bound mixed net_bound scale server; do
    printf '== bench %s (profile %s)\n' "$b" "${CVP_PROFILE:-standard}" >&2
    "$kit/benches/$b" --bench || fail "bench $b (exit $?)" $?
done
printf '== cvp run\n' >&2
"$kit/cvp" run --format json --output "$partial/run.json" || fail "cvp run (exit $?)" $?
printf '== cvp scale\n' >&2
"$kit/cvp" scale --format json --output "$partial/scale.json" || fail "cvp scale (exit $?)" $?
printf '== cvp scale --io socket\n' >&2
"$kit/cvp" scale --io socket --format json --output "$partial/scale-socket.json" || fail "cvp scale --io socket (exit $?)" $?
printf '== cvp latency\n' >&2
"$kit/cvp" latency --format json --output "$partial/latency.json" || fail "cvp latency (exit $?)" $?
printf '== cvp server (the sweep, --idle, --mix, --cores)\n' >&2
"$kit/cvp" server --format json --output "$partial/server.json" || fail "cvp server (exit $?)" $?
"$kit/cvp" server --idle --format json --output "$partial/server-idle.json" || fail "cvp server --idle (exit $?)" $?
"$kit/cvp" server --mix --format json --output "$partial/server-mix.json" || fail "cvp server --mix (exit $?)" $?
"$kit/cvp" server --cores --format json --output "$partial/server-cores.json" || fail "cvp server --cores (exit $?)" $?
printf '== cvp trace (the default timeline, one CPU, net_bound)\n' >&2
"$kit/cvp" trace --out "$partial/trace" > /dev/null || fail "cvp trace (exit $?)" $?
"$kit/cvp" trace --workload cpu_bound --workers 2 --cores 1 --wait-ms 50 --out "$partial/trace-1cpu" > /dev/null \
    || fail "cvp trace --cores 1 (exit $?)" $?
"$kit/cvp" trace --workload net_bound --out "$partial/trace-net" > /dev/null || fail "cvp trace --workload net_bound (exit $?)" $?
mv "$partial" "$out"
trap - EXIT
printf 'wrote %s\n' "$out"
