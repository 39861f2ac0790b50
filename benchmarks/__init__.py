"""Benchmarks: one command each, printing numbers and ratios to a baseline from the same run."""
