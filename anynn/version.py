"""anynn's version, at the bottom of the package: files record it (`anynn.io`) without importing anynn itself."""

__version__ = "0.1.0"
