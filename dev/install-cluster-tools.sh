#!/usr/bin/env bash
# Builds what `npm run start:cluster` needs beyond npm start's tools, once, into the git-ignored
# tools folder (and the per-user cache other clones reuse, like dev/install-tools.sh):
#   - the Temporal server and its SQL schema tool, with the PostgreSQL schema files and the
#     config template that ship inside the server's Go module, and
#   - Temporal's Web UI server.
# Only cluster mode runs this: npm start and npm test do not wait for it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools_dir=${ORDERFLOW_TOOLS_DIR:-$root/.tools}
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/orderflow/tools
server_version=v1.29.1
ui_version=v2.42.1

if ! command -v go >/dev/null 2>&1; then
  PATH=$PATH:/usr/local/go/bin
fi

# A whole tool directory, copied from the cache another clone filled, or into it after a build.
from_cache() {
  local name=$1 target=$2
  [ -f "$cache_dir/$name/.complete" ] || return 1
  rm -rf "$target.tmp" && mkdir -p "$(dirname "$target")"
  cp -R "$cache_dir/$name" "$target.tmp" && rm -rf "$target" && mv "$target.tmp" "$target"
}
to_cache() {
  local name=$1 target=$2
  mkdir -p "$cache_dir"
  rm -rf "$cache_dir/$name.tmp"
  cp -R "$target" "$cache_dir/$name.tmp" && rm -rf "$cache_dir/$name" &&
    mv "$cache_dir/$name.tmp" "$cache_dir/$name" || true
}

build_server() {
  local name=temporal-server-$server_version target module
  target=$tools_dir/$name
  if [ -f "$target/.complete" ]; then return; fi
  if from_cache "$name" "$target"; then return; fi
  echo "orderflow: building the Temporal server $server_version and its schema tool from the Go module proxy (first time only; about 4 minutes)..." >&2
  rm -rf "$target" && mkdir -p "$target/bin"
  GOBIN=$target/bin GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/server@$server_version"
  mv "$target/bin/server" "$target/temporal-server"
  GOBIN=$target/bin GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/tools/sql@$server_version"
  mv "$target/bin/sql" "$target/temporal-sql-tool"
  rmdir "$target/bin"
  # The schema files and the config template come with the module, in Go's module cache.
  module=$(GOFLAGS=-mod=mod go mod download -json "go.temporal.io/server@$server_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$target/schema" "$target/config"
  cp -R "$module/schema/postgresql" "$target/schema/"
  cp "$module/config/development-postgres12.yaml" "$target/config/"
  chmod -R u+w "$target"
  touch "$target/.complete"
  to_cache "$name" "$target"
}

build_ui() {
  local name=temporal-ui-server-$ui_version target
  target=$tools_dir/$name
  if [ -f "$target/.complete" ]; then return; fi
  if from_cache "$name" "$target"; then return; fi
  echo "orderflow: building Temporal's Web UI server $ui_version from the Go module proxy (first time only; about 2 minutes)..." >&2
  rm -rf "$target" && mkdir -p "$target/bin"
  GOBIN=$target/bin GOFLAGS=-mod=mod go install "github.com/temporalio/ui-server/v2/cmd/server@$ui_version"
  mv "$target/bin/server" "$target/temporal-ui-server"
  rmdir "$target/bin"
  touch "$target/.complete"
  to_cache "$name" "$target"
}

# Independent builds; side by side.
build_server &
server_pid=$!
build_ui &
ui_pid=$!
wait "$server_pid"
wait "$ui_pid"
