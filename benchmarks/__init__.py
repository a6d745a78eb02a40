"""Benchmarks of partialjson against its peers, run side by side in one process."""
