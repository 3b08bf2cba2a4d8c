# Stevedore's build. `make help` lists the targets; `make presubmit` is what CI runs.
SHELL := /usr/bin/env bash -o pipefail
.DEFAULT_GOAL := help

BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
export KUBEBUILDER_ASSETS := $(BIN)
export GOTOOLCHAIN := local

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X github.com/stevedore-dev/stevedore/pkg/version.Version=$(VERSION) \
	-X github.com/stevedore-dev/stevedore/pkg/version.Commit=$(COMMIT) \
	-X github.com/stevedore-dev/stevedore/pkg/version.BuildDate=$(BUILD_DATE)

# Test parallelism: two packages at a time keeps a 2-core machine responsive with one API server each.
TEST_P ?= 2
TEST_FLAGS ?=
BENCH ?= .
BENCH_FLAGS ?= -benchtime=1x

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: tools
tools: ## Build the pinned control plane, kwok, controller-gen, helm and golangci-lint into bin/ (cached).
	@hack/tools.sh

.PHONY: build
build: ## Build the controller and the stevedore CLI into bin/.
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/stevedore-controller ./cmd/controller
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/stevedore ./cmd/stevedore

.PHONY: generate
generate: tools ## Regenerate deepcopy functions and CRDs from the API types, and the instance-type catalog.
	controller-gen object:headerFile=hack/boilerplate.go.txt crd output:crd:artifacts:config=pkg/apis/crds paths=./pkg/apis/...
	cp pkg/apis/crds/*.yaml charts/stevedore/crds/
	cp pkg/apis/crds/*.yaml charts/stevedore-crd/templates/
	go run ./hack/catalog

.PHONY: test
test: tools ## Run unit and envtest suites (race detector on) against the real kube-apiserver and etcd.
	go test -race -p $(TEST_P) $(TEST_FLAGS) ./...

.PHONY: test-wire
test-wire: ## Drive the AWS simulator with the AWS CLI (installs Debian's awscli when no aws command exists).
	hack/awscli.sh
	go test -tags wire -count=1 ./test/wire/...

.PHONY: verify
verify: tools ## Check generated code is up to date, then gofmt, go vet and golangci-lint.
	hack/verify-codegen.sh
	hack/verify-chart-crds.sh
	hack/catalog/verify.sh
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed on:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	golangci-lint run ./...

.PHONY: presubmit
presubmit: verify test test-wire ## Everything CI checks: verify, then the tests, then the AWS CLI wire test.

.PHONY: bench
bench: tools ## Run the benchmarks (BENCH=regexp to pick, BENCH_FLAGS to tune).
	go test -run '^$$' -bench '$(BENCH)' -benchmem $(BENCH_FLAGS) ./...

# Extra flags for `make run`, such as SANDBOX_FLAGS="--boot-delay 1s --capacity m7i.large:us-east-1a:spot=0".
SANDBOX_FLAGS ?=

.PHONY: run
run: tools ## Run the sandbox with the scripted demo: a local control plane, kwok nodes, the AWS simulator and Stevedore (Ctrl-C stops it).
	go build -ldflags "$(LDFLAGS)" -o $(BIN)/stevedore ./cmd/stevedore
	$(BIN)/stevedore sandbox --workload demo $(SANDBOX_FLAGS)

.PHONY: clean
clean: ## Remove build outputs (keeps the cached tools in bin/).
	rm -f $(BIN)/stevedore $(BIN)/stevedore-controller
