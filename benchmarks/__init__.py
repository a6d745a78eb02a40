"""Benchmarks of midstream against its peers, run side by side in one process."""
