"""The ftpfs benchmark (bench/bench.py); see bench/README.md."""
