"""Load tests and the benchmark harness of the activation server."""
