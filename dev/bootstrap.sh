#!/usr/bin/env bash
# Makes a fresh clone runnable: installs the npm packages when package-lock.json changed
# since the last install, then builds the embedded servers (dev/install-tools.sh); with
# --cluster or --for-tests also cluster mode's servers, nginx and Prometheus.
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

# Cluster mode (npm run start:cluster) and its test: the Temporal server, its schema tool and
# Web UI server (dev/install-cluster-tools.sh), and Debian's nginx as the reverse proxy.
if [ "${1:-}" = "--cluster" ] || [ "${1:-}" = "--for-tests" ]; then
  bash dev/install-cluster-tools.sh
  if [ ! -x /usr/sbin/nginx ]; then
    echo "orderflow: installing Debian's nginx, cluster mode's reverse proxy..." >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "orderflow: error: nginx is missing and installing it needs root; run: sudo apt-get install -y nginx" >&2
      exit 1
    fi
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; } >&2; then
      echo "orderflow: error: apt-get could not install nginx; install it (apt-get install -y nginx) and retry" >&2
      exit 1
    fi
  fi
fi

# The tests validate docker-compose.yml with Debian's docker-compose (no Docker engine needed).
if [ "${1:-}" = "--for-tests" ] && ! command -v docker-compose >/dev/null 2>&1; then
  echo "orderflow: installing Debian's docker-compose to validate docker-compose.yml in the tests..." >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "orderflow: error: docker-compose is missing and installing it needs root; run: sudo apt-get install -y docker-compose" >&2
    exit 1
  fi
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; } >&2; then
    echo "orderflow: error: apt-get could not install docker-compose; install it (apt-get install -y docker-compose) and retry" >&2
    exit 1
  fi
fi

# Debian's prometheus: the server cluster mode scrapes with, and promtool, with which the tests
# check ops/prometheus/ (the package's service is not started here).
if { [ "${1:-}" = "--cluster" ] || [ "${1:-}" = "--for-tests" ]; } &&
  { [ ! -x /usr/bin/prometheus ] || ! command -v promtool >/dev/null 2>&1; }; then
  echo "orderflow: installing Debian's prometheus, cluster mode's metrics server (and promtool for the tests)..." >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "orderflow: error: promtool is missing and installing it needs root; run: sudo apt-get install -y prometheus" >&2
    exit 1
  fi
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; } >&2; then
    echo "orderflow: error: apt-get could not install prometheus; install it (apt-get install -y prometheus) and retry" >&2
    exit 1
  fi
fi

# The support console's browser test drives Debian's chromium, headless, through
# playwright-core (CHROMIUM_PATH names another binary instead).
if [ "${1:-}" = "--for-tests" ] && [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "orderflow: installing Debian's chromium for the support console's browser test..." >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "orderflow: error: chromium is missing and installing it needs root; run: sudo apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2; then
    echo "orderflow: error: apt-get could not install chromium; install it (apt-get install -y chromium) or set CHROMIUM_PATH, and retry" >&2
    exit 1
  fi
fi
