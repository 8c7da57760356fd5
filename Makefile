# Every target does its own set-up, idempotently: libmpv (apt), .venv, the package in editable mode.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: setup demo test lint bench clean libmpv test-tools

setup: libmpv $(STAMP)

libmpv:
	@if ldconfig -p 2>/dev/null | grep -q 'libmpv\.so'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing libmpv2 (Debian) ..."; \
		(apt-get install -y -qq libmpv2 >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libmpv2 >/dev/null)) \
		|| { echo "could not install libmpv2 with apt-get" >&2; exit 1; }; \
	else \
		echo "libmpv is missing: install it (Debian/Ubuntu: sudo apt-get install libmpv2; macOS: brew install mpv)" >&2; exit 1; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	@.venv/bin/livecut demo
	@.venv/bin/livecut projects/demo.toml

# Tools the tests use as validators and drivers (never at runtime): ffprobe, tmux, and an X server
# without a GPU (Xvfb) with xwininfo, for the editor on a display without a usable GPU; Debian's
# chromium, which Playwright drives for the browser preview tests (Playwright's own browser
# download is not used).
test-tools:
	@missing=""; command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; command -v tmux >/dev/null || missing="$$missing tmux"; \
	command -v Xvfb >/dev/null || missing="$$missing xvfb"; command -v xwininfo >/dev/null || missing="$$missing x11-utils"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing$$missing (test validators) ..."; \
			apt-get install -y -qq $$missing >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null); \
		else echo "note:$$missing not installed: the tests that need them will skip" >&2; fi; \
	fi

test: lint test-tools
	@.venv/bin/python -m pytest -q

# ruff (lint + formatter check) and mypy (files and strict modules in pyproject.toml); `make test` runs it first.
lint: setup
	@.venv/bin/ruff check core tui tests bench
	@.venv/bin/ruff format --check --quiet core tui tests bench
	@.venv/bin/mypy

bench: setup
	@.venv/bin/python -m bench

clean:
	rm -rf .venv .pytest_cache projects/demo-media
