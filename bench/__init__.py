"""Benchmarks: figures printed as JSON, each compared with a peer measured in the same run."""
