"""Messaging of {{ cookiecutter.service_slug }}.

``contracts``: the messages it owns (and copies of those it reads); ``outgoing``: the one place a
domain event becomes a message; ``consumers``: what it subscribes to.
"""
