"""Bringing a learner's child-protection file in: a transfer package (transfers/package.py)
from another school, or a CSV of concerns from another system. All or nothing: one
transaction, and a refusal says why with nothing saved.

A learner who already exists here (the same UPN) is refused: the package would make a second
history beside the one the school keeps, and a UPN typed wrong would merge two children's
files. The DSL may choose, explicitly, to add the package to that learner, and only when the
legal name and date of birth agree too (`attach=True`).

The sending school's staff have no account here: the records are attributed to whoever
imported them, and what the package says of who recorded each is kept on the import
(`PackageImport.manifest`, the package's JSON without the files' contents).
"""

import base64
import binascii
import hashlib

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from conduct.models import Breach
from devices.models import Confiscation, CustodyEvent, Search
from incidents.models import Category, Concern, Entry, Evidence, Involvement
from people.models import Guardian, Guardianship, Learner
from roper.models import AccessLog
from transfers.models import PackageImport
from transfers.package import FORMAT, VERSION, PackageError, package_open


def _build(model, row: dict, by, **fixed):
    """An unsaved `model` from a package row: its stored fields by name (converted by the
    field), staff as `by` where one is required (none where not), other relations `fixed`."""
    user_model = get_user_model()
    obj = model()
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in fixed:
            continue
        if field.name in fixed:
            setattr(obj, field.name, fixed[field.name])
        elif field.is_relation:
            if field.related_model is user_model:
                setattr(obj, field.name, None if field.null else by)
        elif field.name in row and not hasattr(field, "storage"):
            value = row[field.name]
            try:
                value = field.to_python(value)
            except ValidationError as error:
                raise PackageError(
                    f"{model._meta.verbose_name}: {field.name} is not valid ({value!r})."
                ) from error
            if value is None and not field.null:
                value = "" if field.empty_strings_allowed else field.get_default()
            setattr(obj, field.name, value)
    return obj


def _files(data: dict) -> dict:
    """{(concern number, index): bytes} for every file, each checked against its SHA-256 and
    size before anything is saved."""
    files = {}
    for concern in data["concerns"]:
        for n, item in enumerate(concern.get("evidence", [])):
            try:
                content = base64.b64decode(item["content"], validate=True)
            except (KeyError, binascii.Error, TypeError) as error:
                raise PackageError(f"The file {item.get('name')!r} cannot be read.") from error
            if hashlib.sha256(content).hexdigest() != item.get("sha256") or (
                item.get("size") is not None and len(content) != item["size"]
            ):
                raise PackageError(
                    f"The file {item.get('name')!r} does not match its SHA-256: the package "
                    "cannot be trusted. Nothing was imported."
                )
            files[(concern["number"], n)] = content
    return files


def _learner(data: dict, school, by, attach: bool) -> Learner:
    row = data["learner"]
    existing = Learner.objects.filter(school=school, upn=row.get("upn")).first()
    if existing is None:
        learner = _build(Learner, row, by, school=school)
        learner.active = True
        learner.full_clean(exclude=["school"])
        learner.save()
        return learner
    same = (
        existing.legal_first_name.casefold() == str(row.get("legal_first_name", "")).casefold()
        and existing.legal_last_name.casefold() == str(row.get("legal_last_name", "")).casefold()
        and existing.date_of_birth.isoformat() == row.get("date_of_birth")
    )
    if not same:
        raise PackageError(
            f"A learner with UPN {row.get('upn')} is already on roll here ({existing.name}), "
            "with a different name or date of birth. Check the UPN with the sending school; "
            "nothing was imported."
        )
    if not attach:
        raise PackageError(
            f"{existing.name} (UPN {existing.upn}) is already on roll here. To add the "
            "package's records to their file, tick “Add to the learner already here” and "
            "import again; nothing was imported."
        )
    return existing


def _check(data) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackageError("This file is not a Roper transfer package.")
    if data.get("version") != VERSION:
        raise PackageError(f"Roper reads version {VERSION} of the package format.")
    for key in ("package_id", "learner", "concerns", "confiscations", "searches", "breaches"):
        if key not in data:
            raise PackageError(f"The package has no {key}: it cannot be imported.")


def package_import(*, blob: bytes, passphrase: str, school, by, attach: bool = False):
    """Import an encrypted package into `school`. Returns the PackageImport; PackageError
    (nothing saved) for anything wrong."""
    data, _pdf = package_open(blob, passphrase=passphrase)
    return package_data_import(data=data, school=school, by=by, attach=attach)


