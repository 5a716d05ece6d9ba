#!/bin/sh
# e2e: the TOTP gate and the password policy of `sekisho proxy` in front of
# the real demo upstream (tests/e2e/gate_test.py). Last line:
# "gate: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
command -v python3 >/dev/null 2>&1 || { echo "gate: 0 passed, 1 failed (python3 missing)"; exit 1; }
SEKISHO="$bin" timeout 600 python3 tests/e2e/gate_test.py
