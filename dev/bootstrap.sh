#!/usr/bin/env bash
# Makes a fresh clone runnable: installs the npm packages when package-lock.json changed
# since the last install, then builds the embedded servers (dev/install-tools.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

stamp=node_modules/.orderflow-lock-sha
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sha" ]; then
  echo "orderflow: installing npm packages..." >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sha" > "$stamp"
fi

bash dev/install-tools.sh
