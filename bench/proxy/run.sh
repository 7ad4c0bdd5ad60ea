#!/usr/bin/env bash
# The proxy benchmark: installs the peers it compares against when missing, then
# runs bench/proxy/run.ts (flags pass through; --help lists them). About 17 minutes
# with the defaults. Never part of `npm test`.
#   nginx, haproxy, wrk   Debian packages (apt-get)
#   fortio                go install into ~/.cache/petrel-bench/bin (Istio's load tool)
#   fastify, @fastify/http-proxy, undici   npm devDependencies of the repo
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${PETREL_BENCH_CACHE:-$HOME/.cache/petrel-bench}"
# fortio v1.67 and later import grol.io/grol, which the Go module proxy reachable
# here refuses (403); v1.66.5 is the newest that builds from the proxy alone.
FORTIO_VERSION="${FORTIO_VERSION:-v1.66.5}"

missing=()
for tool in nginx haproxy wrk; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench/proxy: installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$CACHE/bin/fortio" ]; then
  echo "bench/proxy: building fortio $FORTIO_VERSION (go install)" >&2
  mkdir -p "$CACHE/bin"
  GOBIN="$CACHE/bin" go install "fortio.org/fortio@$FORTIO_VERSION"
fi

if [ ! -d node_modules/fastify ] || [ ! -d node_modules/@fastify/http-proxy ] || [ ! -d node_modules/undici ]; then
  echo "bench/proxy: installing the npm dependencies (npm install)" >&2
  npm install --no-audit --no-fund >/dev/null
fi

export PATH="/usr/sbin:$PATH"
exec node_modules/.bin/node bench/proxy/run.ts "$@"
