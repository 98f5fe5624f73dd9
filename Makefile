# Lumbung: `make run` starts a server, `make test` runs everything CI runs.
# Both install what they need when it is missing.

GO       ?= go
BIN      := bin/lumbung
PG_GLOB  := /usr/lib/postgresql/*/bin/postgres
SDKTEST  := server/sdktest

.PHONY: run test test-go test-sdk bench build postgres node-deps clean

build:
	$(GO) build -o $(BIN) ./server/cmd/lumbung

run: postgres build
	./$(BIN) serve

test: postgres build node-deps test-go test-sdk

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-sdk:
	cd $(SDKTEST) && LUMBUNG_BIN=$(CURDIR)/$(BIN) npm test

bench: postgres build
	$(GO) run ./server/cmd/lumbung-bench -lumbung $(CURDIR)/$(BIN)

# PostgreSQL server binaries for the private database (skipped when
# DATABASE_URL points at an external server).
postgres:
	@if [ -n "$$DATABASE_URL" ] || command -v postgres >/dev/null 2>&1 || ls $(PG_GLOB) >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing PostgreSQL server binaries"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; \
	else \
		echo "PostgreSQL server binaries are missing: run 'sudo apt-get install -y postgresql'" >&2; \
		echo "or set DATABASE_URL to an external PostgreSQL server." >&2; \
		exit 1; \
	fi

node-deps:
	@command -v npm >/dev/null 2>&1 || { echo "Node.js and npm are needed for the SDK tests" >&2; exit 1; }
	@if [ ! -d $(SDKTEST)/node_modules ] || [ $(SDKTEST)/package-lock.json -nt $(SDKTEST)/node_modules ]; then \
		cd $(SDKTEST) && npm ci --no-audit --no-fund; \
	fi

clean:
	rm -rf bin
