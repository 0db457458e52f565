#!/usr/bin/env bash
# Builds the embedded servers into the git-ignored tools folder, once:
#   - the Temporal CLI (dev server with SQLite persistence and the Web UI), and
#   - FerretDB 1.x, the MongoDB-compatible database, behind our small launcher.
# A `temporal` from TEMPORAL_CLI or PATH is used as is. Later runs reuse the binaries.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools_dir=${ORDERFLOW_TOOLS_DIR:-$root/.tools}
temporal_version=v1.5.1
ferretdb_version=v1.24.2

if ! command -v go >/dev/null 2>&1; then
  PATH=$PATH:/usr/local/go/bin
fi

build_temporal() {
  local target=$tools_dir/temporal-$temporal_version/temporal
  if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then return; fi
  if command -v temporal >/dev/null 2>&1; then return; fi
  if [ -x "$target" ]; then return; fi
  echo "orderflow: building the Temporal CLI $temporal_version from the Go module proxy (first time only; about 4 minutes)..." >&2
  mkdir -p "$(dirname "$target")"
  GOBIN=$(dirname "$target") GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$temporal_version"
}

build_ferretdb() {
  local target=$tools_dir/ferretdb-$ferretdb_version/ferretdb
  if [ -x "$target" ]; then return; fi
  echo "orderflow: building FerretDB $ferretdb_version from the Go module proxy (first time only; about 2 minutes)..." >&2
  mkdir -p "$(dirname "$target")"
  (cd "$root/dev/tools/ferretdb" && go build -trimpath -o "$target" .)
}

# Both builds are independent; run them side by side.
build_temporal &
temporal_pid=$!
build_ferretdb &
ferretdb_pid=$!
wait "$temporal_pid"
wait "$ferretdb_pid"
