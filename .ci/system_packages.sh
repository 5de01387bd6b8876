#!/usr/bin/env bash
# System packages the course needs outside the virtual environment (called by `make setup`).
#
# - bubblewrap (`bwrap`) is the OS sandbox that student code runs in
#   (cnn_course.graders.engine.isolation): without it the grader refuses to run student code
#   (unless --unsafe-no-isolation is given).
# - chromium is the browser that tests/test_browser.py drives through Playwright (told to use
#   it: Playwright downloads no browser): without it those tests fail and say what to install.
#
# As root, the missing ones are installed from Debian's archive; otherwise this prints how to
# install them and carries on.
set -euo pipefail

missing() {
    local packages=()
    command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
    command -v chromium >/dev/null 2>&1 || packages+=(chromium)
    echo "${packages[@]}"
}

read -r -a packages <<< "$(missing)"
if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing ${packages[*]} (the sandbox for student code, the browser of the browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq "${packages[@]}" >/dev/null; then
        exit 0
    fi
    echo "[setup] WARNING: could not install ${packages[*]} with apt-get" >&2
    read -r -a packages <<< "$(missing)"
fi
for package in "${packages[@]}"; do
    case "$package" in
        bubblewrap) cat >&2 <<'MSG'
[setup] WARNING: bubblewrap (bwrap) is missing: the grader will refuse to run student code.
[setup]   Debian/Ubuntu: sudo apt-get install bubblewrap
[setup]   Fedora/RHEL:   sudo dnf install bubblewrap
[setup]   then check it works here with: bwrap --unshare-all --ro-bind / / true
MSG
        ;;
        chromium) cat >&2 <<'MSG'
[setup] WARNING: chromium is missing: the browser tests (tests/test_browser.py) will fail.
[setup]   Debian:      sudo apt-get install chromium
[setup]   Fedora/RHEL: sudo dnf install chromium
MSG
        ;;
    esac
done
exit 0
