#!/bin/sh
# e2e: `sekisho proxy` in front of the real demo upstream (tests/e2e/proxy_test.py).
# Last line: "proxy: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
command -v python3 >/dev/null 2>&1 || { echo "proxy: 0 passed, 1 failed (python3 missing)"; exit 1; }
SEKISHO="$bin" timeout 600 python3 tests/e2e/proxy_test.py
