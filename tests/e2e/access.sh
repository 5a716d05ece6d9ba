#!/bin/sh
# e2e: access rules (CIDR and country allow/deny, per path, X-Forwarded-For,
# a generated MaxMind DB, reloads) in `sekisho proxy` (tests/e2e/access_test.py).
# Last line: "access: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
command -v python3 >/dev/null 2>&1 || { echo "access: 0 passed, 1 failed (python3 missing)"; exit 1; }
SEKISHO="$bin" timeout 600 python3 tests/e2e/access_test.py
