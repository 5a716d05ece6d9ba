#!/bin/sh
# e2e: login protection in `sekisho proxy` with the demo shop's login and a
# real redis-server (tests/e2e/login_test.py). Last line: "login: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
command -v python3 >/dev/null 2>&1 || { echo "login: 0 passed, 1 failed (python3 missing)"; exit 1; }
SEKISHO="$bin" timeout 600 python3 tests/e2e/login_test.py
