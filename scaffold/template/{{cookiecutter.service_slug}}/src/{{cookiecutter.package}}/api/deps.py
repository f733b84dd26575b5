"""Dependencies the routes ask for, as ``Annotated`` aliases."""

from typing import Annotated

from fastapi import Depends, Request

from {{ cookiecutter.package }}.bootstrap import {{ cookiecutter.class_prefix }}Service


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
async def get_service(request: Request) -> {{ cookiecutter.class_prefix }}Service:
    service: {{ cookiecutter.class_prefix }}Service = request.app.state.service
    return service


ServiceDep = Annotated[{{ cookiecutter.class_prefix }}Service, Depends(get_service)]
