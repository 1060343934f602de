#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with Chinese fonts. Install them when
# missing and we are root; otherwise the e2e tests skip (and fail under CI).
set -uo pipefail
if [ -x /usr/bin/chromium ] && command -v msgfmt >/dev/null && fc-list 2>/dev/null | grep -qi "WenQuanYi"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium and Chinese fonts for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq chromium fonts-wqy-microhei gettext >/dev/null 2>&1 \
    || echo "warning: could not install chromium; e2e tests will skip" >&2
else
  echo "warning: /usr/bin/chromium missing and not root; e2e tests will skip" >&2
fi
exit 0
