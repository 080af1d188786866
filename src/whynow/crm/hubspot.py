"""`whynow import hubspot DIR --out SRC` (SPEC §11): a HubSpot export as the data contract.

The folder holds the UI's CSV exports (any file name: the header tells companies, contacts and deals
apart) and/or the tables a warehouse connector syncs, one CSV per table (`company.csv` or
`company_data.csv`, `contact`, `deal`, `owner`, `engagement`, `engagement_call` …, `email_event`, and the
association tables `contact_company`, `deal_company`, `engagement_contact`, `engagement_company`, with
`deal_pipeline_stage` and `email_campaign` to look names up). The mapping (`hubspot.yaml`, with the
user's file laid over it) says which column becomes which; this module adds what a mapping cannot say:

* a contact belongs to its associated company, else to the company of its email's domain;
* a deal's company is its association; its stage's label, and whether it is closed and won, come from
  the pipeline stage table, else from the mapping's `stages`;
* an engagement is one activity per associated contact (`<engagement>-<contact>`), at its company;
* an email event belongs to the contact with the recipient's email, else to the recipient's domain;
* owners become reps; an owner named in a UI export ("Company owner" holds a name) is the rep of that
  name, or a rep whose id is the name; an owner id (digits) in no owners file is a rep without a name.

Records the connector flags deleted (`is_deleted`, `_fivetran_deleted`) are counted as unplaced.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from whynow.crm.checks import require
from whynow.crm.formats import email_domain
from whynow.crm.importer import Importer, count_rows
from whynow.crm.mapping import ObjectSpec
from whynow.crm.read import Frame, expect_file, read_csv
from whynow.crm.report import ImportReport
from whynow.crm.rules import close_deals, only_written_people, place, union, written
from whynow.crm.shape import shape
from whynow.crm.write import write
from whynow.data.backends import keep
from whynow.errors import DataError
from whynow.options import FileFormat

OBJECTS: dict[str, ObjectSpec] = {
    "companies": ObjectSpec("accounts", {}, "accounts"),
    "contacts": ObjectSpec("contacts", {}, "contacts"),
    "deals": ObjectSpec("opportunities", {}, "opportunities"),
    "owners": ObjectSpec("reps", {"first_name": "text", "last_name": "text"}, "reps"),
    "engagements": ObjectSpec("activities", {}, "activities"),
    "email_events": ObjectSpec("activities", {"email": "text"}, "activities"),
    "deal_stages": ObjectSpec(
        None, {"stage_id": "text", "label": "text", "is_closed": "boolean", "is_won": "boolean"}, "stage names"
    ),
}
# Connector tables by name (`_data` suffix aside) → the object they hold.
_TABLES = {
    "company": "companies",
    "contact": "contacts",
    "deal": "deals",
    "owner": "owners",
    "engagement": "engagements",
    "engagement_call": "engagements",
    "engagement_email": "engagements",
    "engagement_meeting": "engagements",
    "engagement_note": "engagements",
    "engagement_task": "engagements",
    "email_event": "email_events",
    "deal_pipeline_stage": "deal_stages",
}
# Association and look-up tables: their columns, fixed by the connector's schema.
_LINKS: dict[str, tuple[str, str]] = {
    "contact_company": ("contact_id", "company_id"),
    "deal_company": ("deal_id", "company_id"),
    "engagement_contact": ("engagement_id", "contact_id"),
    "engagement_company": ("engagement_id", "company_id"),
    "email_campaign": ("id", "name"),
}
# UI exports: the record id column that starts each object's columns.
_SECTIONS = {"record id - company": "Company", "record id - contact": "Contact", "record id - deal": "Deal"}


def import_hubspot(
    folder: Path, out: Path, mapping_file: Path | None = None, fmt: FileFormat = "csv", strict: bool = False
) -> ImportReport:
    """Import a HubSpot export folder into `out`; the report says what was read, written and set aside."""
    imp = start(folder, mapping_file)
    frames, links = find(imp, folder)
    if "companies" not in frames:
        raise DataError(
            f"{folder} holds no HubSpot companies export (a Companies export from the UI, or the connector's "
            "company table); whynow needs the accounts"
        )
    return import_frames(imp, frames, links, out, fmt, strict)


def start(folder: Path, mapping_file: Path | None) -> Importer:
    """A HubSpot import: the built-in mapping with the user's laid over it; deleted records set aside."""
    return Importer.start("hubspot", folder, OBJECTS, mapping_file, deleted=("is_deleted", "_fivetran_deleted"))


