#!/usr/bin/env bash
# Property-based fuzzing of the HTTP API from its own OpenAPI document
# (GET /openapi.json) with schemathesis. Fails on any 5xx response, and on any
# response that breaks the document (undocumented status, body or media type).
#
# Usage: scripts/fuzz-api.sh [BASE_URL] [-- EXTRA_ST_RUN_ARGS...]
#   BASE_URL   a running API, e.g. http://127.0.0.1:8000. Without one, the
#              script builds the API and starts it embedded (dynalite, local
#              disk, in-process queue) on a free port, and stops it afterwards.
#
# Environment:
#   FUZZ_BASE_URL        same as BASE_URL
#   FUZZ_API_KEY         sent as `Authorization: Bearer <key>` on every request (use an
#                        admin key: the dead-letter operations need one)
#   FUZZ_JOB_IDS         comma-separated real job ids, used for {job_id} half the time
#   FUZZ_SOURCES         comma-separated real s3:// sources, used for `source` half the time
#   FUZZ_MAX_EXAMPLES    test cases per operation and phase (default 80)
#   FUZZ_SEED            hypothesis seed (default 20250101)
#   FUZZ_WORKERS         concurrent schemathesis workers (default 1: the order of
#                        requests then follows from the seed, and CPython 3.11's
#                        ast module, which hypothesis uses, is not thread-safe)
#   FUZZ_MAX_SECONDS     hard wall-clock limit for the run (default 300)
#   FUZZ_MIN_REQUESTS    fail when fewer requests were sent (default 1000)
#   FUZZ_CHECKS          schemathesis checks (default below)
#   FUZZ_REPORT_DIR      where reports go (default: a temporary directory)
#   MEDIAFLOW_CACHE_DIR  the venv lives in $MEDIAFLOW_CACHE_DIR/schemathesis-venv
#
# Last line of output:
#   fuzz-api: requests=N server_errors=N failed_checks=N seconds=N schemathesis_exit=N exit=N
# Exits non-zero on any 5xx, any failed check, or fewer than FUZZ_MIN_REQUESTS
# requests; reaching FUZZ_MAX_SECONDS ends the run early but is no failure by itself.
set -euo pipefail

readonly SCHEMATHESIS_VERSION=4.32.5

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO_DIR=$(dirname "$(dirname "$SELF")")
CACHE_DIR=${MEDIAFLOW_CACHE_DIR:-$HOME/.cache/mediaflow}
VENV=$CACHE_DIR/schemathesis-venv

BASE_URL=${FUZZ_BASE_URL:-}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  BASE_URL=$1
  shift
fi
[ "${1:-}" = "--" ] && shift

MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-80}
SEED=${FUZZ_SEED:-20250101}
WORKERS=${FUZZ_WORKERS:-1}
MAX_SECONDS=${FUZZ_MAX_SECONDS:-300}
MIN_REQUESTS=${FUZZ_MIN_REQUESTS:-1000}
CHECKS=${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance}

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mediaflow-fuzz.XXXXXX")
REPORT_DIR=${FUZZ_REPORT_DIR:-$WORK_DIR/report}
mkdir -p "$REPORT_DIR"
API_PID=
exit_code=1

say() { printf 'fuzz-api: %s\n' "$*" >&2; }

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  if [ -n "$API_PID" ] && kill -0 "$API_PID" 2>/dev/null; then
    kill "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK_DIR/data"
  # Reports of a failed run stay for inspection.
  if [ -z "${FUZZ_REPORT_DIR:-}" ] && [ "$exit_code" -eq 0 ]; then rm -rf "$WORK_DIR"; fi
}
trap cleanup EXIT

