#!/bin/sh
# e2e: bans on a running proxy (tests/e2e/bans_test.py): admin API and
# `sekisho ban`, token, Redis shared by two proxies, nftables kernel drop in
# a network namespace (SKIP when not permitted). Last line:
# "bans: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
command -v python3 >/dev/null 2>&1 || { echo "bans: 0 passed, 1 failed (python3 missing)"; exit 1; }
SEKISHO="$bin" timeout 600 python3 tests/e2e/bans_test.py
