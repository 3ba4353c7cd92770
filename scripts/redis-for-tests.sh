#!/usr/bin/env bash
# Make sure redis-server is on PATH for the @pytest.mark.redis tests (tests/conftest_redis.py
# starts a throwaway instance itself). Idempotent and quiet: does nothing when it is installed.
# Debian/Ubuntu only; elsewhere, install Redis yourself or set REDIS_URL.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "redis-for-tests: redis-server missing and apt-get unavailable; install Redis or set REDIS_URL" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# The package's service start is denied or harmless in containers; the tests never use it.
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null

command -v redis-server >/dev/null 2>&1 || {
    echo "redis-for-tests: redis-server still not on PATH after install" >&2
    exit 1
}
