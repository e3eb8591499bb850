# Gatehouse. `make run` and `make test` install whatever is missing first (Debian packages,
# the Wails CLI, npm packages), so they are the only two commands a fresh Debian or Ubuntu
# machine needs. See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-print-directory

GO            ?= go
GOBIN         := $(shell $(GO) env GOPATH)/bin
WAILS_VERSION := v2.16.0
WAILS         := $(GOBIN)/wails
STATICCHECK   := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
NODE_MIN      := 20.19.0
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.version=$(VERSION)
SUDO          := $(if $(filter 0,$(shell id -u)),,sudo)

# Everything the builds and tests need from Debian: GTK and WebKitGTK 4.1 for the window,
# Chromium's headless shell for the browser tests and the full Chromium as the sign-in
# tests' system browser, Xvfb + xdotool + ImageMagick + libX11 for the desktop smoke test,
# NSIS for the Windows installer, gnome-keyring + D-Bus for the keychain tests.
APT_PACKAGES := gcc libx11-dev libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config chromium chromium-headless-shell xvfb xauth xdotool \
	imagemagick nsis gnome-keyring dbus dbus-x11 libsecret-tools libreoffice-calc-nogui postgresql

BIN      := build/bin
APP      := $(BIN)/gatehouse
HARNESS  := $(BIN)/harness
DIST     := frontend/dist/index.html
NODE_OK  := frontend/node_modules/.package-lock.json
BINDINGS := frontend/wailsjs/go/models.ts
# Bound methods may return backend types, so any of them can change the generated models.
BOUND_SRC := $(shell find app backend -name '*.go' -not -name '*_test.go')
FRONTEND_SRC := $(shell find frontend/src frontend/public frontend/wailsjs -type f 2>/dev/null) \
	frontend/index.html frontend/vite.config.ts frontend/tsconfig.json frontend/package-lock.json

# Go binaries are always handed to the Go build cache, which knows better than make what
# changed (and other packages' files come and go while they are written).
.PHONY: FORCE
FORCE:

.PHONY: deps deps-apt deps-wails deps-node print-apt-packages run build build-windows \
	bindings frontend test test-go test-fuzz test-unit test-e2e test-desktop screenshot screenshots bench lint icon clean mutate

## deps: install what is missing (idempotent)
deps: deps-apt deps-wails deps-node

print-apt-packages:
	@echo $(APT_PACKAGES)

deps-apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

deps-wails:
	@have=$$("$(WAILS)" version 2>/dev/null || true); \
	if ! grep -qx '$(WAILS_VERSION)' <<<"$$have"; then \
		echo "Installing the Wails CLI $(WAILS_VERSION)"; \
		$(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION); \
	fi

deps-node: $(NODE_OK)

$(NODE_OK): frontend/package-lock.json frontend/package.json
	@command -v node >/dev/null || { echo "Node.js $(NODE_MIN) or newer is needed (Debian's nodejs 18 is too old for Vite 7)"; exit 1; }
	@node -e 'const v = (s) => s.split(".").reduce((n, p) => n * 1000 + Number(p), 0); if (v(process.versions.node) < v("$(NODE_MIN)")) { console.error("Node.js " + process.versions.node + " is too old: $(NODE_MIN) or newer is needed"); process.exit(1) }'
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

## bindings: regenerate frontend/wailsjs from the bound Go methods
bindings: $(BINDINGS)

$(BINDINGS): $(BOUND_SRC) | deps-wails
	$(WAILS) generate module -tags webkit2_41
	@touch $@

## frontend: build frontend/dist
frontend: $(DIST)

$(DIST): $(FRONTEND_SRC) $(BINDINGS) $(NODE_OK)
	cd frontend && npm run build

# wails build: -m skips its `go mod tidy` (go.mod is edited by hand here), -s the frontend
# build and -skipbindings the bindings, which the rules above have already made.

## build: the Linux desktop binary, build/bin/gatehouse
build: deps $(APP)

$(APP): $(DIST) FORCE
	$(WAILS) build -m -s -skipbindings -tags webkit2_41 -ldflags "$(LDFLAGS)"

## run: install what is missing, build, and open the app
run: build
	./$(APP)

## build-windows: build/bin/gatehouse.exe and the NSIS installer (cross-compiled, no cgo)
build-windows: deps $(DIST)
	$(WAILS) build -m -s -skipbindings -platform windows/amd64 -nsis -ldflags "$(LDFLAGS)"
	@ls -l $(BIN)/gatehouse.exe $(BIN)/Gatehouse-amd64-installer.exe

$(HARNESS): FORCE
	$(GO) build -o $@ ./app/cmd/harness

## test: Go vet and tests (race detector), Vitest, browser tests in Chromium, desktop smoke test
# -k: one failing suite does not hide the others' results; make still fails.
# Each step's time is printed at the end, so that the slow one is plain to see.
TEST_STEPS := test-go test-fuzz test-unit test-e2e test-desktop
test: deps
	@start=$$(date +%s); failed=""; times=""; \
	for step in $(TEST_STEPS); do \
		t0=$$(date +%s); \
		$(MAKE) $$step || failed="$$failed $$step"; \
		times="$$times\n  $$step: $$(( $$(date +%s) - t0 )) s"; \
	done; \
	printf "make test: step times$$times\n"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: everything passed in $$(( $$(date +%s) - start )) s"

