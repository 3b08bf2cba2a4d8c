#!/usr/bin/env bash
# Regenerates deepcopy functions and CRDs into a scratch copy and fails, showing the difference, when they
# differ from the files in the tree: an API change without `make generate` cannot land.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${ROOT}"
scratch=$(mktemp -d)
trap 'rm -rf "${scratch}"' EXIT

generated() { find pkg/apis -name 'zz_generated.*.go' -o -path 'pkg/apis/crds/*.yaml'; }

mkdir -p "${scratch}/before"
generated | xargs -I{} cp --parents {} "${scratch}/before"
"${ROOT}/bin/controller-gen" object:headerFile=hack/boilerplate.go.txt \
  crd output:crd:artifacts:config="${scratch}/crds" paths=./pkg/apis/...
# controller-gen writes deepcopy in place; compare those against the snapshot, CRDs against the tree.
status=0
while read -r f; do
  if ! diff -u "${scratch}/before/${f}" "${f}"; then status=1; fi
done < <(find pkg/apis -name 'zz_generated.*.go')
if ! diff -ru pkg/apis/crds --exclude='*.go' "${scratch}/crds"; then status=1; fi
if [[ ${status} -ne 0 ]]; then
  echo "generated code is out of date: run 'make generate' and commit the result" >&2
  # Leave the tree as it was found.
  (cd "${scratch}/before" && find . -type f) | while read -r f; do cp "${scratch}/before/${f}" "${f}"; done
fi
exit ${status}
