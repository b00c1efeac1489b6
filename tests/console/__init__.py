"""Browser tests of the web console (a package, so its conftest does not shadow tests/conftest.py)."""
