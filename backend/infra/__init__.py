"""Plumbing: the on-disk result cache, the fork gate that keeps it safe, bounded user regexes."""
