#!/usr/bin/env bash
# Make sure the browser tests (tests/e2e) can run: Debian's Chromium at /usr/bin/chromium (driven by Playwright;
# `playwright install` downloads nothing here), a Java runtime for the Nu HTML Checker (npm vnu-jar), and
# poppler-utils (pdftotext, pdfinfo, pdftoppm) to read back the summary PDFs in tests/app/test_summary.py.
# Installs each with apt-get only when it is missing, so it is quick and quiet on a machine that has them.
# Usage: bash scripts/ensure-browser.sh (as root, or with sudo available).
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "ensure-browser: ${missing[*]} missing and not root; install with: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    sudo=(sudo)
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: ${missing[*]} missing and no apt-get; install Chromium at /usr/bin/chromium and Java 17+" >&2
    exit 1
fi

echo "ensure-browser: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
[[ -x /usr/bin/chromium ]] || { echo "ensure-browser: /usr/bin/chromium is still missing" >&2; exit 1; }
