#!/usr/bin/env bash
# Installs what the project needs and is missing; reuses what an earlier run built.
#   - npm packages (node_modules, from package-lock.json)
#   - Temporal CLI v1.5.1 (dev server + Web UI), built from the Go module proxy
#   - the project's FerretDB launcher (tools/ferretdb), built from the Go module proxy
#   - the project's Compose file checker (tools/compose-check), built from the Go module proxy
#   - Temporal's Java time-skipping test server, from Maven Central, with a CDS archive
#   - schemathesis (the API fuzz test), from PyPI into a Python venv
#   - the TypeScript build (dist/)
# Slow builds live in $XS_CACHE_DIR (default ~/.cache/xs-backoffice), outside the repository.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XS_CACHE_DIR:-$HOME/.cache/xs-backoffice}"
temporal_version="1.5.1"
test_server_version="1.38.0"
schemathesis_version="4.32.5"
mkdir -p "$cache/bin"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "[setup] error: '$1' is not installed. $2" >&2
    exit 1
  fi
}

need node "Install Node.js 20 or newer (https://nodejs.org)."
need npm "npm comes with Node.js."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<3)) { console.error("[setup] error: Node.js >= 20.3 is needed, found "+process.versions.node); process.exit(1) }'

# --- npm packages -----------------------------------------------------------
if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  say "installing npm packages (from package-lock.json)"
  # `npm install --no-save` rather than `npm ci`: npm 11 writes lock files without the other
  # platforms' optional binaries (@swc/core-*), which `npm ci` then refuses as out of sync.
  # The versions still come from package-lock.json, which this does not rewrite.
  (cd "$root" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi

# --- Temporal CLI (dev server with Web UI) -----------------------------------
temporal_bin="$cache/bin/temporal-$temporal_version"
if [ ! -x "$temporal_bin" ]; then
  need go "Go 1.22+ builds the Temporal CLI (https://go.dev/dl)."
  say "building Temporal CLI v$temporal_version from the Go module proxy (first run only, ~10 minutes on 2 cores)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@v$temporal_version")
  mv "$tmp/temporal" "$temporal_bin"
  rm -rf "$tmp"
fi

