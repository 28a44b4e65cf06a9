"""The transfer package: a learner's child-protection file in an open format another school
can read without Roper (docs/transfer-package.md; its schema is
docs/transfer-package.schema.json).

One file: a header line (JSON: format, version, cipher, key derivation and its parameters, salt,
nonce), then the AES-256-GCM encryption of a ZIP archive holding `package.json` (the records,
attachments' contents in base64 with their SHA-256) and `package.pdf` (the same records for the
receiving DSL to read). The key is derived from a passphrase given by another channel (scrypt).
The header is the cipher's associated data, so a changed header, a changed byte of the
ciphertext or a file cut short is refused; a key check in the header tells a wrong passphrase
from a changed file.

What goes in follows the one secrecy rule: the records `reports.subject_access.visible_records`
gives the DSL who sends it. Allegations about staff are left out: they are the school's
(LADO, HR), not the child's file. That is every concern of a staff category, and every
concern the rule conceals from someone (`concealed_from_someone_q`: one naming a member of
staff as a subject, whatever its category): the receiving school has none of the sending
school's accounts (staff arrive as names), so it could not conceal it from them. The device
and the search of such a concern stay behind with it.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import uuid
import zipfile
from datetime import date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from incidents.models import Concern
from incidents.visibility import concealed_from_someone_q
from people.models import Guardianship
from reports.subject_access import marked, visible_records
from roper.pdf import pdf_bytes

FORMAT = "roper-transfer-package"
VERSION = 1
CIPHER = "AES-256-GCM"
KDF = "scrypt"
KDF_PARAMS = {"n": 2**15, "r": 8, "p": 1}
#: Files inside the (decrypted) ZIP archive.
JSON_NAME, PDF_NAME = "package.json", "package.pdf"
#: Fields that say how Roper keeps a record, not what it says (never in a package).
TECHNICAL = {"email_claimed_until", "email_attempts", "email_error", "read_at"}
MIN_PASSPHRASE = 12


class PackageError(ValueError):
    """A package that cannot be read: the message says why, for the person importing it."""


# -- The records ---------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Names:
    """Staff named by their full name (they have no account at the receiving school)."""

    def __init__(self):
        self.cache = {}

    def __call__(self, pk):
        if pk is None:
            return None
        if pk not in self.cache:
            user = get_user_model().objects.filter(pk=pk).first()
            self.cache[pk] = (user.get_full_name() or user.get_username()) if user else None
        return self.cache[pk]


def plain(obj, names: _Names, *, skip=()) -> dict:
    """Every stored field of `obj` by its name: values as JSON, staff as their names; other
    relations are the caller's to give (or leave out)."""
    user_model = get_user_model()
    out = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.name in skip or field.name in TECHNICAL:
            continue
        value = getattr(obj, field.attname)
        if field.is_relation:
            if field.related_model is user_model:
                out[field.name] = names(value)
            continue
        if hasattr(value, "storage"):  # a file: given by the caller
            continue
        out[field.name] = _json_value(value)
    return out


def _evidence(item, names) -> dict:
    with item.file.open("rb") as handle:
        content = handle.read()
    return {
        **plain(item, names, skip={"concern", "original_name"}),
        "name": item.original_name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "content": base64.b64encode(content).decode("ascii"),
    }


def package_data(*, learner, user, to_name: str = "", to_urn: str = "") -> dict:
    """The package's JSON document: everything of `learner`'s child-protection file that
    `user` may see (`visible_records`), staff allegations (`about_staff_q`) left out, and the
    devices and searches of one."""
    names = _Names()
    visible = visible_records(learner=learner, user=user)
    about_staff_q = Q(is_staff_case=True) | concealed_from_someone_q()
    about_staff = Concern.objects.filter(about_staff_q).values("pk")
    concerns = (
        visible["concerns"]
        .exclude(about_staff_q)
        .select_related("category")
        .prefetch_related("involvements__learner", "involvements__staff", "entries", "evidence")
        .order_by("reported_at")
    )
    numbers = set()
    concern_rows = []
    for concern in concerns:
        numbers.add(concern.pk)
        concern_rows.append(
            {
                "number": concern.pk,
                "category": {"key": concern.category.key, "name": concern.category.name},
                **plain(concern, names, skip={"school", "category", "duplicate_of"}),
                "people": [
                    {
                        "kind": i.kind,
                        "part": i.part,
                        "name": i.display_name,
                        "is_this_learner": i.learner_id == learner.pk,
                    }
                    for i in concern.involvements.all()
                ],
                "timeline": [
                    plain(e, names, skip={"concern"})
                    for e in sorted(concern.entries.all(), key=lambda e: (e.at, e.pk))
                ],
                "evidence": [_evidence(item, names) for item in concern.evidence.all()],
            }
        )
    confiscations = (
        visible["confiscations"]
        .exclude(concern__in=about_staff)
        .prefetch_related("events")
        .order_by("confiscated_at")
    )
    devices = set()
    confiscation_rows = []
    for c in confiscations:
        devices.add(c.pk)
        confiscation_rows.append(
            {
                "number": c.pk,
                **plain(c, names, skip={"school", "learner", "concern"}),
                "concern": c.concern_id if c.concern_id in numbers else None,
                "custody": [
                    plain(e, names, skip={"confiscation", "guardian"}) for e in c.events.all()
                ],
            }
        )
    school = learner.school
    return {
        "format": FORMAT,
        "version": VERSION,
        "package_id": uuid.uuid4().hex,
        "made_at": timezone.localtime().isoformat(),
        "made_by": names(user.pk),
        "from_school": {"name": school.name, "urn": school.urn},
        "to_school": {"name": to_name, "urn": to_urn},
        "learner": plain(learner, names, skip={"school"}),
        "parents_and_carers": [
            {
                **plain(g.guardian, names, skip={"school"}),
                **plain(g, names, skip={"learner", "guardian"}),
            }
            for g in Guardianship.objects.filter(learner=learner).select_related("guardian")
        ],
        "concerns": concern_rows,
        "confiscations": confiscation_rows,
        "searches": [
            {
                "number": s.pk,
                **plain(s, names, skip={"school", "learner", "confiscation"}),
                "confiscation": s.confiscation_id if s.confiscation_id in devices else None,
            }
            for s in visible["searches"]
            .exclude(confiscation__concern__in=about_staff)
            .order_by("searched_at")
        ],
        "breaches": [
            {
                "number": b.pk,
                **plain(b, names, skip={"school", "learner", "confiscation"}),
                "confiscation": b.confiscation_id if b.confiscation_id in devices else None,
            }
            for b in visible["breaches"].order_by("at")
        ],
    }


