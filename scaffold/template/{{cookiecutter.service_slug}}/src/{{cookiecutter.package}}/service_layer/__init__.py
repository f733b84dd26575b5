"""Use cases of {{ cookiecutter.service_slug }}.

Handlers taking (command, unit of work, now); the unit of work they run in.
"""
