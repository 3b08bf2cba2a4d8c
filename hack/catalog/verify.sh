#!/usr/bin/env bash
# Regenerates the embedded instance-type catalog into a scratch file and fails, showing the start of the
# difference, when it differs from the committed one: a change to hack/catalog or its sources without
# regenerating cannot land.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "${ROOT}"
committed=pkg/aws/instancetype/catalog/zz_generated_catalog.json
scratch=$(mktemp -d)
trap 'rm -rf "${scratch}"' EXIT

# The generator's summary line is noise when all is well; show it only when generation fails.
if ! go run ./hack/catalog --out "${scratch}/catalog.json" 2>"${scratch}/log"; then
  cat "${scratch}/log" >&2
  exit 1
fi
if ! diff -u --label "${committed}" --label regenerated "${committed}" "${scratch}/catalog.json" >"${scratch}/diff"; then
  head -n 40 "${scratch}/diff" >&2
  echo "catalog is out of date: run go run ./hack/catalog" >&2
  exit 1
fi
