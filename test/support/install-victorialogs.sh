#!/usr/bin/env bash
# Builds the pinned VictoriaLogs release from its Go module into .tools/bin/victoria-logs, which the
# integration tests start (test/support/victorialogs.ts). Does nothing when the binary there already
# is this version. `--check` only tells: exit 0 if it is, 1 (with the reason) if not.
#
# Needs Go >= 1.26.5 (the release's go.mod) and the Go module proxy. Built with CGO_ENABLED=0: a
# static binary needing no C toolchain, like the project's own release builds.
set -euo pipefail
cd "$(dirname "$0")/../.."

# v1.52.2: the newest release on the Go module proxy when pinned (2026-07). Bump here only; the
# test setup reads the version from this line.
VERSION=v1.52.2
MODULE=github.com/VictoriaMetrics/VictoriaLogs
BIN=.tools/bin/victoria-logs

# The binary prints its build's version (`victoria-logs-<tag>`, set by -ldflags below) with -version.
installed_version() {
  [ -x "$BIN" ] || return 0
  "$BIN" -version 2>/dev/null | sed -n 's/^victoria-logs-\(v[0-9][^-]*\).*/\1/p' | head -n 1
}

current="$(installed_version)"
if [ "$current" = "$VERSION" ]; then
  [ "${1:-}" = "--check" ] || echo "victorialogs: $VERSION already built ($BIN)"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  if [ -z "$current" ]; then
    echo "victorialogs: $BIN is missing; run test/support/install-victorialogs.sh (builds $VERSION with Go, a few minutes the first time)" >&2
  else
    echo "victorialogs: $BIN is $current, the tests pin $VERSION; run test/support/install-victorialogs.sh" >&2
  fi
  exit 1
fi

# go.dev's installer puts Go in /usr/local/go/bin, which a non-login shell's PATH may lack.
command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "victorialogs: 'go' not found; install Go >= 1.26.5 (https://go.dev/dl/) and run this script again" >&2
  exit 2
fi
[ -z "$current" ] || echo "victorialogs: $BIN is $current, replacing it with $VERSION"
echo "victorialogs: building $VERSION with $(go env GOVERSION) (first run takes a few minutes)"
started=$SECONDS
mkdir -p .tools/bin
GOBIN="$PWD/.tools/bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
  go install -trimpath \
  -ldflags "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$VERSION" \
  "$MODULE/app/victoria-logs@$VERSION"
built="$(installed_version)"
if [ "$built" != "$VERSION" ]; then
  echo "victorialogs: built $BIN but it reports '${built:-nothing}' as its version, not $VERSION" >&2
  exit 1
fi
echo "victorialogs: built $VERSION in $((SECONDS - started)) s ($BIN)"
