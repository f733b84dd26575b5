"""The lab's sub-commands of mkservice, one module each, each with ``register(app)``; the
``mkservice.commands`` entry points of this distribution name them."""
