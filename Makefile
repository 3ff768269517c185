# hamsasim: the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/hamsasim
MOCKERY := github.com/vektra/mockery/v2@v2.53.7
REPORTS := reports

.PHONY: all build demo test test-deps test-mysql lint vet fmt-check mocks clean bench bench-large fuzz capacity

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/hamsasim

# What `hamsasim version` prints: git describe's version of this tree (a
# tag, tag-N-gHASH, or with no tag the bare short commit; -dirty for
# uncommitted changes), the commit and the UTC build time. Outside a git
# checkout they are empty and the binary falls back to the Go build info.
# Override on the command line: make release VERSION=v1.2.0.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
DATE    := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION_PKG := github.com/hamsasim/hamsasim/internal/cli
LDFLAGS := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).commit=$(COMMIT) -X $(VERSION_PKG).date=$(DATE)

DIST := dist
# make release: one archive per platform, tar.gz but for Windows (zip).
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
IMAGE ?= hamsasim:$(or $(VERSION),dev)

.PHONY: install release cross-check image

# Into $GOBIN, else the first $GOPATH/bin, version stamped.
install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/hamsasim
	@bin=$$($(GO) env GOBIN); [ -n "$$bin" ] || bin=$$($(GO) env GOPATH | cut -d: -f1)/bin; \
	echo "installed $$bin/hamsasim $(VERSION)"; \
	case ":$$PATH:" in *":$$bin:"*) ;; *) echo "$$bin is not on PATH: add it, or run $$bin/hamsasim";; esac

# Archives for every platform in $(DIST)/, named
# hamsasim_VERSION_OS_ARCH.tar.gz (.zip for Windows), each holding a folder
# of that name with the binary and the README, and SHA256SUMS over them.
release:
	@test -n "$(VERSION)" || { echo "no version: not a git checkout; run make release VERSION=..."; exit 2; }
	rm -rf $(DIST) && mkdir -p $(DIST)
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; name=hamsasim_$(VERSION)_$${os}_$${arch}; exe=hamsasim; \
		if [ $$os = windows ]; then exe=hamsasim.exe; fi; \
		echo "build $$name"; \
		mkdir -p $(DIST)/$$name; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(DIST)/$$name/$$exe ./cmd/hamsasim; \
		cp README.md $(DIST)/$$name/; \
		if [ $$os = windows ]; then (cd $(DIST) && zip -qr $$name.zip $$name); \
		else tar -C $(DIST) -czf $(DIST)/$$name.tar.gz $$name; fi; \
		rm -rf $(DIST)/$$name; \
	done
	cd $(DIST) && sha256sum hamsasim_* > SHA256SUMS
	@echo "$(DIST)/:"; ls -1 $(DIST)

# One foreign platform (another OS and another architecture), so that code
# that builds only here fails make test rather than make release.
cross-check:
	CGO_ENABLED=0 GOOS=windows GOARCH=arm64 $(GO) build -o /dev/null ./cmd/hamsasim

# The container image of deploy/Dockerfile, version stamped (the build
# context holds no .git): make image IMAGE=registry.example.com/hamsasim:v1
image:
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg DATE=$(DATE) -t $(IMAGE) .

# The main job end to end on a fresh machine: validate the shipped fixtures,
# replay every lifecycle and probe against the embedded reference receiver,
# run the shipped Gherkin features, run 10 s of the steady load scenario,
# write reports.
demo: build
	./$(BIN) fixtures validate
	./$(BIN) simulate --json $(REPORTS)/simulate.json --junit $(REPORTS)/simulate.xml
	./$(BIN) features --format progress,junit:$(REPORTS)/features.xml
	./$(BIN) load --scenario scenarios/steady.yaml --duration 10s --report-dir $(REPORTS)/load --junit $(REPORTS)/load.xml
	@echo "reports written to $(REPORTS)/: simulate.json, simulate.xml (JUnit), features.xml (JUnit), load.xml (JUnit), load/ (summary.json, results.bin, report.html)"

