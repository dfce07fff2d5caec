# mockprove: make run · make test · make build · make lint · make contracts · make bench · make soak · make fuzz
GO       ?= go
NPM      ?= npm
BIN      := bin
ADDR     ?= 127.0.0.1:8080
APP_ADDR ?= 127.0.0.1:3000
PKGS     := ./...
# Folders whose package.json pulls from npm (never committed): Prove's web SDK, and the
# OpenAPI linter (Redocly CLI) in specs/lint.
NPM_DIRS := flowapp/web mockprove/browsertest specs/lint

.PHONY: all build run test lint vet fmt-check bench bench-go soak fuzz deps npm clean contracts

all: lint test build

deps:
	$(GO) mod download

# Installs Prove's web SDK where a package.json asks for it (npm ci when a lock file exists).
# A folder whose node_modules is newer than its package.json and package-lock.json is
# skipped: nothing is downloaded, so `make run` and `make test` work offline after the
# first install.
npm:
	@for d in $(NPM_DIRS); do \
	  if [ -f $$d/package.json ]; then \
	    stamp=$$d/node_modules/.package-lock.json; \
	    if [ -f $$stamp ] && [ $$stamp -nt $$d/package.json ] && \
	       { [ ! -f $$d/package-lock.json ] || [ $$stamp -nt $$d/package-lock.json ]; }; then continue; fi; \
	    if [ -f $$d/package-lock.json ]; then (cd $$d && $(NPM) ci --no-audit --no-fund --loglevel=error) || exit 1; \
	    else (cd $$d && $(NPM) install --no-audit --no-fund --loglevel=error) || exit 1; fi; \
	  fi; \
	done

build: deps
	$(GO) build -o $(BIN)/mockprove ./mockprove/cmd/mockprove
	@if [ -d flowapp/cmd/flowapp ]; then $(GO) build -o $(BIN)/flowapp ./flowapp/cmd/flowapp; fi

# Builds and starts mockprove (and flowapp) on the embedded default personas.
run: build npm
	@scripts/run.sh "$(BIN)" "$(ADDR)" "$(APP_ADDR)"

# go vet, gofmt, and Redocly's recommended ruleset (warnings as errors) on every OpenAPI
# document in specs/ (specs/lint/redocly.yaml lists them, and why a rule is off where it is).
# Offline after the first `make npm`; Redocly's telemetry and update check are off.
lint: vet fmt-check npm
	@cd specs && out=$$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	  lint/node_modules/.bin/redocly lint --config lint/redocly.yaml --format=stylish 2>&1); rc=$$?; \
	  printf '%s\n' "$$out" | grep -v '[║╔╚]' | grep -v '^ *$$'; exit $$rc

vet: deps
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path '*/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Everything: lint, then every test with the race detector (browser tests included).
test: lint npm
	$(GO) test -race -count=1 $(PKGS)
	$(GO) test -run '^$$' -bench . -benchtime=1x ./mockprove/ >/dev/null
	$(GO) run ./bench -soak -duration 30s

# contracts verify against a freshly started mockprove binary (a free loopback
# port); CONTRACTS_FLAGS adds flags, e.g. CONTRACTS_FLAGS="-junit verify.xml".
contracts: deps
	$(GO) build -o $(BIN)/mockprove ./mockprove/cmd/mockprove
	@GO="$(GO)" scripts/contracts.sh "$(BIN)" $(CONTRACTS_FLAGS)

# The benchmark: mockprove as a separate process against bare net/http and
# kin-openapi references, with one built-in load generator; adds the run to
# BENCHMARKS.md and ends with the bench: line. BENCH_FLAGS for more, e.g.
# BENCH_FLAGS='-label after -held 1000000'.
bench: deps
	$(GO) run ./bench $(BENCH_FLAGS)

# The in-process testing.B benchmarks of the hot paths.
bench-go: deps
	$(GO) test -run '^$$' -bench . -benchmem ./mockprove/

# Steady real-time load with some flows left unfinished, 10 minutes by
# default (SOAK_FLAGS='-duration 1h'); fails when RSS grows past its bound.
soak: deps
	$(GO) run ./bench -soak $(SOAK_FLAGS)

# Every fuzz target for FUZZTIME each (make test runs their seeds).
FUZZTIME ?= 10s
fuzz: deps
	@for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' mockprove/*_test.go | sed 's/^func //'); do \
	  echo "fuzz $$t for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./mockprove/ || exit 1; \
	done

clean:
	rm -rf $(BIN)
