"""Which whynow column fills which CRM field (SPEC §12), checked against the output contract.

    DEFAULTS                        the mapping whynow ships per CRM and level (`--print-mapping`)
    mapping_of(model, crm)          the model's `push:` mapping, or the default, as checked `Field`s
    fields_to_create(model, crm)    the custom fields the mapping needs (`--print-fields`)
    crm_objects(crm, level, ids)    each record's CRM object (Account; Contact or Lead; companies; contacts)

A mapping names, per level (`account`: Salesforce's Account, HubSpot's companies; `contact`: Contact or
Lead, contacts), a CRM field for each whynow value: a column of `account_status` / `contact_status` of
this model, or `call_list.N.COLUMN`, the N-th person on the account's call list. A field name may end in
`:N`, the field's length: text longer than that is cut to it (255 without).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from whynow.crm import Crm
from whynow.data.contract import ColumnType
from whynow.errors import UsageError
from whynow.model.check import CompiledModel
from whynow.outputs.contract import columns

Level = Literal["account", "contact"]
LEVELS: tuple[Level, ...] = ("account", "contact")
TEXT_LENGTH = 255  # a text field's length when the mapping does not say (SPEC §12)
MAX_LENGTH = 131_072  # Salesforce's longest text area; HubSpot's text properties hold 65,536

DEFAULTS: dict[Crm, dict[Level, dict[str, str]]] = {
    "salesforce": {
        "account": {
            "Whynow_Badge__c": "badge_label",
            "Whynow_Why__c:1000": "why",
            "Whynow_Fit_Grade__c": "fit_grade",
            "Whynow_Engagement__c": "engagement",
            "Whynow_Stage__c": "stage",
            "Whynow_Queue_Rank__c": "queue_rank",
            "Whynow_Expires__c": "badge_expires_on",
            "Whynow_Call_First__c": "call_list.1.name",
        },
        "contact": {"Whynow_Lead_Status__c": "lead_status", "Whynow_Why__c:1000": "why"},
    },
    "hubspot": {
        "account": {
            "whynow_badge": "badge_label",
            "whynow_why:1000": "why",
            "whynow_fit_grade": "fit_grade",
            "whynow_engagement": "engagement",
            "whynow_stage": "stage",
            "whynow_queue_rank": "queue_rank",
            "whynow_expires": "badge_expires_on",
            "whynow_call_first": "call_list.1.name",
        },
        "contact": {"whynow_lead_status": "lead_status", "whynow_why:1000": "why"},
    },
}
_FIELD = {  # a CRM field's API name: Salesforce's custom fields end in __c; HubSpot's are lower case
    "salesforce": re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}"),
    "hubspot": re.compile(r"[a-z][a-z0-9_]{0,99}"),
}
_CALL = re.compile(r"call_list\.([1-9][0-9]*)\.([a-z_]+)")


@dataclass(frozen=True)
class Field:
    """One CRM field a push fills: its name and length, the whynow value it takes and that value's type."""

    level: Level
    name: str
    source: str  # as the mapping writes it: `why`, `call_list.1.name`
    column: str  # the column read: `why`, `name` (of the call list's entry `rank`)
    type: ColumnType
    length: int = TEXT_LENGTH
    rank: int | None = None  # the call list's entry, for call_list.N.COLUMN


def mapping_of(model: CompiledModel, crm: Crm) -> dict[Level, list[Field]]:
    """The model's mapping for `crm` (its `push:` section, a level it leaves out: the default), checked:
    a `UsageError` names the first field or column that cannot be pushed, and what to do."""
    section = getattr(model.spec.push, crm)
    found: dict[Level, list[Field]] = {}
    for level in LEVELS:
        written = getattr(section, level) if section is not None else None
        mapping = DEFAULTS[crm][level] if written is None else written
        found[level] = [_field(model, crm, level, name, source) for name, source in mapping.items()]
    return found


def _field(model: CompiledModel, crm: Crm, level: Level, written: str, source: str) -> Field:
    where = f"push.{crm}.{level}.{written}"
    name, _, length_text = written.partition(":")
    if not _FIELD[crm].fullmatch(name):
        shape = "letters, digits and _, from a letter" if crm == "salesforce" else "lower case letters, digits and _"
        raise UsageError(f"{where}: '{name}' is not a {crm} field name ({shape}); write the field's API name")
    length = TEXT_LENGTH
    if length_text:
        if not length_text.isdigit() or not 1 <= int(length_text) <= MAX_LENGTH:
            raise UsageError(f"{where}: the length after ':' must be a whole number from 1 to {MAX_LENGTH:,}")
        length = int(length_text)
    call = _CALL.fullmatch(source)
    if call is not None:
        if level == "contact":
            raise UsageError(f"{where}: a contact has no call list; call_list.N.COLUMN is for the account level")
        rank, column = int(call[1]), call[2]
        shown = model.spec.capacity.call_list
        if rank > shown:
            raise UsageError(
                f"{where}: the call list shows {shown} people (capacity.call_list); call_list.{rank} is never filled"
            )
        return Field(level, name, source, column, _type_of(model, "call_list", column, where), length, rank)
    table = "account_status" if level == "account" else "contact_status"
    return Field(level, name, source, source, _type_of(model, table, source, where), length)


