# ruang: `make run` serves the Kupang demo city, `make test` runs every test against PostGIS.
# Both install missing Debian packages first (scripts/deps.sh), quietly when all are there.
SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR
BIND ?= 127.0.0.1:8080

.PHONY: deps build release run test check fmt clippy clean-data bench-tiles bench-check bench-monitor bench-import bench-features bench-impact bench-scale

deps:
	@scripts/deps.sh

build: deps
	cargo build

release: deps
	cargo build --release

# The database lives in ./data/pg; as root it runs as the postgres user, so when the clone sits
# in a folder that user cannot enter (e.g. under /root), it lives in /var/lib/ruang/pg instead.
run: release
	@dir="$(DATA_DIR)"; \
	if [ -z "$$dir" ]; then \
	  dir="$(CURDIR)/data/pg"; \
	  if [ "$$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(CURDIR)" 2>/dev/null; then \
	    dir=/var/lib/ruang/pg; \
	    echo "ruang: $(CURDIR) is closed to the postgres user; the database lives in $$dir"; \
	  fi; \
	fi; \
	exec $(CARGO_TARGET_DIR)/release/ruang serve --bind $(BIND) --data-dir "$$dir"

test: deps
	scripts/test.sh

fmt:
	cargo fmt

clippy:
	cargo clippy --all-targets -- -D warnings

check: fmt clippy test

clean-data:
	rm -rf data/pg

bench-tiles: deps
	scripts/bench-tiles.sh

bench-check: deps
	scripts/bench-check.sh

bench-monitor: deps
	scripts/bench-monitor.sh
bench-import: deps
	scripts/bench-import.sh
bench-features: deps
	scripts/bench-features.sh
bench-impact: deps
	scripts/bench-impact.sh
bench-scale: deps
	scripts/bench-scale.sh