def import_frames(
    imp: Importer, frames: dict[str, list[Frame]], links: dict[str, Frame], out: Path, fmt: FileFormat, strict: bool
) -> ImportReport:
    """The objects read (from export files, or through the API) shaped, placed and written into `out`."""
    reps = _owners(imp, frames.get("owners", []))
    accounts = union("accounts", [_companies(imp, f) for f in frames["companies"]])
    tables: dict[str, ir.Table] = {}
    contacts = None
    if frames.get("contacts"):
        contacts = union("contacts", [_contacts(imp, f, accounts, links) for f in frames["contacts"]])
    stages = _stages(imp, frames.get("deal_stages", []))
    deals = [_deals(imp, f, links, stages) for f in frames.get("deals", [])]
    accounts, deals_table, reps = _owned(imp, accounts, union("opportunities", deals) if deals else None, reps)
    tables["accounts"] = accounts
    if contacts is not None:
        tables["contacts"] = contacts
    engagements = frames.get("engagements", [])
    activities = [_engagements(imp, engagements, links, contacts)] if engagements else []
    activities += [_email_events(imp, f, contacts, links) for f in frames.get("email_events", [])]
    if activities:
        tables["activities"] = union("activities", activities)
    if deals_table is not None:
        tables["opportunities"] = deals_table
    if reps is not None:
        tables["reps"] = reps
    write(imp, tables, out, fmt, strict)
    return imp.report


def find(imp: Importer, folder: Path) -> tuple[dict[str, list[Frame]], dict[str, Frame]]:
    """The export's files: connector tables by name, UI exports by their header; and the association tables."""
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; give the folder that holds the HubSpot export files")
    frames: dict[str, list[Frame]] = {}
    links: dict[str, Frame] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv":
            if path.is_file():
                imp.report.not_read.append(path.name)
            continue
        stem = path.stem.lower().removesuffix("_data")
        if stem in _TABLES:
            frame = read_csv(imp, path, _TABLES[stem])
            if stem.startswith("engagement_"):  # the table names the kind, where a row does not
                kind = ibis.literal(stem.split("_", 1)[1].upper())
                own = frame.field("type")
                typed = kind if own is None else ibis.coalesce(frame.table[own].strip().nullif(""), kind)
                frame = replace(frame, table=frame.table.mutate(**{own or "type": typed}))
            frames.setdefault(frame.object, []).append(frame)
        elif stem in _LINKS:
            links[stem] = _link(imp, path, stem)
        else:
            ui = _ui_export(imp, path)
            if ui is None:
                imp.report.not_read.append(path.name)
            else:
                frames.setdefault(ui.object, []).append(ui)
    if not frames:
        raise DataError(
            f"{folder} holds no HubSpot export: give the UI's Companies / Contacts / Deals exports, or the "
            "connector's tables (company.csv, contact.csv, deal.csv …)"
        )
    return frames, links