# Each fuzz target runs briefly on top of its seed corpus (which test-go already replays):
# long enough to catch a regression in the parsers of untrusted input, short enough for CI.
# Each runs a number of inputs: 2–12 s each in CI on the 2-core machine (a slow machine
# takes longer instead of failing; build/fuzz.sh says why). FUZZTIME=60s runs each for
# that long instead.
FUZZTIME ?=
FUZZ_TARGETS := backend/sheets:FuzzReadCSV:8000 backend/sheets:FuzzReadXLSX:1500 \
	backend/sheets:FuzzFastReadMatchesExcelize:600 backend/mail:FuzzHeaders:60000 backend/mail:FuzzRender:100000
test-fuzz:
	@build/fuzz.sh $(GO) "$(FUZZTIME)" $(FUZZ_TARGETS)

# The race detector watches our code and the Go libraries it shares memory with. Two kinds
# of package are compiled without its instrumentation (-race=false; the latest pattern
# that matches a package wins):
# - SQLite as modernc.org transpiled it from C, with its C library: every step of a query
#   was instrumented, and checked by checkptr. No memory of ours is shared with it: values
#   are copied in and out by its database/sql driver, modernc.org/sqlite, which stays
#   instrumented so that a connection used from two goroutines is still caught. The cache
#   package took 33 s with it instrumented, 13.5 s without; checkptr alone had been 40 %
#   of the run.
# - argon2 and blake2b, pure arithmetic on their own buffers: the throttle tests hash a
#   hundred guesses, 18 s instrumented and 3.5 s without.
RACE_GCFLAGS := -gcflags=modernc.org/...=-race=false -gcflags=modernc.org/sqlite=-d=checkptr=0 \
	-gcflags=golang.org/x/crypto/argon2=-race=false -gcflags=golang.org/x/crypto/blake2b=-race=false

# The keychain tests need a Secret Service: run the Go tests inside their own D-Bus session
# with an unlocked gnome-keyring. The keyring daemon leaves the session on its own, so it is
# stopped by the process ID the bus gives for the Secret Service's name.
test-go:
	$(GO) vet ./...
	@if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then \
		dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
			kr=$$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
				org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk "/uint32/ {print \$$2}"); \
			$(GO) test -race $(RACE_GCFLAGS) ./...; rc=$$?; [ -z "$$kr" ] || kill $$kr; exit $$rc'; \
	elif [ "$${CI:-}" = true ]; then \
		echo "dbus-run-session or gnome-keyring-daemon is missing (apt-get install dbus gnome-keyring); CI=true, so this fails"; exit 1; \
	else \
		echo "warning: no dbus-run-session/gnome-keyring-daemon: keychain tests will skip"; \
		$(GO) test -race $(RACE_GCFLAGS) ./...; \
	fi
	@# The kill tests run whole child processes; they are about crashes, not data races,
	@# and take minutes under the race detector, so they are built without -race only.
	@# Beside them, the store's and the server's suites again, on PostgreSQL (started by the
	@# tests in a temporary folder), with the tests only PostgreSQL has: several server
	@# processes on one database, and moving a portal there. About the SQL, so without the
	@# race detector too. That suite mostly waits (leases, mail rounds), so the two run side
	@# by side: 104 s one after the other, 95 s together here.
	$(GO) test -count=1 -run 'TestKillDesktop|TestCrashResume' ./backend/replica ./backend/batch & kill=$$!; \
	GATEHOUSE_TEST_DB=postgres $(GO) test -count=1 ./backend/server/... ./backend/cmd/gatehouse-server; pg=$$?; \
	wait $$kill; killrc=$$?; test $$pg = 0 && test $$killrc = 0

test-unit: $(NODE_OK)
	cd frontend && npx vitest run

test-e2e: $(DIST) $(HARNESS)
	cd frontend && HARNESS_BIN=$(abspath $(HARNESS)) node e2e/run.mjs

## mutate: mutation testing of the domain and its policy (go-gremlins); not part of make
## test. Prints each mutant and the share killed (efficacy) and reached (coverage).
GREMLINS := $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mutate:
	$(GREMLINS) unleash --invert-logical --workers 2 -o $(BIN)/mutate-portal.json ./backend/portal

test-desktop: $(APP)
	build/smoke.sh $(APP) $(BIN)/smoke.png

## screenshot: refresh build/screenshot.png (shown in the README) from the smoke test
screenshot: test-desktop
	cp $(BIN)/smoke.png build/screenshot.png

## screenshots: every screen at 1280×800 and 1024×700 in both themes, with the demo data,
## into build/screens/ (committed, to be looked at); the same run checks the layout
screenshots: $(NODE_OK) $(DIST) $(HARNESS)
	rm -rf build/screens
	cd frontend && SCREENS_DIR=$(abspath build/screens) HARNESS_BIN=$(abspath $(HARNESS)) node e2e/run.mjs e2e/layout.test.mjs

