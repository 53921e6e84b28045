# shenbao — `make run` runs the sample batch, `make test` is what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# Prefect's settings (state under var/prefect, a patient start of its temporary server, no
# analytics, warnings only) are the program's own defaults (flows/prefect_env.py):
# make and `shenbao` called directly run alike; set any of them in the environment to change it.

.PHONY: install run test lint bench bench-extract bench-seals bench-findings bench-batch clean

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when a pyproject.toml changes: the project with its dev extra, and the lab
# (lab/: the corpus generator and the benches, `shenbao samples|bench`), development only.
$(INSTALLED): pyproject.toml lab/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]" -e ./lab
	touch $@

run: $(INSTALLED)
	$(BIN)/shenbao run samples/batch --online samples/online/export.xlsx

# Headless Chromium (and CJK fonts) render report.html and index.html in the tests
# (Debian packages; where they cannot be installed, those tests skip and say why).
# DejaVu Sans (Debian's fonts-dejavu-core) has the ☑ ☒ ✔ the styled generator types.
test: $(INSTALLED)
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium) \
		|| echo "warning: chromium not installed: the rendered-report tests will skip"
	fc-list :lang=zh 2>/dev/null | grep -q . || \
		(apt-get update -q && apt-get install -y -q fonts-noto-cjk) \
		|| echo "warning: no CJK font: screenshots would show boxes"
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || \
		(apt-get update -q && apt-get install -y -q fonts-dejavu-core) \
		|| echo "warning: no DejaVu Sans: styles typing ☑/☒/✔ cannot be generated"
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Measurements against the corpus's truth; Tesseract (Debian) is the peer OCR compared.
bench: $(INSTALLED)
	command -v tesseract >/dev/null || \
		(apt-get update -q && apt-get install -y -q tesseract-ocr tesseract-ocr-chi-sim)
	$(BIN)/shenbao bench ocr

# Field extraction against truth: the committed corpus, then a held-out one generated
# afresh (24 submissions, 72 sources; about 6 minutes on 2 cores the first time).
bench-extract: $(INSTALLED)
	$(BIN)/shenbao bench extract
	$(BIN)/shenbao bench extract --generate 24 --seed 7

# Seals and the recommendation opinion against truth: the same two corpora.
bench-seals: $(INSTALLED)
	$(BIN)/shenbao bench seals
	$(BIN)/shenbao bench seals --generate 24 --seed 7

# Every finding code's precision and recall against truth, per kind of source (scan, PDF,
# DOCX), and paper against online: the export's format-only differences, and planted
# discrepancies and format variants (one field of a filing at a time): the same two corpora.
bench-findings: $(INSTALLED)
	$(BIN)/shenbao bench findings
	$(BIN)/shenbao bench findings --generate 24 --seed 7

# What Prefect costs a batch: 20 generated submissions without Prefect, through
# process_batch (its server's start-up timed apart), and re-run unchanged, each run in a
# child process — wall time, pages/s, peak RSS of that child's process tree (OCR twice:
# several minutes on 2 cores); then the batch once and five times over with the page
# cache warm, each into an empty store: what a bigger batch adds to the peak RSS.
bench-batch: $(INSTALLED)
	$(BIN)/shenbao bench batch --count 20 --json var/bench-batch.json

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache .hypothesis .import_linter_cache build dist
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
