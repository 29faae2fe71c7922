# CourseGen Desktop — `make run` starts the app, `make test` runs every behavioural test (about two
# minutes on two cores); `make package` builds the installable bundle and `make package-check` checks one.
# Each target creates .venv on its own and installs what it needs; nothing is installed by hand.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# Qt's xcb platform plugin needs these libraries to open a window on X11 (Debian/Ubuntu names).
XCB_LIBS := libxcb-cursor.so.0:libxcb-cursor0 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
	libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-image.so.0:libxcb-image0 \
	libxcb-randr.so.0:libxcb-randr0 libxcb-render-util.so.0:libxcb-render-util0 libxcb-shape.so.0:libxcb-shape0 \
	libX11-xcb.so.1:libx11-xcb1
# Qt needs these even offscreen (tests, self-test, PDF export).
BASE_LIBS := libEGL.so.1:libegl1 libGL.so.1:libgl1 libfontconfig.so.1:libfontconfig1 \
	libglib-2.0.so.0:libglib2.0-0 libdbus-1.so.3:libdbus-1-3 libxkbcommon.so.0:libxkbcommon0

.PHONY: run test self-test screenshots bench package package-check check-python check-base-libs check-xcb-libs clean

run: $(STAMP_RUN) check-base-libs
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ "$$(uname)" = Linux ]; then \
		echo "No display found (DISPLAY is not set), so no window can open: building a course from the"; \
		echo "sample material with the command line instead. On a desktop, 'make run' opens the app."; \
		$(VENV)/bin/coursegen generate "Photosynthesis and the water cycle" --offline \
			$(foreach f,$(wildcard resources/samples/*),--material $(f)) && \
		echo "(coursegen is in .venv/bin: run '. .venv/bin/activate' first, or call .venv/bin/coursegen)"; \
	else \
		$(MAKE) --no-print-directory check-xcb-libs && $(VENV)/bin/coursegen-desktop; \
	fi

# Two workers: every test has its own data folder (tests/conftest.py), so they can run side by side.
# Wall-clock figures are not asserted here: they are measured by `make bench` (benchmarks/).
test: $(STAMP_TEST) check-base-libs
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2

self-test: $(STAMP_RUN) check-base-libs
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/coursegen-desktop --self-test

screenshots: $(STAMP_TEST) check-base-libs
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py screenshots

bench: $(STAMP_TEST)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; QT_QPA_PLATFORM=offscreen $(PY) $$script || exit 1; done
	@echo; echo "== every benchmark's headline figure against its target (JSON in benchmarks/results/)"
	@$(PY) benchmarks/summary.py

package: $(STAMP_RUN) check-base-libs
	$(PY) -m pip install -q -e '.[package]'
	bash packaging/build_linux.sh

# Build the bundle in a temporary folder and run its self-test (CI runs this after `make test`).
package-check: $(STAMP_RUN) check-base-libs
	$(PY) -m pip install -q -e '.[package]'
	$(PY) packaging/check_bundle.py

$(STAMP_RUN): pyproject.toml | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@touch $@

$(STAMP_TEST): pyproject.toml $(STAMP_RUN)
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "CourseGen needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.12 ..."; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || \
		{ echo "Python's venv module is missing; install it (Debian/Ubuntu: sudo apt-get install python3-venv)."; exit 1; }

check-base-libs:
	@$(call check_libs,$(BASE_LIBS))

check-xcb-libs:
	@$(call check_libs,$(XCB_LIBS))

# $(call check_libs,lib.so:debian-package ...) — name every missing library and the apt line that adds it.
define check_libs
	if [ "$$(uname)" = Linux ] && command -v ldconfig >/dev/null 2>&1; then \
		missing=""; \
		for pair in $(1); do lib=$${pair%%:*}; pkg=$${pair##*:}; \
			ldconfig -p 2>/dev/null | grep -q "$$lib" || missing="$$missing $$pkg"; done; \
		if [ -n "$$missing" ]; then \
			echo "Qt needs system libraries that are missing:$$missing"; \
			echo "Install them with: sudo apt-get install$$missing"; exit 1; fi; \
	fi
endef

clean:
	rm -rf $(VENV) build dist screenshots .pytest_cache *.egg-info