## bench: the benchmarks, each beside its peer measured in the same run, as one table
## (BENCH_SEARCH=0 leaves out the 1,000,000-row search fixture, which takes a few minutes)
BENCH_OUT := $(BIN)/bench
PG_NAMES := sed 's/^\(Benchmark[^ \t-]*\)/\1\/postgres/'
BENCH_XLSX := $(BENCH_OUT)/contacts100k.xlsx
BENCH_SEARCH ?= 1
bench: $(NODE_OK) $(DIST) $(HARNESS)
	@mkdir -p $(BENCH_OUT); : > $(BENCH_OUT)/bench.txt
	GATEHOUSE_BENCH_XLSX=$(abspath $(BENCH_XLSX)) $(GO) test -run '^$$' -bench 'Import100k|Read100k' -benchtime 3x ./backend/imports 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	node backend/sheets/testdata/bench/read_sheetjs.js $(BENCH_XLSX) 3 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'ExportLogins100k' -benchtime 3x ./backend/reports 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'InitialSync100k|IncrementalSync100' -benchtime 1x ./backend/replica 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'ApplyImport10k' -benchtime 1x ./backend/replica 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'UpsertAccounts100k|UpsertAccountsBatched100k|RawInsert100k' -benchtime 3x ./backend/cache 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	@if [ "$(BENCH_SEARCH)" = 1 ]; then \
		$(GO) test -run '^$$' -bench '^BenchmarkSearch$$' -benchtime 2000x -timeout 60m ./backend/cache 2>&1 | tee -a $(BENCH_OUT)/bench.txt; \
	fi
	$(GO) test -run '^$$' -bench 'Send10k' -benchtime 1x ./backend/batch 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'SMTPSend$$|RawGoSMTP' ./backend/mail 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'ApproveDeny50Clients' -benchtime 3000x ./backend/server 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'ChangeFeed' ./backend/server 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'BulkInvitations' -benchtime 1x ./backend/server 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'MeDuringPasswordFlood' -benchtime 1x ./backend/server 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	$(GO) test -run '^$$' -bench 'HeadlessLogin' ./backend/sso 2>&1 | tee -a $(BENCH_OUT)/bench.txt
	@# The same portal benchmarks on PostgreSQL (one process, and two on one database), named
	@# .../postgres so that the table sets them beside SQLite's.
	GATEHOUSE_TEST_DB=postgres $(GO) test -run '^$$' -bench 'ApproveDeny50Clients' -benchtime 3000x ./backend/server 2>&1 | $(PG_NAMES) | tee -a $(BENCH_OUT)/bench.txt
	GATEHOUSE_TEST_DB=postgres $(GO) test -run '^$$' -bench 'ChangeFeed' ./backend/server 2>&1 | $(PG_NAMES) | tee -a $(BENCH_OUT)/bench.txt
	GATEHOUSE_TEST_DB=postgres $(GO) test -run '^$$' -bench 'BulkInvitations' -benchtime 1x ./backend/server 2>&1 | $(PG_NAMES) | tee -a $(BENCH_OUT)/bench.txt
	GATEHOUSE_TEST_DB=postgres $(GO) test -run '^$$' -bench 'Send10k/invitations' -benchtime 1x ./backend/batch 2>&1 | $(PG_NAMES) | tee -a $(BENCH_OUT)/bench.txt
	cd frontend && HARNESS_BIN=$(abspath $(HARNESS)) node e2e/run.mjs e2e/users-100k.test.mjs 2>&1 | tee $(abspath $(BENCH_OUT))/users-100k.txt
	sed -n 's/.*first rows \([0-9]*\) ms after the click.*/BenchmarkUsersFirstRows 1 \1 ms/p' $(BENCH_OUT)/users-100k.txt | tee -a $(BENCH_OUT)/bench.txt
	@echo; $(GO) run ./build/tools/benchtable $(BENCH_OUT)/bench.txt | tee $(BENCH_OUT)/table.txt

## lint: gofmt, go vet, staticcheck, vue-tsc
lint: $(NODE_OK)
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt -w needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd frontend && npx vue-tsc --noEmit

## icon: redraw build/appicon.png (Wails derives the Windows and macOS icons from it)
icon:
	convert -size 1024x1024 xc:none \
		-fill '#2f6f5e' -draw 'roundrectangle 0,0 1023,1023 224,224' \
		-fill none -stroke white -strokewidth 80 \
		-draw 'stroke-linecap round stroke-linejoin round polyline 192,480 512,208 832,480' \
		-draw 'stroke-linejoin round polyline 288,464 288,816 736,816 736,464' \
		-strokewidth 56 -draw 'stroke-linecap round line 416,816 416,576' \
		-draw 'stroke-linecap round line 512,816 512,544' -draw 'stroke-linecap round line 608,816 608,576' \
		-depth 8 build/appicon.png
	convert build/appicon.png -resize 64x64 frontend/public/favicon.png
	rm -f build/windows/icon.ico

clean:
	rm -rf $(BIN) build/windows/installer/tmp frontend/e2e/.out
	find frontend/dist -mindepth 1 -not -name .gitkeep -delete
