pytest_plugins = ["zenith.testing.fixtures", "zenith.testing.storage_fixtures"]
