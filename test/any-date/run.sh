#!/usr/bin/env bash
# The whole test suite with the clock shifted ahead (default: 400 days), so a test that only
# passes near the day it was written fails here. `npm run test:any-date [-- <vitest args>]`.
#
# libfaketime shifts every process the tests start, except redis-server: its allocator clashes
# with libfaketime, so a wrapper first on PATH starts it without LD_PRELOAD (on the real clock, as
# a Redis a deployment shares would be). Monotonic clocks are left alone: timers and timeouts run
# at normal speed, only the wall clock moves.
set -euo pipefail
cd "$(dirname "$0")/../.."

shift_by="${VIGIL_CLOCK_SHIFT:-+400d}"
lib=""
for candidate in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
  [ -f "$candidate" ] && lib="$candidate" && break
done
if [ -z "$lib" ]; then
  echo "test:any-date: libfaketime not found; install the Debian package 'faketime' (apt-get install -y faketime)" >&2
  exit 2
fi
real_redis="$(command -v redis-server || true)"
if [ -z "$real_redis" ]; then
  echo "test:any-date: redis-server not found; install the Debian package 'redis-server'" >&2
  exit 2
fi

wrappers="$(mktemp -d)"
trap 'rm -rf "$wrappers"' EXIT
cat >"$wrappers/redis-server" <<WRAP
#!/bin/sh
exec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_DONT_FAKE_MONOTONIC "$real_redis" "\$@"
WRAP
chmod +x "$wrappers/redis-server"

echo "test:any-date: wall clock shifted by $shift_by (now $(LD_PRELOAD="$lib" FAKETIME="$shift_by" date -u +%Y-%m-%dT%H:%M:%SZ)); redis-server on the real clock"
# Only the test processes get the shifted clock: typecheck, lint and codegen checks do not read it.
PATH="$wrappers:$PATH" LD_PRELOAD="$lib" FAKETIME="$shift_by" FAKETIME_DONT_FAKE_MONOTONIC=1 \
  npx vitest run "$@"
