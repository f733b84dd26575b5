"""The messages payments handles and publishes, and the consumer of its commands."""
