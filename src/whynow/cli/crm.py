"""`whynow push` and `whynow import` (SPEC §11, §12): results into the CRM, and the CRM's data in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from whynow.cli.shell import (
    LOG,
    LOG_FORMAT_HELP,
    STORE_HELP,
    LogFormat,
    app,
    model_or_last,
    out,
    parse_date,
    reports_user_errors,
)
from whynow.crm import Crm
from whynow.errors import UsageError
from whynow.options import FileFormat

if TYPE_CHECKING:
    from whynow.crm.push.push import Sender
    from whynow.model.check import CompiledModel
    from whynow.store import Store


@app.command(name="push")
@reports_user_errors
def push_command(
    crm: Annotated[Crm, typer.Argument(help="The CRM to write into: salesforce or hubspot.", show_default=False)],
    model: Annotated[
        Path | None,
        typer.Option(
            envvar="WHYNOW_MODEL",
            help="The model file (YAML), with its push: section (default: the model of the store's last run).",
        ),
    ] = None,
    store: Annotated[str, typer.Option(envvar="WHYNOW_STORE", help=STORE_HELP)] = "whynow.duckdb",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count and sample what would be sent; send nothing.")
    ] = False,
    full: Annotated[bool, typer.Option("--full", help="Send every record, changed or not.")] = False,
    print_mapping: Annotated[
        bool, typer.Option("--print-mapping", help="Print the default mapping as a push: section and exit.")
    ] = False,
    print_fields: Annotated[
        bool, typer.Option("--print-fields", help="Print the custom fields the mapping needs and exit.")
    ] = False,
    log_format: Annotated[LogFormat, typer.Option(envvar="WHYNOW_LOG_FORMAT", help=LOG_FORMAT_HELP)] = "text",
) -> None:
    """Write the latest run's badges, narratives and who to call onto the CRM's records: only the
    records whose values changed since the CRM last confirmed them."""
    from whynow.crm.push.mapping import fields_to_create
    from whynow.crm.push.mapping import print_mapping as default_mapping

    LOG.start("push", log_format)
    if print_mapping:
        out.print(default_mapping(crm), markup=False)
        return
    from whynow.store import Store

    where = Store(store)
    compiled = model_or_last(where, model, "nothing to push")
    if print_fields:
        out.print(fields_to_create(compiled, crm), markup=False)
        return
    push_results(compiled, where, crm, full=full, dry_run=dry_run)


def push_results(model: CompiledModel, store: Store, crm: Crm, full: bool = False, dry_run: bool = False) -> None:
    """Push the store's latest run into `crm` and print the report; a push the CRM stopped is an error."""
    from whynow.crm.push.push import push
    from whynow.crm.push.transport import Unreachable

    report = push(model, store, crm, None if dry_run else sender(model, crm), full=full, dry_run=dry_run)
    if LOG.json:
        objects = {
            name: {k: v for k, v in vars(done).items() if k != "samples"} for name, done in report.objects.items()
        }
        LOG.event("push", crm=crm, as_of=report.as_of, sent=report.sent, objects=objects, stopped=report.stopped)
    else:
        for line in report.lines():
            out.print(line, markup=False, highlight=False)
    if report.stopped:
        raise Unreachable(f"the push into {crm} stopped: {report.stopped}")


def pushable(model: CompiledModel, crm: Crm) -> Any:
    """The model's push section for `crm`, its mapping checked; a `UsageError` if it cannot push there."""
    from whynow.crm.push.mapping import mapping_of

    section = getattr(model.spec.push, crm)
    if section is None:
        raise UsageError(f"the model has no push.{crm} section; whynow push {crm} --print-mapping prints one")
    mapping_of(model, crm)
    return section


def sender(model: CompiledModel, crm: Crm) -> Sender:
    """The sender for `crm` from the model's push: section (secrets from the environment, never printed)."""
    section = pushable(model, crm)
    if crm == "hubspot":
        from whynow.crm.push import hubspot

        api = hubspot.client(section.token, section.api_base)
        return lambda level, sent: hubspot.send(api, level, sent)
    from whynow.crm.push import salesforce

    return lambda level, sent: salesforce.send(lambda: salesforce.connect(section), level, sent)


@app.command(name="import")
@reports_user_errors
def import_command(
    crm: Annotated[
        Crm | None, typer.Argument(help="The CRM the export comes from: salesforce or hubspot.", show_default=False)
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Argument(help="The folder of export files, as the CRM wrote them (none with --api).", show_default=False),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="The folder to write the data contract's tables to: `whynow run --data` reads it as is."
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="A mapping file (YAML) laid over the built-in mapping: renames, values, defaults."),
    ] = None,
    file_format: Annotated[FileFormat, typer.Option("--format", help="Format of the written tables.")] = "csv",
    strict: Annotated[bool, typer.Option(help="Fail, writing nothing, if any row cannot be placed.")] = False,
    print_mapping: Annotated[
        bool, typer.Option("--print-mapping", help="Print the built-in mapping (of CRM, or of both) and exit.")
    ] = False,
    api: Annotated[
        bool,
        typer.Option(
            "--api",
            help="Read the CRM through its API instead of export files: Salesforce's Bulk API 2.0 query "
            "(SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN, or SALESFORCE_USERNAME, SALESFORCE_PASSWORD, "
            "SALESFORCE_SECURITY_TOKEN), HubSpot's CRM v3 API (HUBSPOT_TOKEN, HUBSPOT_API_BASE).",
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="With --api: read only the activities and opportunities changed on or after this date "
            "(YYYY-MM-DD); accounts and people are read whole."
        ),
    ] = None,
) -> None:
    """Turn a Salesforce or HubSpot export, or the CRM read through its API (--api), into the data contract's
    tables, with a report of what was read, written, not placed and not mapped."""
    from whynow.crm import CRMS, builtin_mapping, import_api, import_crm, links_block

    if print_mapping:
        for one in [crm] if crm else CRMS:
            out.print(builtin_mapping(one), markup=False)
        return
    if crm is None or (folder is None and not api):
        raise typer.BadParameter("give the CRM and the export folder: whynow import salesforce|hubspot DIR --out SRC")
    if api and folder is not None:
        raise typer.BadParameter(f"--api reads the CRM, not a folder: leave out {folder}", param_hint="--api")
    if since is not None and not api:
        raise typer.BadParameter("--since goes with --api (an export holds what was exported)", param_hint="--since")
    if out_dir is None:
        raise typer.BadParameter("give --out SRC, the folder to write the tables to", param_hint="--out")
    from whynow.report import print_import_report

    if folder is None:
        changed = None if since is None else parse_date(since, "--since")
        report = import_api(crm, out_dir, mapping, file_format, strict, changed)
    else:
        report = import_crm(crm, folder, out_dir, mapping, file_format, strict)
    print_import_report(out, report)
    out.print("\n" + links_block(crm), markup=False)  # SPEC §4.1: "Open in CRM" once pasted into the model
