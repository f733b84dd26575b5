"""The messages inventory publishes and the consumers of what it subscribes to."""
