import pytest


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Uploaded files go to a temporary directory, never the repository's private/."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT
