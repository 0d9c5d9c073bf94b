"""The activation server: serials, activations, signed licenses, and the database they live in."""

__version__ = "0.1.0"
