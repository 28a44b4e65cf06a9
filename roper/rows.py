"""New rows written with plain INSERTs, their SQL made once from the models: on PostgreSQL a
row, its history row and a row referring to it in one statement.

For the morning rush's one write, the desk's check-in (a handover, its history row and the
desk's entry): `Model.save()` spent ~1.5 ms of Python on those three rows, building and
compiling each INSERT and, for the history row, a model instance of its own, three times the
time PostgreSQL took to store them (bench/README.md, seventh pass).

`insert` does what `save()` does for a new row, in the same order and from the same
definitions: pre_save's receivers (roper.text cleans short text), each field's own pre_save
(a default, auto_now_add) and its conversion for the database; then, for a model with
simple_history's `HistoricalRecords`, the history row that history would write ("+", the
row's values, the date and the user given). One thing it does not: post_save is not sent.
A caller lists the receivers of post_save of the models it writes this way, with why each has
nothing to do (devices/services.py POST_SAVE_ACCOUNTED); tests/devices/test_rows.py fails when
a receiver is added, and compares the rows written with what `save()` writes.
"""

import functools

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model
from django.db.models.signals import pre_save
from django.utils import timezone

#: simple_history's own columns of a history row (the rest are the row's values).
HISTORY_OWN = ("history_date", "history_type", "history_user_id", "history_change_reason")


def _into(table: str, fields) -> str:
    """INSERT INTO the table (its columns): names from the models, quoted; no value."""
    quote = connections["default"].ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    return f"INSERT INTO {quote(table)} ({columns})"  # noqa: S608 - names from the models


@functools.cache
def _statement(model, returning: bool) -> tuple[str, tuple]:
    """(INSERT statement, the fields it writes, in order): every concrete field but the
    auto-incremented key. (PostgreSQL and SQLite quote names alike.)"""
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if f is not meta.auto_field)
    sql = f"{_into(meta.db_table, fields)} VALUES ({', '.join(['%s'] * len(fields))})"
    if returning:
        quote = connections["default"].ops.quote_name
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


@functools.cache
def _history_model(model):
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute).model if attribute else None


@functools.cache
def _history_statement(model, after_row: bool) -> tuple[str, tuple]:
    """(INSERT of the history row, the history model's fields it writes, in order). Every
    field is simple_history's own or one of the row's (checked: a history model with a field
    of another kind cannot be written here). `after_row`: the statement follows the row's
    INSERT (the CTE `r`), which gives it the row's key; otherwise the key is a parameter."""
    history = _history_model(model)
    own, row = set(HISTORY_OWN), {f.attname for f in model._meta.concrete_fields}
    fields = tuple(f for f in history._meta.concrete_fields if f is not history._meta.auto_field)
    for field in fields:
        if field.attname not in own and field.attname not in row:
            raise ImproperlyConfigured(
                f"{history.__name__}.{field.name} is neither simple_history's nor "
                f"{model.__name__}'s: roper.rows cannot write its history."
            )
    quote = connections["default"].ops.quote_name
    pk = model._meta.pk
    values = [
        f"r.{quote(pk.column)}" if after_row and f.attname == pk.attname else "%s" for f in fields
    ]
    sql = _into(history._meta.db_table, fields)
    if after_row:
        returning = f"RETURNING {quote(pk.column)}"
        return f"{sql} SELECT {', '.join(values)} FROM r {returning}", fields  # noqa: S608  # nosec B608
    return f"{sql} VALUES ({', '.join(values)})", fields


@functools.cache
def _foreign_key(parent, child):
    """`child`'s one foreign key to `parent` (a model with two, or none, cannot be a child)."""
    (fk,) = (f for f in child._meta.concrete_fields if f.is_relation and f.related_model is parent)
    return fk


@functools.cache
def _child_statement(parent, child, source: str = "r") -> tuple[str, tuple, object]:
    """(INSERT of a `child` row that follows its parent's INSERT (the CTE `r`; or the CTE
    `source` that wrote the parent), the fields it writes, its foreign key to `parent`, which
    it takes from that CTE)."""
    fk = _foreign_key(parent, child)
    _, fields = _statement(child, False)
    quote = connections["default"].ops.quote_name
    values = [f"{source}.{quote(parent._meta.pk.column)}" if f is fk else "%s" for f in fields]
    returning = f"RETURNING {quote(child._meta.pk.column)}, {quote(fk.column)}"
    into = _into(child._meta.db_table, fields)
    return f"{into} SELECT {', '.join(values)} FROM {source} {returning}", fields, fk  # noqa: S608  # nosec B608


@functools.cache
def history_of_update(model) -> tuple[str, tuple]:
    """(INSERT of the history row of the row a statement's CTE `u` updated (`RETURNING *`):
    simple_history's own columns as parameters, the row's taken from `u`; those own fields,
    in order). For a statement that updates a row, writes its history and a row referring to
    it at once (devices/services.py, the desk's check-out)."""
    history = _history_model(model)
    own, row = set(HISTORY_OWN), {f.attname: f for f in model._meta.concrete_fields}
    fields = tuple(f for f in history._meta.concrete_fields if f is not history._meta.auto_field)
    quote = connections["default"].ops.quote_name
    values = []
    for field in fields:
        if field.attname in own:
            values.append("%s")
        elif field.attname in row:
            values.append(f"u.{quote(row[field.attname].column)}")
        else:
            raise ImproperlyConfigured(
                f"{history.__name__}.{field.name} is neither simple_history's nor "
                f"{model.__name__}'s: roper.rows cannot write its history."
            )
    sql = f"{_into(history._meta.db_table, fields)} SELECT {', '.join(values)} FROM u"  # noqa: S608  # nosec B608
    return sql, tuple(f for f in fields if f.attname in own)


