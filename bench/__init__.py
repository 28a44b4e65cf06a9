"""The benchmark: volume data (`bench.volume`, `manage.py seed_volume`), the in-process page
cases (`bench.cases`), the morning-rush load test over HTTP (`bench.rush`) and the runner
that writes `bench/results/<date>.json` (`python -m bench.run`, `make bench`)."""
