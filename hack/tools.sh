#!/usr/bin/env bash
# Builds every pinned tool the build and the tests need into bin/, from the Go module proxy only.
# A tool is rebuilt only when its pinned version changes (bin/.versions/<tool> records what was built).
#
#   hack/tools.sh            build everything
#   hack/tools.sh etcd helm  build just these
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="${ROOT}/bin"
WORK="${BIN}/.build"
STAMPS="${BIN}/.versions"
mkdir -p "${BIN}" "${WORK}" "${STAMPS}"

# Pins. Change a version here and the next run rebuilds that tool.
KUBERNETES_VERSION=v1.37.2 # kube-apiserver, kube-scheduler, kube-controller-manager
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
CONTROLLER_GEN_VERSION=v0.23.0
HELM_VERSION=v3.22.0
GOLANGCI_LINT_VERSION=v2.15.0

export GOFLAGS="-buildvcs=false -trimpath"
export CGO_ENABLED=0
export GOTOOLCHAIN=local

log() { printf '[tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# up_to_date NAME VERSION BINARY... succeeds when every binary exists and was built at VERSION.
up_to_date() {
  local name=$1 version=$2
  shift 2
  [[ -f "${STAMPS}/${name}" && "$(cat "${STAMPS}/${name}")" == "${version}" ]] || return 1
  local b
  for b in "$@"; do [[ -x "${BIN}/${b}" ]] || return 1; done
}

stamp() { echo "$2" >"${STAMPS}/$1"; }

# scratch_module NAME prepares an empty throwaway module in bin/.build/NAME and cds into it.
scratch_module() {
  rm -rf "${WORK:?}/$1"
  mkdir -p "${WORK}/$1"
  cd "${WORK}/$1"
  go mod init "stevedore.local/tools/$1" >/dev/null 2>&1
}

# go_tool NAME VERSION PACKAGE BINARY builds PACKAGE@VERSION through a scratch module, so that a tool whose
# own go.mod carries replace directives still builds (go install pkg@version refuses those).
go_tool() {
  local name=$1 version=$2 pkg=$3 binary=$4 module=${5:-$3}
  if up_to_date "${name}" "${version}" "${binary}"; then log "${name} ${version}: cached"; return; fi
  log "${name} ${version}: building ${pkg} (first build only)"
  (
    scratch_module "${name}"
    cat >tools.go <<GO
//go:build tools

package tools

import _ "${pkg}"
GO
    go get "${module}@${version}" >/dev/null
    go mod tidy >/dev/null 2>&1 || true
    go build -o "${BIN}/${binary}" "${pkg}"
  )
  stamp "${name}" "${version}"
  log "${name} ${version}: done"
}

build_kubernetes() {
  local v=${KUBERNETES_VERSION} staging=v0${KUBERNETES_VERSION#v1}
  if up_to_date kubernetes "${v}" kube-apiserver kube-scheduler kube-controller-manager; then
    log "kubernetes ${v}: cached"; return
  fi
  log "kubernetes ${v}: building kube-apiserver, kube-scheduler, kube-controller-manager (10-15 minutes on 2 cores, once)"
  (
    scratch_module kubernetes
    # k8s.io/kubernetes points its staging modules at ./staging; point them at the published tags instead.
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@${v}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    go mod edit -require="k8s.io/kubernetes@${v}"
    local mod
    for mod in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "${gomod}"); do
      go mod edit -replace="${mod}=${mod}@${staging}"
    done
    cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
    go mod tidy >/dev/null
    local minor=${v#v1.}
    minor=${minor%%.*}
    local ldflags="-s -w"
    ldflags+=" -X k8s.io/component-base/version.gitVersion=${v}"
    ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=${minor}"
    ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
    local cmd
    for cmd in kube-apiserver kube-scheduler kube-controller-manager; do
      log "kubernetes ${v}: go build ${cmd}"
      go build -ldflags "${ldflags}" -o "${BIN}/${cmd}" "k8s.io/kubernetes/cmd/${cmd}"
    done
  )
  stamp kubernetes "${v}"
  log "kubernetes ${v}: done"
}

build_etcd() {
  if up_to_date etcd "${ETCD_VERSION}" etcd; then log "etcd ${ETCD_VERSION}: cached"; return; fi
  log "etcd ${ETCD_VERSION}: building"
  (
    scratch_module etcd
    cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >/dev/null
    go mod tidy >/dev/null
    go build -ldflags "-s -w" -o "${BIN}/etcd" .
  )
  stamp etcd "${ETCD_VERSION}"
  log "etcd ${ETCD_VERSION}: done"
}

build_kwok() { go_tool kwok "${KWOK_VERSION}" sigs.k8s.io/kwok/cmd/kwok kwok sigs.k8s.io/kwok; }
build_controller_gen() {
  go_tool controller-gen "${CONTROLLER_GEN_VERSION}" sigs.k8s.io/controller-tools/cmd/controller-gen controller-gen sigs.k8s.io/controller-tools
}
build_helm() { go_tool helm "${HELM_VERSION}" helm.sh/helm/v3/cmd/helm helm helm.sh/helm/v3; }
build_golangci_lint() {
  go_tool golangci-lint "${GOLANGCI_LINT_VERSION}" github.com/golangci/golangci-lint/v2/cmd/golangci-lint \
    golangci-lint github.com/golangci/golangci-lint/v2
}

ALL=(controller-gen etcd kubernetes kwok helm golangci-lint)
tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=("${ALL[@]}")
start=$(date +%s)
for t in "${tools[@]}"; do
  case "$t" in
    kubernetes) build_kubernetes ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    controller-gen) build_controller_gen ;;
    helm) build_helm ;;
    golangci-lint) build_golangci_lint ;;
    *) echo "hack/tools.sh: unknown tool '$t' (known: ${ALL[*]})" >&2; exit 2 ;;
  esac
done
log "all requested tools ready in bin/ ($(($(date +%s) - start))s)"
