# hamsasim: the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/hamsasim
MOCKERY := github.com/vektra/mockery/v2@v2.53.7
REPORTS := reports

.PHONY: all build demo test test-deps test-mysql lint vet fmt-check mocks clean bench bench-large fuzz capacity

all: build

build:
	$(GO) build -o $(BIN) ./cmd/hamsasim

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
test: fmt-check vet test-deps
	HAMSASIM_TEST_DB=required $(GO) test -race -count=1 ./...

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
	rm -rf bin $(REPORTS)/*.json $(REPORTS)/*.xml $(REPORTS)/load
