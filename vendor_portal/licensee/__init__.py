"""Licensee self-service: what a vendor's customers can do themselves (see the service)."""