def _ui_export(imp: Importer, path: Path) -> Frame | None:
    """A UI export, read by column position: the columns of a second object (after "Record ID - Company")
    are named "Company: <label>", so that its repeated labels ("Create Date") stay apart."""
    from whynow.data.source import csv_header

    expect_file(path, "every .csv file of a HubSpot export is read as an export")
    try:
        header = csv_header(path, "HubSpot export")
    except DataError:  # an empty or non-text file that is not named like a HubSpot table: not an export
        return None
    folded = [h.strip().lower() for h in header]
    first = folded[0] if folded else ""
    if first in _SECTIONS:
        obj = {"Company": "companies", "Contact": "contacts", "Deal": "deals"}[_SECTIONS[first]]
    elif first == "record id" and ("deal name" in folded or "deal stage" in folded):
        obj = "deals"
    elif first == "record id" and ("company name" in folded or "company domain name" in folded):
        obj = "companies"
    elif first == "record id" and ("email" in folded or "first name" in folded):
        obj = "contacts"
    elif (
        "record id" not in folded
        and {"first name", "last name", "email"} <= set(folded)
        and ({"id", "owner id", "user id"} & set(folded))
    ):
        obj = "owners"  # a users / owners export: its id, names and email
    else:
        return None
    names: list[str] = []
    section = None
    for label, low in zip(header, folded, strict=True):
        if low in _SECTIONS and names:  # a later object's columns start here
            section = _SECTIONS[low]
            names.append(label.strip())
            continue
        name = f"{section}: {label.strip()}" if section else label.strip()
        while name.lower() in (n.lower() for n in names):  # a label repeated within one object
            name += " (again)"
        names.append(name)
    return read_csv(imp, path, obj, names)


def _link(imp: Importer, path: Path, stem: str) -> Frame:
    frame = read_csv(imp, path, stem)
    wanted = _LINKS[stem]
    missing = [c for c in wanted if frame.field(c) is None]
    if missing:
        raise DataError(
            f"{path}: the connector table {stem} has no column {', '.join(missing)}; it needs {', '.join(wanted)}"
        )
    imp.report.unmapped[frame.file] = []
    return frame


def _pairs(links: dict[str, Frame], stem: str, key: str, value: str) -> ir.Table | None:
    """An association table as (key, value) text pairs."""
    frame = links.get(stem)
    if frame is None:
        return None
    a, b = _LINKS[stem]
    t = frame.table
    return t.select(
        **{key: t[frame.field(a) or a].cast(dt.string).strip(), value: t[frame.field(b) or b].cast(dt.string).strip()}
    )


def _first(links: dict[str, Frame], stem: str, key: str, value: str) -> ir.Table | None:
    """The lowest associated id per record (a contact's company, a deal's company)."""
    pairs = _pairs(links, stem, key, value)
    if pairs is None:
        return None
    return pairs.group_by(key).aggregate(**{value: pairs[value].min()})


def _companies(imp: Importer, frame: Frame) -> ir.Table:
    shaped = require(imp, shape(imp, frame, "account_id"), frame, ["account_id", "name"])
    return written(shaped, OBJECTS["companies"])


def _first_of_list(ids: ir.StringValue) -> ir.StringValue:
    """The first id of a list HubSpot writes for several associations (`101;102`, `101, 102`, `101 102`)."""
    return ids.re_extract(r"^[\s;,]*([^\s;,]+)", 1).nullif("")


def _contacts(imp: Importer, frame: Frame, accounts: ir.Table, links: dict[str, Frame]) -> ir.Table:
    shaped = require(imp, shape(imp, frame, "contact_id"), frame, ["contact_id"])
    shaped = shaped.mutate(account_id=_first_of_list(shaped.account_id))
    linked = _first(links, "contact_company", "_contact", "_company")
    if linked is not None:
        shaped = shaped.left_join(linked, shaped.contact_id == linked._contact)
        shaped = shaped.mutate(account_id=ibis.coalesce(shaped.account_id, shaped._company)).drop(
            "_contact", "_company"
        )
    placed = place(shaped, accounts, by_company=False)
    kept = require(
        imp, placed, frame, ["account_id"], reason="no associated company, and no company has the domain of its email"
    )
    return written(kept, OBJECTS["contacts"])