# -- The PDF -------------------------------------------------------------------------------


def _readable(node):
    """The package as the PDF shows it: labels in words, files without their contents."""
    if isinstance(node, list):
        return [_readable(item) for item in node]
    if isinstance(node, dict):
        return {
            key.replace("_", " "): _readable(value)
            for key, value in node.items()
            if key != "content"
        }
    if isinstance(node, bool):
        return "yes" if node else "no"
    return node


SECTIONS = (
    ("learner", "The learner"),
    ("parents_and_carers", "Parents and carers"),
    ("concerns", "Concerns"),
    ("confiscations", "Confiscations and their custody"),
    ("searches", "Searches"),
    ("breaches", "Breaches of the phone policy"),
)


def package_pdf(data: dict) -> bytes:
    sections = [(title, marked(_readable(data[key]), None)) for key, title in SECTIONS]
    return pdf_bytes(
        template="transfers/package_pdf.html",
        context={"data": data, "sections": sections},
    )


# -- The archive and its encryption --------------------------------------------------------


def _keys(passphrase: str, salt: bytes, params: dict) -> tuple[bytes, bytes]:
    """(the encryption key, the key check) from the passphrase."""
    derived = Scrypt(salt=salt, length=64, **params).derive(passphrase.encode("utf-8"))
    key, check_key = derived[:32], derived[32:]
    check = hmac.new(check_key, FORMAT.encode(), hashlib.sha256).digest()[:16]
    return key, check


def package_seal(data: dict, *, passphrase: str, pdf: bytes | None = None) -> bytes:
    """The encrypted package file for `data` (and its PDF, made when not given)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise PackageError(f"The passphrase must be at least {MIN_PASSPHRASE} characters.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, json.dumps(data, ensure_ascii=False, indent=1))
        archive.writestr(PDF_NAME, pdf if pdf is not None else package_pdf(data))
    salt, nonce = os.urandom(16), os.urandom(12)
    key, check = _keys(passphrase, salt, KDF_PARAMS)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "cipher": CIPHER,
        "kdf": KDF,
        "kdf_params": KDF_PARAMS,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "key_check": base64.b64encode(check).decode(),
    }
    line = json.dumps(header, separators=(",", ":")).encode() + b"\n"
    return line + AESGCM(key).encrypt(nonce, buffer.getvalue(), line)


def package_open(blob: bytes, *, passphrase: str) -> tuple[dict, bytes]:
    """(the JSON document, the PDF) of an encrypted package; PackageError, saying why, for a
    file that is not one, a wrong passphrase, or a file changed or cut short."""
    line, newline, body = blob.partition(b"\n")
    try:
        header = json.loads(line) if newline else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PackageError("This file is not a Roper transfer package.")
    if header.get("version") != VERSION or header.get("cipher") != CIPHER:
        raise PackageError(
            f"This package is version {header.get('version')}; Roper reads version {VERSION}."
        )
    try:
        params = {k: int(header["kdf_params"][k]) for k in ("n", "r", "p")}
        if header.get("kdf") != KDF or params["n"] > 2**20 or params["r"] > 16:
            raise ValueError("unknown key derivation")
        salt = base64.b64decode(header["salt"], validate=True)
        nonce = base64.b64decode(header["nonce"], validate=True)
        expected = base64.b64decode(header["key_check"], validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise PackageError("The package's header is damaged: it cannot be read.") from error
    key, check = _keys(passphrase, salt, params)
    if not hmac.compare_digest(check, expected):
        raise PackageError("The passphrase is wrong. Nothing was imported.")
    try:
        plain_zip = AESGCM(key).decrypt(nonce, body, line + newline)
    except InvalidTag as error:
        raise PackageError(
            "The package has been changed or is incomplete (cut short): it cannot be "
            "trusted. Ask the sending school for it again. Nothing was imported."
        ) from error
    try:
        with zipfile.ZipFile(io.BytesIO(plain_zip)) as archive:
            data = json.loads(archive.read(JSON_NAME))
            pdf = archive.read(PDF_NAME)
    except (KeyError, ValueError, zipfile.BadZipFile) as error:
        raise PackageError("The package's contents are not in the expected form.") from error
    return data, pdf
