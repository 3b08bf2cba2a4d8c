#!/usr/bin/env bash
# Fails when the CRDs shipped in the Helm charts (charts/stevedore/crds and charts/stevedore-crd/templates) are not
# byte-for-byte the generated ones in pkg/apis/crds: a chart that installs stale CRDs would let the API server
# accept objects the controller no longer understands, or reject ones it needs. `make generate` copies them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${ROOT}"

status=0
fail() { echo "verify-chart-crds: $*" >&2; status=1; }

shopt -s nullglob
generated=(pkg/apis/crds/*.yaml)
if [[ ${#generated[@]} -eq 0 ]]; then
  echo "verify-chart-crds: no CRDs in pkg/apis/crds; run 'make generate'" >&2
  exit 1
fi

for dir in charts/stevedore/crds charts/stevedore-crd/templates; do
  for src in "${generated[@]}"; do
    name=$(basename "${src}")
    if [[ ! -f "${dir}/${name}" ]]; then
      fail "${dir}/${name} is missing"
    elif ! cmp -s "${src}" "${dir}/${name}"; then
      fail "${dir}/${name} differs from ${src}:"
      diff -u "${src}" "${dir}/${name}" | head -40 >&2 || true
    fi
  done
  for copy in "${dir}"/*.yaml; do
    if [[ ! -f "pkg/apis/crds/$(basename "${copy}")" ]]; then
      fail "${copy} has no generated counterpart in pkg/apis/crds (a removed or renamed CRD?); delete it"
    fi
  done
done

# The CRD chart's templates go through Helm's template engine: a "{{" in a generated description would break it.
for src in "${generated[@]}"; do
  if grep -q '{{' "${src}"; then
    fail "${src} contains '{{', which Helm would read as a template action in charts/stevedore-crd/templates"
  fi
done

if [[ ${status} -ne 0 ]]; then
  echo "the charts' CRDs are out of date: run 'make generate' (it copies pkg/apis/crds/*.yaml into both charts) and commit the result" >&2
fi
exit ${status}
