#!/usr/bin/env bash
# The tools the suite uses besides Python: Debian's Chromium with Chinese fonts
# (browser tests), gettext (catalogues), exiftool (an independent check that
# stored photos carry no EXIF/GPS/XMP) and Noto CJK with pango (the 通报's PDF,
# rendered by WeasyPrint). Installed when missing and we are root;
# otherwise the tests that need them skip (and fail under CI).
set -uo pipefail
if [ -x /usr/bin/chromium ] && command -v msgfmt >/dev/null && command -v exiftool >/dev/null \
   && fc-list 2>/dev/null | grep -qi "WenQuanYi" && fc-list 2>/dev/null | grep -i "Noto Serif CJK" >/dev/null \
   && ldconfig -p 2>/dev/null | grep "libpangoft2-1.0" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium, Chinese fonts, gettext and exiftool for the tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq chromium fonts-wqy-microhei gettext libimage-exiftool-perl \
    fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 \
    >/dev/null 2>&1 || echo "warning: could not install the test tools; some tests will skip" >&2
else
  echo "warning: test tools missing and not root; the tests that need them will skip" >&2
fi
exit 0
