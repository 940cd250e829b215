pytest_plugins = ["zenith.testing.fixtures"]
