#!/usr/bin/env bash
# Builds the interop suite's Kubernetes peers — kube-apiserver,
# kube-controller-manager (ServiceAccounts, EndpointSlices, namespace cleanup) and
# etcd — from Go modules into the peer cache outside the repo (never committed).
#
#   test/interop/peers/kube/build-kube.sh   # prints nothing when already built
#
# The wrapper module beside this script requires k8s.io/kubernetes v1.36.3 and
# replaces its staging modules (./staging/src/k8s.io/* in Kubernetes' own go.mod)
# with the published k8s.io/* v0.36.3 modules; etcd is built at v3.6.8, the
# version that Kubernetes release pins. The committed go.sum decides every
# dependency. The build is keyed by a hash of its inputs, so a rerun with nothing
# changed costs nothing. See test/interop/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${PETREL_INTEROP_CACHE:-$HOME/.cache/petrel-interop}"
KUBE_VERSION=v1.36.3
key="$(sha256sum "$here/go.mod" "$here/go.sum" "$here/build-kube.sh" | sha256sum | cut -c1-12)"
out="$cache/bin/kube.$key"
bins=(kube-apiserver kube-controller-manager etcd)
mkdir -p "$cache/bin"

built() {
  local b
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done
}

if ! built; then
  command -v go >/dev/null || { echo "build-kube: go is not installed; the interop suite needs Go to build kube-apiserver" >&2; exit 1; }
  pinned="$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
  if [ "$pinned" != "$KUBE_VERSION" ]; then
    echo "build-kube: peers/kube/go.mod requires k8s.io/kubernetes $pinned but build-kube.sh says $KUBE_VERSION" >&2
    exit 1
  fi
  echo "build-kube: building kube-apiserver, kube-controller-manager $KUBE_VERSION and etcd (first build takes 10-20 minutes)" >&2
  tmp="$out.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Without the version stamp the binaries report v0.0.0-master, which clients
  # (and the apiserver's own compatibility-version checks) cannot parse as a release.
  minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  ldflags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  # -trimpath keeps the Go build cache valid wherever the repo lives.
  (cd "$here" && GOFLAGS="-mod=readonly -buildvcs=false" nice go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager go.etcd.io/etcd/server/v3)
  # go names the etcd main package after its module path minus the /v3 suffix.
  [ -x "$tmp/server" ] && mv "$tmp/server" "$tmp/etcd"
  rm -rf "$out"
  mv "$tmp" "$out"
  built || { echo "build-kube: go build finished but $out lacks one of: ${bins[*]}" >&2; exit 1; }
fi
for b in "${bins[@]}"; do ln -sfn "$out/$b" "$cache/bin/$b"; done
"$cache/bin/kube-apiserver" --version >/dev/null || { echo "build-kube: $out/kube-apiserver does not run" >&2; exit 1; }
"$cache/bin/etcd" --version >/dev/null || { echo "build-kube: $out/etcd does not run" >&2; exit 1; }
