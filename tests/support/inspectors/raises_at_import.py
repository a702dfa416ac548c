"""A plug-in that raises while its module is being imported (not an ImportError)."""

raise RuntimeError("libcudart.so.12: cannot open shared object file")