# Everything CI runs: formatting, vet, the race-checked test suite. The
# --effects-db tests start a real PostgreSQL on loopback (internal/testdb);
# HAMSASIM_TEST_DB=required makes them fail, not skip, if it cannot start.
# cross-check builds beside the tests at the lowest priority: a cold build for
# another platform takes minutes of CPU, which the tests (mostly waiting on
# timers and sockets) leave idle.
test: fmt-check vet test-deps
	@log=$$(mktemp); \
	nice -n 19 $(MAKE) --no-print-directory cross-check >"$$log" 2>&1 & cross=$$!; \
	echo "HAMSASIM_TEST_DB=required $(GO) test -race -count=1 ./..."; \
	HAMSASIM_TEST_DB=required $(GO) test -race -count=1 ./...; status=$$?; \
	if wait $$cross; then echo "cross-check: hamsasim builds for windows/arm64"; \
	else cat "$$log"; echo "cross-check failed"; status=1; fi; \
	rm -f "$$log"; exit $$status

# As root, or through sudo when there is one.
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0

# PostgreSQL's server for the tests: installed with apt-get when missing (a
# fresh machine); the tests run initdb and pg_ctl themselves.
test-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; else \
		echo "installing PostgreSQL with apt-get, for the --effects-db tests"; \
		$(APT) install --no-install-recommends postgresql >/dev/null || { $(APT) update >/dev/null && $(APT) install --no-install-recommends postgresql >/dev/null; }; \
	fi

# The --effects-db tests against MariaDB (MySQL's protocol): installs
# mariadb-server with apt-get when missing; the test starts it on loopback.
test-mysql:
	@if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then :; else \
		echo "installing MariaDB with apt-get"; \
		$(APT) install --no-install-recommends mariadb-server >/dev/null || { $(APT) update >/dev/null && $(APT) install --no-install-recommends mariadb-server >/dev/null; }; \
	fi
	HAMSASIM_TEST_MYSQL=required $(GO) test -race -count=1 -v -run '^TestEffectsDBMySQL$$' ./internal/cli

# Fuzz the parsers and the payload builder, one target after another,
# FUZZTIME each (make test runs only their seed corpora). New crashers are
# saved under the package's testdata/fuzz/ and replayed by make test.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./internal/fixture:FuzzParse ./internal/fixture:FuzzExpand ./internal/scenario:FuzzParse

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Throughput and memory of `hamsasim load` against the vegeta and k6 CLIs on
# loopback, generator and sink on separate cores: installs the peers at
# pinned versions (the first time k6 takes a few minutes), then about 4
# minutes. Flags through BENCH_FLAGS, e.g. BENCH_FLAGS='-runs 3 -duration 5s'.
bench:
	$(GO) build -o bin/hamsasim-bench ./cmd/hamsasim-bench
	GO=$(GO) ./bin/hamsasim-bench -out $(REPORTS)/bench/ $(BENCH_FLAGS)

# The large mode: hamsasim with 100,000 calls in flight (peak RSS under
# 300 MB), one round beside the peers.
bench-large:
	$(GO) build -o bin/hamsasim-bench ./cmd/hamsasim-bench
	GO=$(GO) ./bin/hamsasim-bench -out $(REPORTS)/bench-large/ -runs 1 -duration 15s -in-flight 100000 -scenario internal/bench/testdata/in-flight-100k.yaml $(BENCH_FLAGS)

# The capacity search checked against receivers of known capacity
# (testdata/zoo: one worker at 25 ms, 40 events/s; a token bucket, 150;
# 8 workers at 20 ms, 400), with the shipped steady scenario and the default
# stage settings: about 8 minutes. make test runs a fast version. The table
# goes to reports/capacity.md.
capacity:
	@mkdir -p $(REPORTS)
	HAMSASIM_CAPACITY=long HAMSASIM_CAPACITY_TABLE=$(CURDIR)/$(REPORTS)/capacity.md $(GO) test -count=1 -timeout 40m -run '^TestCapacityOfKnownReceivers$$' -v ./internal/cli

# Regenerate the committed mocks with the pinned mockery.
mocks:
	$(GO) run $(MOCKERY)

clean:
	rm -rf bin $(DIST) $(REPORTS)/*.json $(REPORTS)/*.xml $(REPORTS)/load
