"""`whynow import salesforce DIR --out SRC` (SPEC §11): a Salesforce export as the data contract.

The folder holds Data Loader / Data Export CSV files named after the objects (`Account.csv`, `Lead.csv`
…, any letter case), or the sObject-tree JSON of `sf data export tree --plan`. The mapping
(`salesforce.yaml`, with the user's file laid over it) says which field becomes which column; this module
adds what a mapping cannot say:

* a Lead becomes a contact of the account whose domain is its email's domain, else of the account named
  like its Company (or whose Id its Company holds), else it is unplaced; a converted Lead is its
  converted contact; a Contact without an AccountId is placed by its email's domain the same way;
* a Task's or CampaignMember's person is the contact its WhoId / LeadId became;
* a CampaignMember is a `campaign_response` at its first-responded date, else a `campaign_member` at
  its creation, with its campaign's name and type;
* `closed_at` is CloseDate only when the deal is closed; without IsClosed / IsWon columns, the mapping's
  `stages` decide;
* without a User export, the owners are reps named by the `Owner.Name` the Account and Opportunity exports
  carry, where they carry it.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from whynow.crm.checks import require
from whynow.crm.formats import sf_id18_expr
from whynow.crm.importer import Importer
from whynow.crm.mapping import ObjectSpec
from whynow.crm.read import Frame, expect_file, read_csv, read_tree
from whynow.crm.report import ImportReport
from whynow.crm.rules import close_deals, only_written_people, person_of, place, union, written
from whynow.crm.shape import shape
from whynow.crm.write import write
from whynow.data.backends import keep
from whynow.errors import DataError
from whynow.options import FileFormat

OBJECTS: dict[str, ObjectSpec] = {
    "Account": ObjectSpec("accounts", {"owner_name": "text"}, "accounts"),
    "Contact": ObjectSpec("contacts", {}, "contacts"),
    "Lead": ObjectSpec(
        "contacts",
        {"company": "text", "is_converted": "boolean", "converted_contact_id": "text"},
        "contacts, placed at an account",
    ),
    "Opportunity": ObjectSpec("opportunities", {"owner_name": "text"}, "opportunities"),
    "Task": ObjectSpec("activities", {}, "activities"),
    "Event": ObjectSpec("activities", {}, "activities"),
    "Campaign": ObjectSpec(None, {"campaign_id": "text", "name": "text", "channel": "text"}, "campaign names"),
    "CampaignMember": ObjectSpec("activities", {"responded": "boolean", "campaign_id": "text"}, "activities"),
    "User": ObjectSpec("reps", {}, "reps"),
}
_ACTIVITY_OBJECTS = ("Task", "Event", "CampaignMember")


def import_salesforce(
    folder: Path, out: Path, mapping_file: Path | None = None, fmt: FileFormat = "csv", strict: bool = False
) -> ImportReport:
    """Import a Salesforce export folder into `out`; the report says what was read, written and set aside."""
    imp = start(folder, mapping_file)
    frames = _find(imp, folder)
    if "Account" not in frames:
        raise DataError(
            f"{folder} holds no Salesforce Account export (Account.csv, or sObject-tree JSON with Account records); "
            "whynow needs the accounts"
        )
    return import_frames(imp, frames, out, fmt, strict)


def start(folder: Path, mapping_file: Path | None) -> Importer:
    """A Salesforce import: the built-in mapping with the user's laid over it, 15-character ids read as 18."""
    return Importer.start("salesforce", folder, OBJECTS, mapping_file, ids=sf_id18_expr, deleted=("IsDeleted",))


def import_frames(imp: Importer, frames: dict[str, Frame], out: Path, fmt: FileFormat, strict: bool) -> ImportReport:
    """The objects read (from export files, or through the API) shaped, placed and written into `out`."""
    accounts = _accounts(imp, frames["Account"])
    tables: dict[str, ir.Table] = {"accounts": written(accounts, OBJECTS["Account"])}
    people = _people(imp, frames, accounts)
    if people is not None:
        tables["contacts"], persons = people
    else:
        persons = None
    campaigns = shape(imp, frames["Campaign"], "campaign_id") if "Campaign" in frames else None
    contacts = tables.get("contacts")
    activities = [
        _activities(imp, frames[obj], persons, campaigns, contacts) for obj in _ACTIVITY_OBJECTS if obj in frames
    ]
    if activities:
        tables["activities"] = union("activities", activities)
    owned = [accounts]
    if "Opportunity" in frames:
        owned.append(_opportunities(imp, frames["Opportunity"]))
        tables["opportunities"] = written(owned[-1], OBJECTS["Opportunity"])
    if "User" in frames:
        frame = frames["User"]
        tables["reps"] = require(imp, shape(imp, frame, "rep_id"), frame, ["rep_id"])
    else:
        reps = _named_owners(imp, owned)
        if reps is not None:
            tables["reps"] = reps
    write(imp, tables, out, fmt, strict)
    return imp.report


