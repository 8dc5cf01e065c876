"""The composition root: the only package that imports every service."""

from disco.runtime.system import System, build_asgi

__all__ = ["System", "build_asgi"]