def package_data_import(*, data: dict, school, by, attach: bool = False) -> PackageImport:
    _check(data)
    files = _files(data)
    saved: list = []
    try:
        with transaction.atomic():
            done = _import(data, files, school, by, attach, saved)
    except IntegrityError as error:
        _forget(saved)
        raise PackageError(
            "This package has been imported already. Nothing was imported again."
        ) from error
    except (PackageError, KeyError, TypeError, ValueError, ValidationError) as error:
        _forget(saved)
        if isinstance(error, PackageError):
            raise
        raise PackageError(f"The package's records are not as expected ({error}).") from error
    return done


def _forget(saved) -> None:
    """Files saved before the transaction was rolled back."""
    for stored in saved:
        stored.storage.delete(stored.name)


def _without_content(item: dict) -> dict:
    return {key: value for key, value in item.items() if key != "content"}


def _import(data, files, school, by, attach, saved) -> PackageImport:
    earlier = PackageImport.objects.filter(school=school, package_id=data["package_id"]).first()
    if earlier is not None:
        raise PackageError(
            f"This package was imported already, on {earlier.imported_at:%d/%m/%Y} by "
            f"{earlier.imported_by.get_full_name() or earlier.imported_by}. Nothing was "
            "imported again."
        )
    learner = _learner(data, school, by, attach)
    for row in data.get("parents_and_carers", []):
        guardian = _build(Guardian, row, by, school=school)
        guardian.save()
        Guardianship.objects.create(
            **{
                f.name: getattr(_build(Guardianship, row, by), f.name)
                for f in Guardianship._meta.concrete_fields
                if not f.is_relation and not f.primary_key
            },
            learner=learner,
            guardian=guardian,
        )
    concerns = {}
    for row in data["concerns"]:
        key = row["category"]["key"]
        category = Category.objects.filter(school=school, key=key).first()
        if category is None:  # a category of the other school's own: kept, not offered
            category = Category.objects.create(
                school=school, key=key, name=row["category"]["name"][:200], active=False
            )
        concern = _build(Concern, row, by, school=school, category=category)
        concern.save()
        concerns[row["number"]] = concern
        for person in row.get("people", []):
            this = person.get("is_this_learner")
            Involvement.objects.create(
                concern=concern,
                # Staff of the other school are named, not linked: they have no account here.
                # Only as a witness: a concern naming one as a subject, which could not be
                # concealed from them here, stays at the sending school (transfers/package.py).
                kind=person["kind"] if person["kind"] != "staff" or this else "visitor",
                learner=learner if this else None,
                name="" if this else str(person.get("name") or "")[:200],
                part=person["part"],
            )
        for entry in row.get("timeline", []):
            # Saved one by one, not in bulk: pre_save cleans what a package may carry (the
            # bidirectional controls of roper.text), as for every record.
            _build(Entry, entry, by, concern=concern).save()
        for n, item in enumerate(row.get("evidence", [])):
            evidence = _build(Evidence, item, by, concern=concern)
            evidence.original_name = str(item["name"])[:200]
            evidence.size = len(files[(row["number"], n)])
            evidence.file.save(
                evidence.original_name, ContentFile(files[(row["number"], n)]), save=False
            )
            saved.append(evidence.file)
            evidence.save()
    devices = {}
    for row in data["confiscations"]:
        concern = concerns.get(row.get("concern"))
        confiscation = _build(
            Confiscation, row, by, school=school, learner=learner, concern=concern
        )
        confiscation.save()
        devices[row["number"]] = confiscation
        for event in row.get("custody", []):
            _build(CustodyEvent, event, by, confiscation=confiscation).save()
    for row in data["searches"]:
        _build(
            Search,
            row,
            by,
            school=school,
            learner=learner,
            confiscation=devices.get(row.get("confiscation")),
        ).save()
    for row in data["breaches"]:
        _build(
            Breach,
            row,
            by,
            school=school,
            learner=learner,
            confiscation=devices.get(row.get("confiscation")),
        ).save()
    manifest = {
        **data,
        "concerns": [
            {**c, "evidence": [_without_content(e) for e in c.get("evidence", [])]}
            for c in data["concerns"]
        ],
    }
    done = PackageImport.objects.create(
        school=school,
        learner=learner,
        package_id=str(data["package_id"])[:64],
        from_name=str(data.get("from_school", {}).get("name", ""))[:200],
        from_urn=str(data.get("from_school", {}).get("urn", ""))[:8],
        imported_by=by,
        manifest=manifest,
    )
    AccessLog.record_access(
        user=by,
        obj=learner,
        school=school.pk,
        what=f"child-protection file of learner {learner.pk} imported from {done.from_name}",
        action=AccessLog.Action.CHANGE,
    )
    return done