def _find(imp: Importer, folder: Path) -> dict[str, Frame]:
    """The export's files by object: `<Object>.csv` in any letter case, and sObject-tree JSON files."""
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; give the folder that holds the Salesforce export files")
    known = {name.lower(): name for name in OBJECTS}
    frames: dict[str, Frame] = {}
    for path in sorted(folder.iterdir()):
        found: list[Frame] = []
        if path.suffix.lower() == ".csv" and path.stem.lower() in known:
            found = [read_csv(imp, path, known[path.stem.lower()])]
        elif path.suffix.lower() == ".json" and _is_tree(path):
            tree = read_tree(imp, path)
            if not tree:
                imp.report.not_read.append(f"{path.name} (no records)")
            for frame in tree:
                if frame.object in OBJECTS:
                    found.append(frame)
                else:
                    imp.report.not_read.append(f"{path.name} ({frame.object} records)")
        elif path.is_file():
            tree_like = path.suffix.lower() == ".json"
            imp.report.not_read.append(f"{path.name} (not an sObject tree)" if tree_like else path.name)
        for frame in found:
            if frame.object in frames:
                raise DataError(
                    f"{folder}: both {frames[frame.object].file} and {frame.file} hold {frame.object} records; keep one"
                )
            frames[frame.object] = frame
    if not frames:
        raise DataError(
            f"{folder} holds no Salesforce export: name the CSV files after the objects (Account.csv, Contact.csv, "
            f"Lead.csv …) or give `sf data export tree` JSON"
        )
    return frames


def _is_tree(path: Path) -> bool:
    """sObject-tree JSON is an object with records; a plan file (`data-plan.json`) is a list."""
    expect_file(path, "every .json file of a Salesforce export is read as sObject-tree JSON")
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        start = handle.read(4096).lstrip()
    return start.startswith("{")


def _accounts(imp: Importer, frame: Frame) -> ir.Table:
    """The accounts, with their owner's name (`owner_name`, not written) for `_named_owners`."""
    shaped = shape(imp, frame, "account_id")
    return require(imp, shaped, frame, ["account_id", "name"])


def _named_owners(imp: Importer, owned: list[ir.Table]) -> ir.Table | None:
    """Without a User export: the owners of accounts and deals as reps, named by the `Owner.Name` the exports
    carry (None where they carry no name: the reps are the bare user ids, as before). The report says how
    many owners have no name, and what to add to the export."""
    pairs = ibis.union(*[t.select(rep_id=t.owner_id, name=t.owner_name) for t in owned])
    pairs = pairs.filter(pairs.rep_id.notnull())
    reps = keep(pairs.group_by("rep_id").aggregate(name=pairs.name.max()))
    counts = reps.aggregate(owners=reps.count(), unnamed=reps.name.isnull().sum()).to_pyarrow().to_pylist()[0]
    owners, unnamed = int(counts["owners"]), int(counts["unnamed"] or 0)
    if unnamed:
        imp.report.notes.append(
            f"{unnamed} of {owners} owners are known only by their Salesforce user id: add User.csv (Id, Name, "
            "Email) to the export, or an Owner.Name column to Account.csv, to show the reps by name"
        )
    return union("reps", [reps]) if unnamed < owners else None


