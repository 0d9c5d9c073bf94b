"""Vendors and their products, as the activation server needs them."""
