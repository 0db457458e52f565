#!/usr/bin/env bash
# Builds the embedded servers into the git-ignored tools folder, once:
#   - the Temporal CLI (dev server with SQLite persistence and the Web UI), and
#   - FerretDB 1.x, the MongoDB-compatible database, behind our small launcher.
# A `temporal` from TEMPORAL_CLI or PATH is used as is. Later runs reuse the binaries; other
# clones on the same machine reuse them too, through a per-user cache.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools_dir=${ORDERFLOW_TOOLS_DIR:-$root/.tools}
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/tools
temporal_version=v1.5.1
ferretdb_version=v1.24.2

if ! command -v go >/dev/null 2>&1; then
  PATH=$PATH:/usr/local/go/bin
fi

# Copies a binary another clone built from the cache; records a fresh build in it.
from_cache() {
  local name=$1 target=$2
  [ -x "$cache_dir/$name" ] || return 1
  mkdir -p "$(dirname "$target")"
  cp "$cache_dir/$name" "$target.tmp" && mv "$target.tmp" "$target"
}
to_cache() {
  local name=$1 target=$2
  mkdir -p "$(dirname "$cache_dir/$name")"
  cp "$target" "$cache_dir/$name.tmp" && mv "$cache_dir/$name.tmp" "$cache_dir/$name" || true
}

build_temporal() {
  local target=$tools_dir/temporal-$temporal_version/temporal
  if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then return; fi
  if command -v temporal >/dev/null 2>&1; then return; fi
  if [ -x "$target" ]; then return; fi
  if from_cache "temporal-$temporal_version/temporal" "$target"; then return; fi
  echo "orderflow: building the Temporal CLI $temporal_version from the Go module proxy (first time only; about 4 minutes)..." >&2
  mkdir -p "$(dirname "$target")"
  GOBIN=$(dirname "$target") GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$temporal_version"
  to_cache "temporal-$temporal_version/temporal" "$target"
}

# The launcher's binary is keyed on FerretDB's version and a hash of its source (main.go,
# go.mod, go.sum), so a changed launcher is rebuilt even where an older build is cached.
ferretdb_source_key() {
  local sum
  sum=$(cd "$root/dev/tools/ferretdb" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)
  echo "$ferretdb_version-${sum:0:16}"
}

build_ferretdb() {
  local target=$tools_dir/ferretdb-$ferretdb_version/ferretdb key
  key=$(ferretdb_source_key)
  if [ -x "$target" ] && [ "$(cat "$target.source" 2>/dev/null)" = "$key" ]; then return; fi
  if from_cache "ferretdb-$key/ferretdb" "$target"; then
    echo "$key" >"$target.source"
    return
  fi
  echo "orderflow: building FerretDB $ferretdb_version from the Go module proxy (first time, or after dev/tools/ferretdb changed; about 2 minutes)..." >&2
  mkdir -p "$(dirname "$target")"
  # Built beside the target, then moved into place: a running server keeps its old binary.
  (cd "$root/dev/tools/ferretdb" && go build -trimpath -o "$target.tmp" .)
  mv "$target.tmp" "$target"
  echo "$key" >"$target.source"
  to_cache "ferretdb-$key/ferretdb" "$target"
}

# Both builds are independent; run them side by side.
build_temporal &
temporal_pid=$!
build_ferretdb &
ferretdb_pid=$!
wait "$temporal_pid"
wait "$ferretdb_pid"
