"""Use cases of {{ cookiecutter.service_slug }}.

Handlers taking (command, unit of work).
"""
