#!/usr/bin/env bash
# `npm run test:all`: installs what the tests need (Node 24, npm packages,
# ffmpeg/espeak-ng, Kafka, DynamoDB Local, FerretDB, versitygw), starts the
# real services, then type-checks, lints and runs every test against them.
set -euo pipefail
cd "$(dirname "$0")/.."

PATH="$(bash scripts/ensure-node.sh):$PATH"
export PATH
echo "node $(node --version), npm $(npm --version)"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

npm run build
npx tsc -p tsconfig.jest.json
npx eslint .

mkdir -p .services
results=.services/jest-results.json
status=0
npx jest --ci --maxWorkers=2 --json --outputFile="$results" "$@" || status=$?
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  ' "$PWD/$results"
fi
exit "$status"
