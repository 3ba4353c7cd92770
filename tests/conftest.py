"""Project-wide pytest set-up: the real Redis server fixture (tests/conftest_redis.py)."""

pytest_plugins = ["tests.conftest_redis"]
