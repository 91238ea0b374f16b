#!/usr/bin/env bash
# Runs `docker compose config` on docker-compose.yml with every profile, as
# `docker compose up` would read it: the compose schema, interpolation, env
# files, depends_on conditions and profiles. This machine has no Docker, so
# the Compose CLI is built once from its Go module (the same code Docker ships
# as the `docker compose` plugin) and cached; `config` needs no daemon.
#
# Usage: bash scripts/compose-check.sh        (test-all.sh runs it)
# Env:   MEDIAFLOW_CACHE_DIR (default ~/.cache/mediaflow)
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_VERSION=v2.40.3
CACHE_DIR=${MEDIAFLOW_CACHE_DIR:-$HOME/.cache/mediaflow}
bin=$CACHE_DIR/docker-compose-$COMPOSE_VERSION/docker-compose

if [[ ! -x $bin ]]; then
  command -v go >/dev/null || { echo "compose-check: needs Go to build the Compose CLI" >&2; exit 1; }
  echo "building docker compose $COMPOSE_VERSION from the Go module proxy into $bin (once; a few minutes)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # `go install module@version` refuses modules whose go.mod has exclude
  # directives (compose's has), so build inside a copy of the module instead.
  dir=$(cd "$work" && go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir ]] || { echo "compose-check: could not download docker compose $COMPOSE_VERSION" >&2; exit 1; }
  cp -r "$dir/." "$work/src"
  chmod -R u+w "$work/src"
  mkdir -p "$(dirname "$bin")"
  (cd "$work/src" && go build -trimpath -o "$bin.tmp.$$" ./cmd)
  mv "$bin.tmp.$$" "$bin"
fi

# Each profile on its own and all together: a service that only a profile
# starts must still resolve (its depends_on, env files, volumes).
for profiles in "" "--profile dynamodb" "--profile monitoring" "--profile dynamodb --profile monitoring"; do
  # shellcheck disable=SC2086 # the profile flags are meant to split
  "$bin" --project-directory . -f docker-compose.yml $profiles config --quiet
  echo "compose-check: docker compose ${profiles:+$profiles }config: ok"
done
