#!/usr/bin/env bash
# Build the front-end assets into static/dist/ (git-ignored) from static/src/ and npm's govuk-frontend:
#   static/src/app.scss   -> static/dist/app.css    (compressed, no source map)
#   static/src/print.scss -> static/dist/print.css
#   govuk-frontend.min.js, static/src/app.js, static/src/favicon.svg -> static/dist/
#   any GOV.UK image or font the CSS refers to -> static/dist/assets/... (none with today's Sass)
# Idempotent and quiet: prints nothing on success. Runs `npm ci` only when node_modules is missing or older
# than package-lock.json. Usage: bash scripts/build-assets.sh (from anywhere).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

src=static/src
dist=static/dist
govuk=node_modules/govuk-frontend/dist/govuk

if ! command -v npm >/dev/null 2>&1; then
    cat >&2 <<'EOF'
build-assets: npm is not installed, so the CSS and JavaScript cannot be built.
Install Node.js 18 or later (20 recommended; it includes npm), then run this script again:
  Debian/Ubuntu:  sudo apt-get install -y nodejs npm
  macOS:          brew install node
  anywhere:       https://nodejs.org/en/download
EOF
    exit 1
fi

# node_modules/.package-lock.json is written by every npm install/ci: its age is the age of the install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    touch node_modules/.package-lock.json
fi

mkdir -p "$dist"

# --quiet-deps silences GOV.UK Frontend's own deprecation warnings (files loaded from node_modules);
# --silence-deprecation=import silences Sass's @import notice for _settings.scss and _govuk.scss, which must
# @import GOV.UK Frontend 5 (its files are not Sass modules) so that our settings reach it.
sass_options=(--load-path=node_modules --quiet-deps --silence-deprecation=import --no-source-map --style=compressed)
node_modules/.bin/sass "${sass_options[@]}" "$src/app.scss:$dist/app.css" "$src/print.scss:$dist/print.css"

# Copy only when the content differs, so an unchanged file keeps its time stamp (and the browser's cache).
copy() {
    mkdir -p "$(dirname "$2")"
    cmp -s "$1" "$2" || cp "$1" "$2"
}

copy "$govuk/govuk-frontend.min.js" "$dist/govuk-frontend.min.js"
copy "$src/app.js" "$dist/app.js"
copy "$src/favicon.svg" "$dist/favicon.svg"

# Every url(...) in the CSS must resolve: copy each assets/... file it names from GOV.UK Frontend (the Sass sets
# $govuk-assets-path to "assets/", relative to the CSS), and fail on any other url so nothing silently 404s.
missing=0
while IFS= read -r url; do
    [[ -z "$url" ]] && continue
    case "$url" in
        data:*) ;;
        assets/*)
            if [[ -f "$govuk/$url" ]]; then
                copy "$govuk/$url" "$dist/$url"
            else
                echo "build-assets: the CSS refers to $url, which GOV.UK Frontend does not ship" >&2
                missing=1
            fi
            ;;
        *)
            echo "build-assets: the CSS refers to $url, which this script does not know how to provide" >&2
            missing=1
            ;;
    esac
done < <(cat "$dist/app.css" "$dist/print.css" | grep -o 'url([^)]*)' | sed -E 's/^url\(["'"'"']?//; s/["'"'"']?\)$//; s/[?#].*$//' | sort -u)
exit "$missing"
