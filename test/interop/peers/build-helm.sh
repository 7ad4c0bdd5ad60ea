#!/usr/bin/env bash
# Builds helm for the interop suite (test/interop/helm.test.ts lints and renders
# charts/ with it) from the Go module proxy into the peer cache outside the repo.
#
#   test/interop/peers/build-helm.sh      # prints nothing when helm is already built
#
# `go install module@version` builds with helm's own go.mod and go.sum, checked
# against the checksum database, so every dependency is pinned by the version
# below. The module proxy here serves only some tags (`go list -m -versions
# helm.sh/helm/v3`); v3.22.0 is the newest it serves.
set -euo pipefail
HELM_VERSION=v3.22.0
cache="${PETREL_INTEROP_CACHE:-$HOME/.cache/petrel-interop}"
bin="$cache/bin/helm.$HELM_VERSION"
mkdir -p "$cache/bin"

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "build-helm: go is not installed; the interop suite needs Go to build helm" >&2; exit 1; }
  echo "build-helm: building helm $HELM_VERSION (first build takes a few minutes)" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # GOFLAGS is cleared: -mod flags do not apply to `go install module@version`.
  GOFLAGS=-buildvcs=false GOBIN="$tmp" nice go install -trimpath \
    -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$tmp/helm" "$bin"
fi
ln -sf "$bin" "$cache/bin/helm"
"$cache/bin/helm" version --short >/dev/null || { echo "build-helm: $bin does not run" >&2; exit 1; }
