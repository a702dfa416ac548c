"""Computation and I/O of Compress & Compare. Pure Python: never imports dash."""
