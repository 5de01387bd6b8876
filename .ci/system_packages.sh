#!/usr/bin/env bash
# System packages the course needs outside the virtual environment (called by `make setup`).
#
# bubblewrap (`bwrap`) is the OS sandbox that student code runs in
# (cnn_course.graders.engine.isolation). As root it is installed from Debian's
# archive; otherwise this prints how to install it and carries on: the grader then
# refuses to run student code until it is there (or --unsafe-no-isolation is given).
set -euo pipefail

if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing bubblewrap (the sandbox for student code)"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; then
        exit 0
    fi
    echo "[setup] WARNING: could not install bubblewrap with apt-get" >&2
fi
cat >&2 <<'MSG'
[setup] WARNING: bubblewrap (bwrap) is missing: the grader will refuse to run student code.
[setup]   Debian/Ubuntu: sudo apt-get install bubblewrap
[setup]   Fedora/RHEL:   sudo dnf install bubblewrap
[setup]   then check it works here with: bwrap --unshare-all --ro-bind / / true
MSG
exit 0
