#!/usr/bin/env bash
# wrk, the HTTP load generator make bench drives the app with: Debian's package, installed only when missing.
set -euo pipefail
if command -v wrk >/dev/null; then
	exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "Installing Debian's wrk (apt-get) for make bench"
	apt-get update -qq && apt-get install -y -qq wrk >/dev/null
else
	echo "make bench needs wrk, the HTTP load generator. On Debian or Ubuntu, run: sudo apt-get install wrk" >&2
	exit 1
fi
