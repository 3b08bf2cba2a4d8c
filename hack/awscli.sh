#!/usr/bin/env bash
# Makes sure an AWS CLI is on PATH for the wire tests (test/wire), installing Debian's awscli package only when
# none is found. The wire tests use it as a second, independent client of the AWS simulator.
set -euo pipefail
if command -v aws >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "hack/awscli.sh: no aws command and no apt-get to install one; install the AWS CLI and retry" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "hack/awscli.sh: installing Debian's awscli package for the wire tests"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends awscli >/dev/null
aws --version
