pytest_plugins = ["tests.support.fixtures", "tests.support.storage_fixtures"]