def _deals(imp: Importer, frame: Frame, links: dict[str, Frame], stages: ir.Table | None) -> ir.Table:
    shaped = shape(imp, frame, "opportunity_id")
    shaped = shaped.mutate(account_id=_first_of_list(shaped.account_id))
    linked = _first(links, "deal_company", "_deal", "_company")
    if linked is not None:
        shaped = shaped.left_join(linked, shaped.opportunity_id == linked._deal)
        shaped = shaped.mutate(account_id=ibis.coalesce(shaped.account_id, shaped._company)).drop("_deal", "_company")
    if stages is not None:  # the connector's pipeline stages: the label, and whether the stage closes the deal
        shaped = shaped.left_join(stages, shaped.stage == stages.stage_id)
        shaped = shaped.mutate(
            stage=ibis.coalesce(shaped.label, shaped.stage),
            is_closed=ibis.coalesce(shaped.is_closed_right, shaped.is_closed),
            is_won=ibis.coalesce(shaped.is_won_right, shaped.is_won),
        ).drop("stage_id", "label", "is_closed_right", "is_won_right")
    kept = require(imp, shaped, frame, ["opportunity_id"])
    kept = require(imp, kept, frame, ["account_id"], reason="no associated company")
    kept = require(imp, kept, frame, ["created_at"])
    return written(close_deals(imp, frame, kept), OBJECTS["deals"])


def _stages(imp: Importer, frames: list[Frame]) -> ir.Table | None:
    """The pipeline stages: one row per stage id (its label, whether it closes a deal, and as won)."""
    if not frames:
        return None
    columns = ["stage_id", "label", "is_closed", "is_won"]
    parts = [shape(imp, f, "stage_id").select(*columns) for f in frames]
    return keep(ibis.union(*parts).distinct(on="stage_id", keep="first"))


def _owners(imp: Importer, frames: list[Frame]) -> ir.Table | None:
    if not frames:
        return None
    parts = []
    for frame in frames:
        shaped = require(imp, shape(imp, frame, "rep_id"), frame, ["rep_id"])
        full = (shaped.first_name.fill_null("") + " " + shaped.last_name.fill_null("")).strip()
        named = shaped.mutate(name=ibis.coalesce(shaped.name, full.nullif("")))
        parts.append(written(named, OBJECTS["owners"]))
    return union("reps", parts)


def _owned(
    imp: Importer, accounts: ir.Table, deals: ir.Table | None, reps: ir.Table | None
) -> tuple[ir.Table, ir.Table | None, ir.Table | None]:
    """Owners named by name (UI exports) become rep ids: the rep of that name, else a rep whose id and name
    are the name. Owners given by id stay as they are: one in no owners file is a rep without a name."""
    named = [t.select(owner=t.owner_id) for t in (accounts, deals) if t is not None]
    owners = ibis.union(*named).filter(lambda t: t.owner.notnull()).distinct()
    if reps is not None:
        by_name = reps.filter(reps.name.notnull()).group_by(_key=reps.name.lower()).aggregate(_rep=reps.rep_id.min())
        ids = reps.select(_id=reps.rep_id)
    else:
        by_name = ibis.memtable({"_key": [], "_rep": []}, schema={"_key": "string", "_rep": "string"})
        ids = ibis.memtable({"_id": []}, schema={"_id": "string"})

    def resolve(t: ir.Table) -> ir.Table:
        j = t.left_join(ids, t.owner_id == ids._id).left_join(by_name, t.owner_id.lower() == by_name._key)
        return j.mutate(
            owner_id=ibis.cases((j._id.notnull(), j.owner_id), (j._rep.notnull(), j._rep), else_=j.owner_id)
        ).drop("_id", "_key", "_rep")

    new = owners.left_join(ids, owners.owner == ids._id).left_join(by_name, owners.owner.lower() == by_name._key)
    new = new.filter(new._id.isnull() & new._rep.isnull())
    by_id = new.owner.re_search(r"^[0-9]+$")  # HubSpot's owner ids are numbers; a name in a UI export is not
    counts = new.aggregate(names=(~by_id).sum(), ids=by_id.sum()).to_pyarrow().to_pylist()[0]
    names, ids_only = int(counts["names"] or 0), int(counts["ids"] or 0)
    if names:
        imp.report.notes.append(
            f"{names} owners are named in the exports but are not in an owners file; "
            "each became a rep whose id is its name"
        )
    if ids_only:
        imp.report.notes.append(
            f"{ids_only} owners are known only by their HubSpot owner id: add the owners to the export (the "
            "connector's owner.csv, or a users export with ID, First Name, Last Name, Email) to show reps by name"
        )
    if names or ids_only:
        extra = new.select(rep_id=new.owner, name=ibis.ifelse(by_id, ibis.null(dt.string), new.owner))
        reps = union("reps", [extra] if reps is None else [reps, extra])
    return resolve(accounts), resolve(deals) if deals is not None else None, reps


