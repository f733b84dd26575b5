"""The {{ cookiecutter.service_slug }} service."""
