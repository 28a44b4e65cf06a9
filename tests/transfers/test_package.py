"""The transfer package (issue 19): an open format, encrypted with a passphrase, that
refuses a wrong passphrase, a changed or cut-short file, and follows the secrecy rule."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest

from transfers.package import (
    PDF_NAME,
    PackageError,
    package_data,
    package_open,
    package_seal,
)

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "transfer-package.schema.json").read_text()
)
PASSPHRASE = "amber-acorn-river-oak"


@pytest.fixture
def data(world, held):
    return package_data(learner=world.learner, user=world.users["dsl"], to_name="Hill School")


def test_the_package_validates_against_the_published_schema(data):
    jsonschema.validate(data, SCHEMA)
    assert data["learner"]["upn"]


def test_it_carries_the_learners_records_with_files_and_their_hashes(world, held, data):
    concern, phone, _ = held
    (carried,) = [c for c in data["concerns"] if c["number"] == concern.pk]
    assert "stop" in carried["what_happened"]
    (photo,) = carried["evidence"]
    assert photo["name"] == "screen.png"
    assert photo["sha256"] == hashlib.sha256(photo_bytes(photo)).hexdigest()
    assert {p["name"] for p in carried["people"]} >= {"Bella Stone"}
    (device,) = data["confiscations"]
    assert device["device"] == "Blue Samsung" and device["concern"] == concern.pk
    assert device["custody"] and device["custody"][0]["by"] == "Teacher Persona"
    assert data["parents_and_carers"][0]["name"] == "Sara Khan"


def photo_bytes(item):
    import base64

    return base64.b64decode(item["content"])


def test_what_the_sender_may_not_see_is_not_in_their_package(world, held):
    """The headteacher does not see the allegation about themself: it is not in their
    package; and allegations about staff are never in one (they are the school's, not the
    child's file)."""
    _, _, about_head = held
    for user in ("head", "dsl"):
        data = package_data(learner=world.learner, user=world.users[user])
        assert about_head.pk not in {c["number"] for c in data["concerns"]}
        assert "head messaged" not in json.dumps(data)


def test_it_opens_with_the_passphrase_and_holds_a_pdf(data):
    blob = package_seal(data, passphrase=PASSPHRASE)
    opened, pdf = package_open(blob, passphrase=PASSPHRASE)
    assert opened == json.loads(json.dumps(data))
    assert pdf.startswith(b"%PDF")


def test_a_wrong_passphrase_is_refused(data):
    blob = package_seal(data, passphrase=PASSPHRASE, pdf=b"%PDF-")
    with pytest.raises(PackageError, match="passphrase is wrong"):
        package_open(blob, passphrase="amber-acorn-river-elm")


@pytest.mark.parametrize("damage", ["flip", "truncate", "header"])
def test_a_changed_or_cut_short_package_is_refused(data, damage):
    blob = bytearray(package_seal(data, passphrase=PASSPHRASE, pdf=b"%PDF-"))
    header_end = blob.index(b"\n")
    if damage == "flip":
        blob[header_end + 40] ^= 1
    elif damage == "truncate":
        blob = blob[: len(blob) - 30]
    else:  # a header changed (a weaker key derivation claimed): it is the cipher's AAD
        blob = blob.replace(b'"r":8', b'"r":9', 1)
    with pytest.raises(PackageError):
        package_open(bytes(blob), passphrase=PASSPHRASE)


def test_the_archive_can_be_opened_with_a_few_lines_of_python(data):
    """docs/transfer-package.md's recipe, with nothing of Roper's."""
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    blob = package_seal(data, passphrase=PASSPHRASE, pdf=b"%PDF-1.7")
    line, _, body = blob.partition(b"\n")
    header = json.loads(line)
    key = Scrypt(salt=base64.b64decode(header["salt"]), length=64, **header["kdf_params"]).derive(
        PASSPHRASE.encode()
    )[:32]
    plain = AESGCM(key).decrypt(base64.b64decode(header["nonce"]), body, line + b"\n")
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        assert json.loads(archive.read("package.json"))["learner"] == data["learner"]
        assert archive.read(PDF_NAME) == b"%PDF-1.7"


def test_a_short_passphrase_is_refused(data):
    with pytest.raises(PackageError, match="at least"):
        package_seal(data, passphrase="short", pdf=b"%PDF-")
