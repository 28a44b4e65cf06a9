import pytest


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Uploaded files go to a temporary directory, never the repository's private/."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture(autouse=True)
def _no_link_checks_on_the_internet(settings):
    """An imported policy's links are not fetched from the internet in tests; the tests of the
    link check turn it back on against a server of their own (test_import_checks.py)."""
    settings.POLICY_LINK_CHECKS = False