def history_own_values(fields, connection, *, kind: str, user, date) -> list:
    """The values of simple_history's own `fields` (of `history_of_update`): the kind of
    change ("~" an update), when and by whom, no reason."""
    own = {
        "history_date": date,
        "history_type": kind,
        "history_user_id": getattr(user, "pk", user),
        "history_change_reason": None,
    }
    return [f.get_db_prep_save(own[f.attname], connection) for f in fields]


def child_of_update(parent, child) -> tuple[str, tuple, object]:
    """(INSERT of a `child` row referring to the `parent` row a statement's CTE `u` updated,
    the fields it writes (all but the foreign key, which it takes from `u`), that key)."""
    return _child_statement(parent, child, "u")


def child_values(child, fields, fk, connection, using="default") -> list:
    """The values of a new `child` row's `fields` but its foreign key `fk`, as save() prepares
    them (pre_save sent first, as save() sends it)."""
    pre_save.send(sender=type(child), instance=child, raw=False, using=using, update_fields=None)
    return _values(child, fields, connection, skip=fk)


def _values(instance, fields, connection, *, skip=None) -> list:
    """The database's values of `instance`'s `fields` (but `skip`), as save() prepares them."""
    return [
        f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields if f is not skip
    ]


def insert(
    instance: Model,
    *,
    history_user=None,
    history_date=None,
    child=None,
    then: str = "",
    using="default",
) -> Model:
    """Insert `instance`, a new row, as `instance.save()` would (module docstring), with its
    history row when its model keeps one (`history_user`, `history_date`: who and when, as
    simple_history's record would say), and `child`, a new row whose foreign key refers to
    `instance` (set here): on PostgreSQL in one statement (INSERTs in a WITH), elsewhere one
    after the other; `then`: SQL sent with that statement, after it (";COMMIT" of a
    roper.sql.transaction). Returns the instance, saved, with its key (and `child` saved
    too)."""
    model = type(instance)
    connection = connections[using]
    if connection.vendor != "postgresql" or (_history_model(model) is None and child is None):
        # One statement at a time (the row's INSERT alone, when it has no more).
        _insert_apart(instance, history_user, history_date, connection, using)
        if child is not None:
            setattr(child, _foreign_key(model, type(child)).name, instance)
            _insert_apart(child, None, None, connection, using)
        if then:
            with connection.cursor() as cursor:
                cursor.execute(then.lstrip(";"))
        return instance
    sent = [instance] if child is None else [instance, child]
    for row in sent:
        pre_save.send(sender=type(row), instance=row, raw=False, using=using, update_fields=None)
    sql, fields = _statement(model, True)
    values = _values(instance, fields, connection)
    steps, params = [f"r AS ({sql})"], list(values)
    last, last_params = None, []
    if _history_model(model) is not None:
        history_sql, columns = _history_statement(model, True)
        last, last_params = (
            history_sql,
            _history_values(
                model, fields, values, columns, connection, history_user, history_date, pk=None
            ),
        )
    if child is not None:
        child_sql, child_fields, fk = _child_statement(model, type(child))
        if last is not None:
            steps.append(f"h AS ({last})")
            params += last_params
        last, last_params = child_sql, _values(child, child_fields, connection, skip=fk)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(steps)} {last}{then}", params + last_params)
        if child is None:
            instance.pk = cursor.fetchone()[0]
        else:
            child.pk, instance.pk = cursor.fetchone()
            setattr(child, fk.name, instance)
    for row in sent:
        row._state.adding = False
        row._state.db = using
    return instance


def _history_values(model, fields, values, columns, connection, user, date, *, pk) -> list:
    """The history row's values: simple_history's own ("+", `date`, `user`), and the row's
    (`values` of its `fields`, and its key `pk`; None: the statement takes the key from the
    row's INSERT)."""
    own = {
        "history_date": date or timezone.now(),
        "history_type": "+",
        "history_user_id": getattr(user, "pk", user),
        "history_change_reason": None,
    }
    row = {f.attname: v for f, v in zip(fields, values, strict=True)}
    key = model._meta.pk.attname
    if pk is not None:
        row[key] = pk
    return [
        f.get_db_prep_save(own[f.attname], connection) if f.attname in own else row[f.attname]
        for f in columns
        if not (pk is None and f.attname == key)
    ]


def _insert_apart(instance, history_user, history_date, connection, using) -> None:
    """`insert` one statement at a time (SQLite, a laptop's: no INSERT in a WITH)."""
    model = type(instance)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    sql, fields = _statement(model, True)
    values = _values(instance, fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
        if _history_model(model) is not None:
            history_sql, columns = _history_statement(model, False)
            cursor.execute(
                history_sql,
                _history_values(
                    model,
                    fields,
                    values,
                    columns,
                    connection,
                    history_user,
                    history_date,
                    pk=instance.pk,
                ),
            )
    instance._state.adding = False
    instance._state.db = using
