"""Messaging of {{ cookiecutter.service_slug }}.

The messages it publishes and the consumers of what it subscribes to.
"""
