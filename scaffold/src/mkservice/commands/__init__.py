"""The sub-commands of mkservice, one module each, each with ``register(app)``."""
