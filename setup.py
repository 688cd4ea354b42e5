"""Only for the optional compiled speed-ups; everything else is in pyproject.toml.

Without a C compiler (or Python's headers) the build goes on without them
and provenance runs its pure-Python code, only slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("provenance._speedups", ["provenance/_speedups.c"], optional=True)])
