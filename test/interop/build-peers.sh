#!/usr/bin/env bash
# Builds the interop suite's reference peers from Go modules into a cache outside
# the repo (never committed). A peer that cannot be built fails this script, so the
# interop suite fails loudly instead of passing without its peer.
#
#   test/interop/build-peers.sh                 # every peer
#   test/interop/build-peers.sh pilot-discovery # just the named ones
#
# Peers: grpc-xds-client, pilot-discovery. Each build is keyed by a hash of its
# inputs (wrapper go.mod/go.sum, sources, patches), so a rerun with nothing
# changed costs nothing and a changed pin rebuilds. See test/interop/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${PETREL_INTEROP_CACHE:-$HOME/.cache/petrel-interop}"
mkdir -p "$cache/bin"
source "$here/peers/versions.env"

need_go() {
  command -v go >/dev/null || { echo "build-peers: go is not installed; the interop suite needs Go to build its peers" >&2; exit 1; }
}

# The pinned go.sum decides every dependency; nothing may float.
export GOFLAGS="-mod=readonly -buildvcs=false"

# Contents only, not paths: a fresh clone elsewhere (as CI makes) reuses the cache.
inputs_key() { cat "$@" | sha256sum | cut -c1-12; }

# grpc-go's xDS client, through the lead's small wrapper module.
build_grpc_xds_client() {
  local dir="$here/peers/grpc-xds-client"
  local bin="$cache/bin/grpc-xds-client.$(inputs_key "$dir/main.go" "$dir/go.mod" "$dir/go.sum")"
  if [ ! -x "$bin" ]; then
    need_go
    echo "build-peers: building grpc-go xDS client (grpc-go $(grep 'google.golang.org/grpc ' "$dir/go.mod" | awk '{print $2}'))" >&2
    (cd "$dir" && nice go build -o "$bin.tmp" .)
    mv "$bin.tmp" "$bin"
  fi
  ln -sf "$bin" "$cache/bin/grpc-xds-client"
}

# h2spec, the HTTP/2 conformance tester, at a pinned version.
H2SPEC_VERSION=v2.2.1+incompatible # h2spec's last release
build_h2spec() {
  local bin="$cache/bin/h2spec.$H2SPEC_VERSION"
  if [ ! -x "$bin" ]; then
    need_go
    echo "build-peers: building h2spec $H2SPEC_VERSION" >&2
    # h2spec has no go.mod (+incompatible), so `go install` must be free to resolve its imports.
    GOFLAGS=-mod=mod GOBIN="$cache/gobin" nice go install "github.com/summerwind/h2spec/cmd/h2spec@$H2SPEC_VERSION"
    mv "$cache/gobin/h2spec" "$bin"
  fi
  ln -sf "$bin" "$cache/bin/h2spec"
}

# Istio's control plane at the pinned istio.io/istio commit, built inside the
# wrapper module peers/istio (its replace directives stand in for pseudo-versions
# the module proxy refuses) with the patches in that folder applied.
build_pilot_discovery() {
  local dir="$here/peers/istio"
  local bin="$cache/bin/pilot-discovery.$(inputs_key "$dir/go.mod" "$dir/go.sum" "$dir"/*.patch "$here/peers/versions.env")"
  if [ ! -x "$bin" ]; then
    need_go
    local pinned
    pinned="$(cd "$dir" && go list -m -f '{{.Version}}' istio.io/istio)"
    if [ "$pinned" != "$ISTIO_VERSION" ]; then
      echo "build-peers: peers/istio/go.mod requires istio.io/istio $pinned but versions.env pins $ISTIO_VERSION" >&2
      exit 1
    fi
    echo "build-peers: building Istio pilot-discovery $ISTIO_VERSION (first build takes about 10 minutes)" >&2
    # Download (checked against go.sum), copy the module out of the read-only
    # module cache, patch the copy and build against it.
    (cd "$dir" && go mod download istio.io/istio)
    local src work="$cache/build/pilot-discovery"
    src="$(cd "$dir" && go list -m -f '{{.Dir}}' istio.io/istio)"
    rm -rf "$work"
    mkdir -p "$work"
    cp "$dir/go.mod" "$dir/go.sum" "$work/"
    cp -r "$src" "$work/istio"
    chmod -R u+w "$work/istio"
    local p
    for p in "$dir"/*.patch; do
      patch --batch --forward --silent -p1 -d "$work/istio" <"$p" || { echo "build-peers: patch $(basename "$p") does not apply to istio.io/istio $ISTIO_VERSION" >&2; exit 1; }
    done
    (cd "$work" && go mod edit -replace istio.io/istio=./istio)
    # -trimpath keeps the Go build cache valid across rebuilds in a fresh work dir.
    local commit="${ISTIO_VERSION##*-}"
    (cd "$work" && nice go build -trimpath \
      -ldflags "-X istio.io/istio/pkg/version.buildVersion=$ISTIO_VERSION -X istio.io/istio/pkg/version.buildGitRevision=$commit -X istio.io/istio/pkg/version.buildStatus=petrel-interop-patched" \
      -o "$bin.tmp" istio.io/istio/pilot/cmd/pilot-discovery)
    mv "$bin.tmp" "$bin"
    rm -rf "$work"
  fi
  ln -sf "$bin" "$cache/bin/pilot-discovery"
}

peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=(grpc-xds-client pilot-discovery helm h2spec kube)
for peer in "${peers[@]}"; do
  case "$peer" in
    grpc-xds-client) build_grpc_xds_client ;;
    pilot-discovery) build_pilot_discovery ;;
    helm) bash "$here/peers/build-helm.sh" ;;
    kube) bash "$here/peers/kube/build-kube.sh" ;;
    h2spec) build_h2spec ;;
    *) echo "build-peers: unknown peer \"$peer\" (known: grpc-xds-client, pilot-discovery, helm, h2spec)" >&2; exit 2 ;;
  esac
done
echo "build-peers: ${peers[*]} ready in $cache/bin" >&2
