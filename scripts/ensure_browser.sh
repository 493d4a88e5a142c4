#!/usr/bin/env bash
# The browser test drives Debian's Chromium through Playwright (never a downloaded
# browser). Install it when missing and we are allowed to; otherwise say so once.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure_browser: installing Debian's chromium for the web-chat test (once)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "ensure_browser: could not install chromium; browser tests will fail in CI" >&2
else
  echo "ensure_browser: chromium is not installed (sudo apt-get install chromium); browser tests will skip" >&2
fi
