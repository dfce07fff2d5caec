# mockprove: make run · make test · make build · make lint · make bench
GO      ?= go
BIN     := bin
ADDR    ?= 127.0.0.1:8080
PKGS    := ./...

.PHONY: all build run test lint vet fmt-check bench deps clean

all: lint test build

deps:
	$(GO) mod download

build: deps
	$(GO) build -o $(BIN)/mockprove ./mockprove/cmd/mockprove

# Builds and starts mockprove on the embedded default personas.
run: build
	@scripts/run.sh "$(BIN)/mockprove" "$(ADDR)"

lint: vet fmt-check

vet: deps
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Everything: lint, then every test with the race detector (browser tests included).
test: lint
	$(GO) test -race -count=1 $(PKGS)

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./mockprove/

clean:
	rm -rf $(BIN)