def _type_of(model: CompiledModel, table: str, column: str, where: str) -> ColumnType:
    types = {c.name: c.type for c in columns(model, table)}
    if column not in types:
        raise UsageError(f"{where}: {table} has no column '{column}'; it has {', '.join(types)}")
    return types[column]


def fields_to_create(model: CompiledModel, crm: Crm) -> str:
    """The custom fields the mapping needs, to create in the CRM before the first push: for Salesforce one
    line per field (object, API name, type, length or precision), for HubSpot the property definitions as
    its properties API takes them (JSON, one object per line)."""
    import json

    lines = []
    for level, fields in mapping_of(model, crm).items():
        for field in fields:
            if crm == "salesforce":  # a contact's fields on Contact and on Lead: a Lead is pushed as itself
                lines += ["\t".join([obj, field.name, *_salesforce_type(field)]) for obj in objects_of(crm, level)]
            else:
                kind, widget = _HUBSPOT_TYPES[field.type]
                label = field.name.replace("_", " ").capitalize()
                definition = {"objectType": crm_object(crm, level), "name": field.name, "label": label}
                definition |= {"groupName": "whynow", "type": kind, "fieldType": widget}
                lines.append(json.dumps(definition))
    header = ["object\tfield\ttype\tlength"] if crm == "salesforce" else []
    return "\n".join(header + lines)


_OBJECT: dict[Crm, dict[Level, str]] = {
    "salesforce": {"account": "Account", "contact": "Contact"},
    "hubspot": {"account": "companies", "contact": "contacts"},
}
LEAD = "Lead"
LEAD_PREFIX = "00Q"  # a Salesforce Lead's record id starts so; whynow imports an unconverted Lead as a contact


def crm_object(crm: Crm, level: Level) -> str:
    """The CRM object a level's records are (a Salesforce contact may also be a Lead: `crm_objects`)."""
    return _OBJECT[crm][level]


def crm_objects(crm: Crm, level: Level, record_ids: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Each record's CRM object: a Salesforce contact whose id is a Lead's is a Lead."""
    main = pa.scalar(crm_object(crm, level), pa.string())
    if crm == "salesforce" and level == "contact":
        return pc.if_else(pc.starts_with(record_ids, LEAD_PREFIX), pa.scalar(LEAD, pa.string()), main)
    return pa.repeat(main, len(record_ids))


def objects_of(crm: Crm, level: Level) -> list[str]:
    """Every CRM object a level's records can be."""
    return [crm_object(crm, level), *([LEAD] if crm == "salesforce" and level == "contact" else [])]


_HUBSPOT_TYPES: dict[ColumnType, tuple[str, str]] = {  # (type, fieldType) of a HubSpot property
    "text": ("string", "text"),
    "integer": ("number", "number"),
    "number": ("number", "number"),
    "boolean": ("bool", "booleancheckbox"),
    "date": ("date", "date"),
    "timestamp": ("datetime", "date"),
}


def _salesforce_type(field: Field) -> tuple[str, str]:
    """(type, length or precision,scale) of a Salesforce custom field holding the field's values."""
    if field.type == "text":
        return ("Text", str(field.length)) if field.length <= TEXT_LENGTH else ("LongTextArea", str(field.length))
    return {
        "integer": ("Number", "18,0"),
        "number": ("Number", "16,2"),
        "boolean": ("Checkbox", ""),
        "date": ("Date", ""),
        "timestamp": ("DateTime", ""),
    }[field.type]


def print_mapping(crm: Crm) -> str:
    """The default mapping as a model's `push:` section, to copy into a model and change."""
    lines = ["push:", f"  {crm}:"]
    lines += (
        [
            "    instance_url: ${SALESFORCE_INSTANCE_URL}",
            "    access_token: ${SALESFORCE_ACCESS_TOKEN:-}",
            "    # or an integration user: username: ${SALESFORCE_USERNAME}, password: ${SALESFORCE_PASSWORD},",
            "    # security_token: ${SALESFORCE_SECURITY_TOKEN}, with instance_url https://login.salesforce.com",
        ]
        if crm == "salesforce"
        else ["    token: ${HUBSPOT_TOKEN}", "    api_base: ${HUBSPOT_API_BASE:-https://api.hubapi.com}"]
    )
    for level in LEVELS:
        lines.append(f"    {level}:")
        lines += [f"      {name}: {source}" for name, source in DEFAULTS[crm][level].items()]
    return "\n".join(lines)
