"""Helpers shared by the test modules: plain functions, classes and constants, grouped by what they are
for. Fixtures live in ``tests/conftest.py`` (pytest finds them without an import); test modules import
helpers from here, never from one another nor from conftest."""