# --- FerretDB launcher --------------------------------------------------------
# FerretDB v1.24.2 with the project's patches (tools/ferretdb/patches/*.patch, applied in order to a
# copy of the module from the Go module cache): lookups by `_id` and equality filters use the
# collections' indexes on SQLite (docs/benchmarks.md, "The store"). The build uses a temporary
# go.mod that replaces the module with the patched copy; tools/ferretdb/go.mod stays the upstream one.
ferret_hash="$(cat "$root/tools/ferretdb/go.mod" "$root/tools/ferretdb/go.sum" "$root/tools/ferretdb/main.go" "$root"/tools/ferretdb/patches/*.patch | sha256sum | cut -c1-12)"
ferret_bin="$cache/bin/ferretdb-launcher-$ferret_hash"
if [ ! -x "$ferret_bin" ]; then
  need go "Go 1.22+ builds the FerretDB launcher (https://go.dev/dl)."
  need git "git applies the project's FerretDB patches."
  say "building the FerretDB launcher (tools/ferretdb, patched; first run only, ~4 minutes on 2 cores)"
  ferret_src="$cache/src/ferretdb-$ferret_hash"
  rm -rf "$ferret_src" "$ferret_src.mod" "$ferret_src.sum"
  mkdir -p "$cache/src"
  upstream="$(cd "$root/tools/ferretdb" && go mod download -json github.com/FerretDB/FerretDB | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$upstream" ] || { echo "[setup] error: FerretDB module not found in the Go module cache" >&2; exit 1; }
  cp -R "$upstream" "$ferret_src" && chmod -R u+w "$ferret_src"
  for p in "$root"/tools/ferretdb/patches/*.patch; do (cd "$ferret_src" && git apply -p1 "$p"); done
  cp "$root/tools/ferretdb/go.mod" "$ferret_src.mod" && cp "$root/tools/ferretdb/go.sum" "$ferret_src.sum"
  (cd "$root/tools/ferretdb" \
    && go mod edit -modfile="$ferret_src.mod" -replace "github.com/FerretDB/FerretDB=$ferret_src" \
    && go build -modfile="$ferret_src.mod" -o "$ferret_bin.tmp" . && mv "$ferret_bin.tmp" "$ferret_bin")
fi

# --- Compose file checker -------------------------------------------------------
# Validates docker-compose.yml with the Compose specification's loader (no Docker engine needed).
compose_hash="$(cat "$root/tools/compose-check/go.mod" "$root/tools/compose-check/go.sum" "$root"/tools/compose-check/*.go | sha256sum | cut -c1-12)"
compose_bin="$cache/bin/compose-check-$compose_hash"
if [ ! -x "$compose_bin" ]; then
  need go "Go 1.22+ builds the Compose file checker (https://go.dev/dl)."
  say "building the Compose file checker (tools/compose-check; first run only, ~1 minute on 2 cores)"
  (cd "$root/tools/compose-check" && go build -o "$compose_bin.tmp" . && mv "$compose_bin.tmp" "$compose_bin")
fi

# --- Java time-skipping test server -------------------------------------------
ts_dir="$cache/test-server-$test_server_version"
ts_bin="$ts_dir/bin/temporal-test-server"
if [ ! -x "$ts_bin" ]; then
  need java "A JDK 8+ runs Temporal's time-skipping test server."
  need mvn "Maven fetches Temporal's time-skipping test server from Maven Central."
  say "fetching Temporal's time-skipping test server $test_server_version from Maven Central (first run only)"
  rm -rf "$ts_dir" && mkdir -p "$ts_dir/bin"
  (cd "$root/tools/test-server" && mvn -q -B dependency:copy-dependencies \
      -DoutputDirectory="$ts_dir/lib" -DincludeScope=runtime)
  # A class-data-sharing archive of the classes a start loads: cuts JVM start-up
  # well under the ~5 s the SDK waits for the server.
  say "recording a class-data-sharing archive for the test server"
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  java -XX:ArchiveClassesAtExit="$ts_dir/app.jsa" -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -cp "$ts_dir/lib/*" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if node -e 'require("net").connect('"$port"',"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))'; then break; fi
    sleep 0.2
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
fi

# The launcher is written on every run (cheap), so a change to it reaches machines with the jars cached;
# written aside and renamed, so a test server starting meanwhile never reads half a script.
cat > "$ts_bin.$$" <<WRAPPER
#!/bin/sh
# Temporal time-skipping test server; the TypeScript SDK passes the port as the only argument.
# Its log (SLF4J's complaints) goes to XS_TEST_SERVER_LOG when set: the tests' log file.
cds="$ts_dir/app.jsa"
if [ -f "\$cds" ]; then cds_flag="-XX:SharedArchiveFile=\$cds"; else cds_flag=""; fi
exec java -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto \$cds_flag \\
  -cp "$ts_dir/lib/*" io.temporal.testserver.TestServer "\$@" 2>>"\${XS_TEST_SERVER_LOG:-/dev/stderr}"
WRAPPER
chmod +x "$ts_bin.$$" && mv -f "$ts_bin.$$" "$ts_bin"

# --- schemathesis (property-based fuzzing of /openapi.json) ---------------------
st_dir="$cache/schemathesis-$schemathesis_version"
st_bin="$st_dir/bin/st"
# A venv cannot be moved (its scripts name their interpreter by absolute path), so it is built in
# place and marked complete last: an interrupted install is started over.
if [ ! -f "$st_dir/.complete" ] || [ ! -x "$st_bin" ]; then
  need python3 "Python 3.11+ with venv runs schemathesis, the API fuzz test (https://www.python.org)."
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "[setup] error: schemathesis $schemathesis_version needs Python >= 3.11, found $(python3 --version 2>&1)" >&2; exit 1; }
  say "installing schemathesis $schemathesis_version from PyPI into a venv (first run only, ~1 minute)"
  rm -rf "$st_dir"
  python3 -m venv "$st_dir"
  "$st_dir/bin/pip" install --quiet --disable-pip-version-check --no-input "schemathesis==$schemathesis_version"
  touch "$st_dir/.complete"
fi

# --- TypeScript build ----------------------------------------------------------
say "compiling TypeScript (dist/)"
# Outputs whose source is gone (a module renamed or turned into a folder) would still resolve
# from dist/ and shadow the new code: they go first. Outputs of existing sources stay.
(cd "$root" && [ -d dist ] && find dist -type f \( -name '*.js' -o -name '*.js.map' -o -name '*.d.ts' \) | while read -r out; do
  src="${out#dist/}"; src="${src%.map}"; src="${src%.js}"; src="${src%.d.ts}"
  [ -f "$src.ts" ] || rm -f "$out"
done || true)
(cd "$root" && npx tsc -p tsconfig.json)

# Where the binaries are, for the stack launcher and the tests.
cat > "$cache/paths.json" <<JSON
{ "temporal": "$temporal_bin", "ferretdb": "$ferret_bin", "testServer": "$ts_bin", "schemathesis": "$st_bin", "composeCheck": "$compose_bin" }
JSON
say "ready (cache: $cache)"