def _engagements(imp: Importer, frames: list[Frame], links: dict[str, Frame], contacts: ir.Table | None) -> ir.Table:
    """Engagements of every kind as activities: one per associated contact, at the associated company."""
    parts: list[ir.Table] = []
    seen: ir.Table | None = None
    for frame in sorted(
        frames, key=lambda f: f.file.lower().startswith("engagement.") or f.file.lower().startswith("engagement_data")
    ):
        shaped = shape(imp, frame, "activity_id")
        if seen is not None:  # the base engagement table: only engagements no kind's table holds
            again = shaped.activity_id.isin(seen.activity_id)
            imp.merged(
                frame.object, frame.file, "also in a kind's table (engagement_call …)", count_rows(shaped.filter(again))
            )
            shaped = shaped.filter(~again)
        kept = require(imp, shaped, frame, ["activity_id", "occurred_at", "type"])
        parts.append(kept)
        ids = kept.select("activity_id")
        seen = ids if seen is None else ibis.union(seen, ids)
    table = union("activities", [written(p, OBJECTS["engagements"]) for p in parts])
    firms = _first(links, "engagement_company", "_engagement", "_company")
    if firms is not None:
        table = table.left_join(firms, table.activity_id == firms._engagement)
        table = table.mutate(account_id=ibis.coalesce(table.account_id, table._company)).drop("_engagement", "_company")
    people = _pairs(links, "engagement_contact", "_engagement", "_contact")
    if people is not None:
        table = table.left_join(people, table.activity_id == people._engagement)
        one_each = table.activity_id + "-" + table._contact
        table = table.mutate(
            activity_id=ibis.ifelse(table._contact.notnull(), one_each, table.activity_id),
            contact_id=ibis.coalesce(table._contact, table.contact_id),
        ).drop("_engagement", "_contact")
    merged = Frame("engagements", table, ", ".join(f.file for f in frames), "CSV")
    table = only_written_people(imp, table, merged, contacts)
    placed = table.mutate(_either=ibis.coalesce(table.contact_id, table.account_id))
    return require(imp, placed, merged, ["_either"], reason="no associated contact or company").drop("_either")


def _email_events(imp: Importer, frame: Frame, contacts: ir.Table | None, links: dict[str, Frame]) -> ir.Table:
    shaped = require(imp, shape(imp, frame, "activity_id"), frame, ["activity_id", "occurred_at", "type"])
    if contacts is not None:
        emails = (
            contacts.filter(contacts.email.notnull())
            .group_by(_email=contacts.email.strip().lower())
            .aggregate(_who=contacts.contact_id.min())
        )
        shaped = shaped.left_join(emails, shaped.email.strip().lower() == emails._email)
        shaped = shaped.mutate(contact_id=ibis.coalesce(shaped.contact_id, shaped._who)).drop("_email", "_who")
    shaped = shaped.mutate(domain=ibis.ifelse(shaped.contact_id.isnull(), email_domain(shaped.email), shaped.domain))
    campaigns = _pairs(links, "email_campaign", "_campaign", "_name")
    if campaigns is not None:
        shaped = shaped.left_join(campaigns, shaped.campaign == campaigns._campaign)
        shaped = shaped.mutate(campaign=ibis.coalesce(shaped._name, shaped.campaign)).drop("_campaign", "_name")
    placed = shaped.mutate(_either=ibis.coalesce(shaped.contact_id, shaped.domain))
    kept = require(imp, placed, frame, ["_either"], reason="its recipient is no contact's email and has no domain")
    return written(kept.drop("_either"), OBJECTS["email_events"])
