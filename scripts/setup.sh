#!/usr/bin/env bash
# Installs everything OmniGraph needs to build and test on Debian 12: the Debian packages below,
# then the pinned npm test peers in test/peers (s3rver, ...). Idempotent and quiet when there is
# nothing to do. Needs root (or sudo) only when a Debian package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang-format clang-tidy-19
  libssl-dev libcurl4-openssl-dev libzstd-dev libxxhash-dev libjemalloc-dev
  nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libcli11-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nodejs npm time curl wrk
  chromium  # the web console's browser tests (puppeteer-core drives it)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The machine image may ship node/npm outside dpkg; accept those.
if command -v node >/dev/null && command -v npm >/dev/null; then
  keep=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || keep+=("$p"); done
  missing=("${keep[@]}")
fi

if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# npm test peers: reinstall only when the lock file changed since the last install.
peers=test/peers
stamp=$peers/node_modules/.omnigraph-lock.sha256
want=$(sha256sum "$peers/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing npm test peers (npm ci in $peers)"
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
