"""The HTTP API of inventory."""
