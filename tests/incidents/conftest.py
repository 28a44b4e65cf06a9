import pytest


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Evidence written by a test goes to a temporary directory."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT
