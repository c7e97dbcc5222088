"""anynn's version, at the bottom of the package: files record it (`anynn.io`) without importing anynn itself."""

__version__ = "0.1.0"

# the PyTorch release whose names and behaviour anynn follows (and tests against: the test extra's torch pin)
torch_api = "2.13.0"
