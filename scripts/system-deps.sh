#!/usr/bin/env bash
# Install the Debian packages the course's tools and tests need, where they are missing.
#   bubblewrap            sandbox for student code
#   postgresql            gradebook server for the PostgreSQL tests
#   chromium, -driver     headless browser for the JupyterLab and report tests
#   libjs-mathjax         MathJax 2, served in place of its CDN in the browser tests (math must typeset)
set -euo pipefail
PACKAGES=(bubblewrap postgresql chromium chromium-driver libjs-mathjax)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