# One venv per pinned version, installed once; a lock keeps parallel runs from racing.
ensure_schemathesis() {
  mkdir -p "$CACHE_DIR"
  (
    flock 9
    if [ "$("$VENV/bin/st" --version 2>/dev/null || true)" != "st, version $SCHEMATHESIS_VERSION" ]; then
      say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
      rm -rf "$VENV"
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    fi
  ) 9>"$CACHE_DIR/schemathesis-venv.lock"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The API on embedded backends: nothing outside this machine, nothing shared.
# Authentication stays on, with FUZZ_API_KEY (or a fresh random key) as its
# only, admin, key; rate limits are lifted so generated requests reach the handlers.
start_embedded_api() {
  PATH="$(bash "$REPO_DIR/scripts/ensure-node.sh"):$PATH"
  export PATH
  (cd "$REPO_DIR" && npx --no-install tsc -b services/api)
  local port
  port=$(free_port)
  FUZZ_API_KEY=${FUZZ_API_KEY:-fuzz_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
  local key_sha
  key_sha=$(printf '%s' "$FUZZ_API_KEY" | sha256sum | cut -d' ' -f1)
  local unlimited=1000000
  mkdir -p "$WORK_DIR/data"
  (
    cd "$WORK_DIR"
    exec env NODE_ENV=test LOG_LEVEL=warn HOST=127.0.0.1 PORT="$port" \
      DB_BACKEND=embedded STORAGE_BACKEND=local QUEUE_BACKEND=memory DATA_DIR="$WORK_DIR/data" \
      API_KEYS="fuzz:$key_sha:admin" MAX_ACTIVE_JOBS_PER_KEY=$unlimited \
      SUBMIT_RATE_PER_MINUTE=$unlimited SUBMIT_BURST=$unlimited UPLOAD_RATE_PER_MINUTE=$unlimited UPLOAD_BURST=$unlimited \
      node "$REPO_DIR/services/api/dist/main.js"
  ) >"$REPORT_DIR/api.log" 2>&1 &
  API_PID=$!
  BASE_URL="http://127.0.0.1:$port"
  say "started the API (embedded backends) at $BASE_URL, log in $REPORT_DIR/api.log"
}

# A comma-separated list as TOML strings; values are ids and s3 URIs, never quotes or backslashes.
toml_list() {
  local IFS=, out='' value
  for value in $1; do
    [ -z "$value" ] && continue
    case $value in *\"* | *\\*) say "refusing a value with quotes or backslashes: $value"; exit 2 ;; esac
    out+="${out:+, }\"$value\""
  done
  printf '[%s]' "$out"
}

write_config() {
  local config=$WORK_DIR/schemathesis.toml
  # No state carried between runs (it would replay earlier finds) and no .schemathesis/ in the caller's directory.
  printf '[cache]\nenabled = false\n\n' >"$config"
  local parameters=''
  if [ -n "${FUZZ_JOB_IDS:-}" ]; then
    printf '[dictionaries.job_ids]\nvalues = %s\n\n' "$(toml_list "$FUZZ_JOB_IDS")" >>"$config"
    parameters+=$'"path.job_id" = { dictionary = "job_ids", probability = 0.5 }\n'
  fi
  if [ -n "${FUZZ_SOURCES:-}" ]; then
    printf '[dictionaries.sources]\nvalues = %s\n\n' "$(toml_list "$FUZZ_SOURCES")" >>"$config"
    parameters+=$'"body.source" = { dictionary = "sources", probability = 0.5 }\n'
  fi
  [ -n "$parameters" ] && printf '[parameters]\n%s' "$parameters" >>"$config"
  printf '%s' "$config"
}

ensure_schemathesis
[ -z "$BASE_URL" ] && start_embedded_api
BASE_URL=${BASE_URL%/}

HEADERS=()
[ -n "${FUZZ_API_KEY:-}" ] && HEADERS+=(--header "Authorization: Bearer $FUZZ_API_KEY")
CONFIG=$(write_config)
HAR=$REPORT_DIR/requests.har
JUNIT=$REPORT_DIR/junit.xml

say "schemathesis $SCHEMATHESIS_VERSION against $BASE_URL/openapi.json: seed $SEED, $MAX_EXAMPLES examples per operation, checks $CHECKS"
started=$(date +%s)
status=0
# At the time limit SIGINT stops schemathesis, which still writes its reports
# for what ran; KILL follows if it will not stop.
timeout --signal=INT --kill-after=30 "$MAX_SECONDS" \
  "$VENV/bin/st" --no-color --config-file "$CONFIG" run "$BASE_URL/openapi.json" \
  --url "$BASE_URL" \
  --wait-for-schema 60 \
  --checks "$CHECKS" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers "$WORKERS" \
  --generation-database none \
  --suppress-health-check all \
  --request-timeout 30 \
  `# GET /events is a stream that stays open by design: each call would only wait out the timeout.` \
  --exclude-operation-id streamEvents \
  --report har,junit \
  --report-dir "$REPORT_DIR" \
  --report-har-path "$HAR" \
  --report-junit-path "$JUNIT" \
  "${HEADERS[@]}" "$@" || status=$?

# Requests and 5xx from the HAR (every request sent); failed checks from the JUnit report.
summary=$("$VENV/bin/python" - "$HAR" "$JUNIT" <<'PY'
import json, sys
import xml.etree.ElementTree as ET

try:
    with open(sys.argv[1], encoding="utf-8") as fd:
        entries = json.load(fd)["log"]["entries"]
except (OSError, ValueError, KeyError):
    entries = []
errors = [e for e in entries if e["response"]["status"] >= 500]
for e in errors[:20]:
    print(f"5xx: {e['response']['status']} {e['request']['method']} {e['request']['url'][:300]}", file=sys.stderr)
try:
    suites = ET.parse(sys.argv[2]).getroot()
    failures = int(suites.get("failures", "0")) + int(suites.get("errors", "0"))
except (OSError, ET.ParseError, ValueError):
    failures = -1
print(len(entries), len(errors), failures)
PY
)
read -r requests server_errors failures <<<"$summary"
elapsed=$(($(date +%s) - started))

exit_code=0
if [ "$server_errors" -gt 0 ]; then
  exit_code=1
elif [ "$failures" -ne 0 ]; then
  [ "$failures" -lt 0 ] && say "no JUnit report: schemathesis did not finish its run"
  exit_code=1
elif [ "$requests" -lt "$MIN_REQUESTS" ]; then
  say "only $requests requests, fewer than FUZZ_MIN_REQUESTS=$MIN_REQUESTS"
  exit_code=1
elif [ "$status" -eq 124 ]; then
  # The time limit is a budget: what ran within it passed every check.
  say "stopped at the $MAX_SECONDS s limit; the $requests requests sent passed every check"
elif [ "$status" -ne 0 ]; then
  exit_code=$status
fi
[ -n "$API_PID" ] && [ "$server_errors" -gt 0 ] && tail -n 50 "$REPORT_DIR/api.log" >&2
[ "$exit_code" -ne 0 ] || [ -n "${FUZZ_REPORT_DIR:-}" ] && say "reports in $REPORT_DIR (HAR of every request, JUnit)"
echo "fuzz-api: requests=$requests server_errors=$server_errors failed_checks=$failures seconds=$elapsed schemathesis_exit=$status exit=$exit_code"
exit "$exit_code"
