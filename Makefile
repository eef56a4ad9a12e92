# Two-command quick start: `make run` and `make test` each create .venv if missing and install.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lock run test test-quick lint bench quality clean package package-test install-desktop uninstall-desktop

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Installed under packaging/constraints.txt: the versions the suite last passed with.
CONSTRAINTS := packaging/constraints.txt

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[dev,vision]'
	touch $(STAMP)

# After changing a dependency in pyproject.toml: install without the old constraints, run
# `make test`, then `make lock` writes the versions that passed.
lock: | $(BIN)/python
	{ sed -n '1,3p' $(CONSTRAINTS); $(BIN)/python -m pip freeze --exclude-editable; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

run: $(STAMP)
	$(BIN)/loci-desktop

# Two test workers by default (JOBS=1 runs in one process, JOBS=auto one per core); a test
# file stays on one worker, so its module fixtures are built once.
JOBS ?= 2
XDIST = $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(XDIST) --durations=15

# The edit loop: everything but the end-to-end tests marked `slow` (they run `loci` as a
# subprocess, which loads the models anew each time). `make test` (and CI) runs them all.
test-quick: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(XDIST) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check core desktop tests
	$(BIN)/ruff format --check core desktop tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m pytest tests/bench -p no:cacheprovider -s -o addopts=""

# Search quality: vector-only vs keyword-only vs combined ranking on the labelled sets in
# tests/quality (minutes; embeddings cached in .cache/quality). Not part of `make test`.
quality: $(STAMP)
	$(BIN)/python -m tests.quality

clean:
	rm -rf $(VENV) build dist *.egg-info

# Installable build: a one-folder PyInstaller build in dist/loci and its tarball. Slow (about
# 1.5 min, 1.5 GB), so not part of `make test`; run `make package-test` before a release and
# after changing dependencies, packaging/ or how resources and models are found.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
RELEASE := loci-$(VERSION)-linux-$(shell uname -m)

package: $(STAMP)
	rm -rf dist/loci dist/$(RELEASE).tar.gz
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/loci.spec
	cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/*.desktop \
		packaging/linux/*.metainfo.xml dist/loci/
	tar -C dist --transform 's,^loci,$(RELEASE),' -czf dist/$(RELEASE).tar.gz loci
	@du -sh dist/loci dist/$(RELEASE).tar.gz

# Unpack the tarball and run the frozen programs as a user would, with no .venv on PATH.
package-test: package
	rm -rf build/package-test && mkdir -p build/package-test
	tar -C build/package-test -xzf dist/$(RELEASE).tar.gz
	sh packaging/smoke-test.sh build/package-test/$(RELEASE) $(VERSION)
	rm -rf build/package-test

# Menu entry, icons and metainfo under ~/.local/share for this checkout's .venv; with
# BUILD=dist/loci, installs that build to ~/.local/lib/loci instead.
install-desktop: $(STAMP)
	sh packaging/linux/install.sh $(if $(BUILD),--build $(BUILD),--exec $(abspath $(BIN)/loci-desktop))

uninstall-desktop:
	sh packaging/linux/uninstall.sh
