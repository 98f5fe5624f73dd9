# Lumbung: `make run` starts a server, `make test` runs everything CI runs.
# Both install what they need when it is missing.

GO       ?= go
BIN      := bin/lumbung
PG_GLOB  := /usr/lib/postgresql/*/bin/postgres
SDKTEST  := server/sdktest
UI       := ui

.PHONY: run test test-go test-sdk test-ui bench build ui ui-stale postgres chromium node-deps clean

# `lumbung version` names what was built: the nearest tag (or the commit)
# with -dirty for uncommitted changes, and the commit. Outside a git
# checkout both are empty and the binary says what Go recorded.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
MODULE   := github.com/lumbunghq/lumbung
LDFLAGS  := -X $(MODULE)/server/command.version=$(VERSION) -X $(MODULE)/server/command.commit=$(COMMIT)

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./server/cmd/lumbung

run: postgres build
	./$(BIN) serve

test: postgres build node-deps test-go test-sdk test-ui test-cluster test-deploy

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The SDK suite, with the cross-origin (CORS) test in Chromium.
test-sdk: chromium
	cd $(SDKTEST) && LUMBUNG_BIN=$(CURDIR)/$(BIN) npm test

# The cluster suite: three `lumbung serve` processes of the binary above on
# one private PostgreSQL, one of them killed and PostgreSQL restarted under
# load (server/cluster, build tag "cluster"; a few tens of seconds).
.PHONY: test-cluster
test-cluster: postgres build
	$(GO) vet -tags cluster ./server/cluster
	LUMBUNG_BIN=$(CURDIR)/$(BIN) $(GO) test -tags cluster -count=1 -timeout 10m -v ./server/cluster
	sh deploy/smoke.sh

# The deployment files (deploy/, build tag "deploy"): each Kubernetes
# manifest decoded strictly into its API type (k8s.io/api), compose.yaml
# and the Dockerfile's stages, the static binary the Dockerfile builds
# (no dynamic loader), the systemd unit through systemd-analyze verify, and
# deploy/Caddyfile in Caddy in front of three nodes on loopback.
.PHONY: test-deploy test-cluster-compose caddy systemd-analyze
test-deploy: postgres caddy systemd-analyze
	$(GO) vet -tags deploy ./deploy
	$(GO) test -tags deploy -count=1 -v ./deploy

# Caddy for the balancer test: Debian's package unpacked into bin/ (not
# installed, so no service starts).
caddy: bin/caddy
bin/caddy:
	@mkdir -p bin && tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && chmod 755 $$tmp && cd $$tmp && \
	{ apt-get download caddy >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update >/dev/null && apt-get download caddy; }; } && \
	dpkg-deb -x caddy_*.deb x && cp x/usr/bin/caddy $(CURDIR)/bin/caddy || \
	{ echo "could not fetch Debian's caddy package for the balancer test (apt-get download caddy)" >&2; exit 1; }

# systemd-analyze for the unit's check (Debian's systemd package; installing
# it starts nothing in a container).
systemd-analyze:
	@if command -v systemd-analyze >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing systemd (for systemd-analyze)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y systemd; \
	else \
		echo "systemd-analyze is needed for the unit's check: run 'sudo apt-get install -y systemd'" >&2; \
		exit 1; \
	fi

# deploy/compose.yaml started, checked and removed (deploy/smoke.sh, also
# run by test-cluster); skipped with the reason where Docker is missing.
test-cluster-compose:
	sh deploy/smoke.sh

# The dashboard's bundle in ui/dist is committed, so that a plain go build
# embeds it without Node; `make ui` rebuilds it from the sources.
ui: node-deps
	cd $(UI) && npm run build

# ui-stale fails when ui/dist is not what the sources build to.
ui-stale: node-deps
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	cd $(UI) && npx vite build --logLevel error --outDir $$tmp/dist --emptyOutDir && \
	if ! diff -r $$tmp/dist dist >/dev/null; then \
		echo "ui/dist is stale: run 'make ui' and commit ui/dist" >&2; diff -r $$tmp/dist dist | head -20 >&2; exit 1; \
	fi

# The dashboard: types, unit tests, the realtime client against a live
# server, and the end-to-end tests in Chromium (screenshots of each screen
# land in ui/test-results/screenshots).
test-ui: ui-stale chromium
	cd $(UI) && npx svelte-check --fail-on-warnings && npx tsc -p e2e
	cd $(UI) && LUMBUNG_BIN=$(CURDIR)/$(BIN) npx vitest run
	cd $(UI) && LUMBUNG_BIN=$(CURDIR)/$(BIN) npm run e2e

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

# Chromium for the dashboard's browser tests: Debian's package, driven by
# playwright-core (no browser download).
chromium:
	@if [ -x /usr/bin/chromium ]; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Chromium"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "Chromium is needed for the dashboard tests: run 'sudo apt-get install -y chromium'" >&2; \
		exit 1; \
	fi

node-deps:
	@command -v npm >/dev/null 2>&1 || { echo "Node.js and npm are needed for the dashboard and the SDK tests" >&2; exit 1; }
	@for d in $(SDKTEST) $(UI); do \
		if [ ! -d $$d/node_modules ] || [ $$d/package-lock.json -nt $$d/node_modules ]; then \
			(cd $$d && npm ci --no-audit --no-fund) || exit 1; \
		fi; \
	done

clean:
	rm -rf bin
