"""The messages orders publishes and the consumers of what it subscribes to."""