def _people(imp: Importer, frames: dict[str, Frame], accounts: ir.Table) -> tuple[ir.Table, ir.Table] | None:
    """Contacts and placed leads as `contacts`, and `persons`: every Contact or Lead id → the contact_id it
    became (NULL for an unplaced lead), for activities that name a person."""
    parts: list[ir.Table] = []
    persons: list[ir.Table] = []
    contact_ids: ir.Table | None = None
    if "Contact" in frames:
        frame = frames["Contact"]
        contacts = require(imp, shape(imp, frame, "contact_id"), frame, ["contact_id"])
        placed = place(contacts, accounts, by_company=False)
        persons.append(person_of(placed))
        contacts = require(
            imp, placed, frame, ["account_id"], reason="no AccountId, and no account has the domain of its Email"
        )
        parts.append(contacts)
        contact_ids = contacts.select("contact_id")
    if "Lead" in frames:
        frame = frames["Lead"]
        leads = require(imp, shape(imp, frame, "contact_id"), frame, ["contact_id"])
        converted = leads.is_converted.fill_null(False) | leads.converted_contact_id.notnull()
        if contact_ids is not None:
            known = contact_ids.select(converted_to=contact_ids.contact_id)
            done = leads.filter(converted).left_join(known, leads.converted_contact_id == known.converted_to)
            lost = int(done.filter(done.converted_to.isnull()).count().to_pyarrow().as_py())
            became = int(done.filter(done.converted_to.notnull()).count().to_pyarrow().as_py())
            imp.merged("Lead", frame.file, "converted: the contact it became is written instead", became)
            imp.unplaced(
                "Lead",
                frame.file,
                "converted, but its contact was not written (not in the Contact export, or not placed)",
                lost,
            )
            persons.append(done.select(person_id=done.contact_id, contact_id=done.converted_to))
        else:
            lost = int(leads.filter(converted).count().to_pyarrow().as_py())
            imp.unplaced("Lead", frame.file, "converted, but the export has no Contact file", lost)
        open_leads = leads.filter(~converted)
        placed = place(open_leads, accounts, by_company=True, ids_of=sf_id18_expr)
        persons.append(person_of(placed))
        placed = require(
            imp,
            placed,
            frame,
            ["account_id"],
            reason="no account has the domain of its Email or the name in its Company",
        )
        parts.append(placed)
    if not parts:
        return None
    return keep(union("contacts", [written(p, OBJECTS["Lead"]) for p in parts])), keep(ibis.union(*persons))


def _activities(
    imp: Importer, frame: Frame, persons: ir.Table | None, campaigns: ir.Table | None, contacts: ir.Table | None
) -> ir.Table:
    obj = frame.object
    shaped = require(imp, shape(imp, frame, "activity_id"), frame, ["activity_id", "occurred_at"])
    if obj == "CampaignMember":
        shaped = _campaign_members(shaped, campaigns)
    if persons is not None:
        who = persons.select(person_id=persons.person_id, placed_as=persons.contact_id, found=ibis.literal(True))
        joined = shaped.left_join(who, shaped.contact_id == who.person_id)
        shaped = joined.mutate(contact_id=ibis.ifelse(joined.found.notnull(), joined.placed_as, joined.contact_id))
        shaped = keep(shaped.drop("person_id", "placed_as", "found"))
    shaped = only_written_people(imp, shaped, frame, contacts)
    shaped = shaped.mutate(_either=ibis.coalesce(shaped.contact_id, shaped.account_id))
    kept = require(imp, shaped, frame, ["_either"], reason="its person was not placed and it names no account")
    return written(kept.drop("_either"), OBJECTS[obj])


def _campaign_members(members: ir.Table, campaigns: ir.Table | None) -> ir.Table:
    members = members.mutate(type=ibis.ifelse(members.responded, "campaign_response", "campaign_member"))
    if campaigns is None:
        return members.mutate(campaign=members.campaign_id, channel=ibis.null(dt.string))
    names = campaigns.select(
        key=campaigns.campaign_id, campaign_name=campaigns.name, campaign_channel=campaigns.channel
    )
    joined = members.left_join(names, members.campaign_id == names.key)
    return joined.mutate(
        campaign=ibis.coalesce(joined.campaign_name, joined.campaign_id), channel=joined.campaign_channel
    ).drop("key", "campaign_name", "campaign_channel")


def _opportunities(imp: Importer, frame: Frame) -> ir.Table:
    """The deals, with their owner's name (`owner_name`, not written) for `_named_owners`."""
    deals = require(imp, shape(imp, frame, "opportunity_id"), frame, ["opportunity_id", "account_id", "created_at"])
    return close_deals(imp, frame, deals)
