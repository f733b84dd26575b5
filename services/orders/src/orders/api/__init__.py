"""The HTTP API of orders."""
