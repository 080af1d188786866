"""The alert outbox (SPEC §7): what a run has to tell reps, written in the run's own transaction.

    outbox(model, outputs) -> pa.Table    one pending alert per alert-worthy change and channel

An alert's key is (channel, entity, change kind, badge, badge_since): one alert per change of a badge
episode, so a re-run of an as-of date, which logs the same changes again, adds no alert (the store
inserts only keys it does not hold). A re-engagement (SPEC §4.5: a `status_changed` entry with reason
`reengaged`) alerts as the change `reengaged` whether or not the contact holds a badge; its episode is
its sales-ready stretch, so its key ends with the contact's `status_since` instead of badge_since.
The alert carries its message's content as versioned JSON (`payload`: the narrative, the badge and its
facts, the account's call list, the top evidence, links), never a secret: the channels' URLs and tokens
stay in the model's environment.

Channels are on when configured (`Alerts.turned_on`).
Delivery (`whynow alerts send`) reads pending alerts from the store.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any, get_args

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from whynow.links import account_path, crm_url, link_columns
from whynow.model.check import CompiledModel
from whynow.model.links import Level
from whynow.options import AlertStatus
from whynow.store import Store

PAYLOAD_VERSION = 1
EVIDENCE_SHOWN = 3
STATUSES: tuple[AlertStatus, ...] = get_args(AlertStatus)
SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("channel", pa.string()),
        ("as_of", pa.date32()),
        ("run_id", pa.string()),
        ("entity_type", pa.string()),
        ("entity_id", pa.string()),
        ("change", pa.string()),
        ("badge", pa.string()),
        ("badge_since", pa.date32()),
        ("rep_id", pa.string()),
        ("status", pa.string()),
        ("attempts", pa.int64()),
        ("last_error", pa.string()),
        ("next_try", pa.timestamp("us", tz="UTC")),
        ("sent_at", pa.timestamp("us", tz="UTC")),
        ("message_id", pa.string()),
        ("digest", pa.string()),  # alerts sharing a digest key go out as one message (NULL: on their own)
        ("payload", pa.string()),
        ("status_since", pa.date32()),  # a `reengaged` alert's episode: the first day of its mql/sql stretch
    ]
)

# One row per logged change that may alert, with what its message says. Accounts: the account's own
# status. Contacts: the contact's status, its account's narrative as context, and its account's owner as
# the recipient. A badge change alerts for an entity holding a badge; a re-engagement (SPEC §4.5) for the
# contact, badge or not, as the change `reengaged` with its old and new lead status.
_ALERTS_SQL = """
WITH entities AS (
    SELECT 'account' AS entity_type, account_id AS entity_id, account_id, name AS entity_name, name AS account_name,
           badge, archetype, badge_label, motion, play, why, why AS account_why, badge_since, badge_expires_on,
           fit_grade, stage, coalesce(route_to, owner_id) AS rep_id, NULL::DATE AS status_since
    FROM account_status
    UNION ALL
    SELECT 'contact', c.contact_id, c.account_id, c.name, a.name,
           c.badge, c.archetype, NULL, NULL, NULL, c.why, a.why, c.badge_since, c.badge_expires_on,
           c.fit_grade, a.stage, a.owner_id, c.status_since
    FROM contact_status c LEFT JOIN account_status a ON a.account_id = c.account_id
),
alerting AS (
    SELECT run_id, as_of, entity_type, entity_id, change, NULL AS old, NULL AS new FROM changes
    WHERE change IN ('surfaced', 'badge_assigned', 'badge_replaced', 'held')
    UNION ALL
    SELECT run_id, as_of, entity_type, entity_id, 'reengaged', old, new FROM changes
    WHERE change = 'status_changed' AND reason = 'reengaged' AND entity_type = 'contact'
)
SELECT ch.run_id, ch.as_of, ch.entity_type, ch.entity_id, ch.change, ch.old, ch.new,
       e.* EXCLUDE (entity_type, entity_id)
FROM alerting ch JOIN entities e ON e.entity_type = ch.entity_type AND e.entity_id = ch.entity_id
WHERE e.badge IS NOT NULL OR ch.change = 'reengaged'
ORDER BY ch.entity_type, ch.entity_id, ch.change
"""


def outbox(
    model: CompiledModel,
    outputs: Mapping[str, pa.Table],
    first_run: bool = False,
    wanted: Mapping[str, list[str]] | None = None,
) -> pa.Table:
    """One pending alert per change that a channel alerts on: a badge or queue change of an entity that holds a
    badge, or a contact's re-engagement.

    No floods: on the first run of a history, and on Slack with `digest: true`, a channel's alerts to
    one rep share a digest key and go out as one message. `wanted` stands in for the model's channels
    (a dry run)."""
    wanted = model.spec.alerts.turned_on() if wanted is None else wanted
    slack = model.spec.alerts.slack
    digests = {c for c in wanted if first_run or (c == "slack" and slack is not None and slack.digest)}
    if not wanted:
        return SCHEMA.empty_table()
    con = duckdb.connect()
    try:
        for name in ("account_status", "contact_status", "changes", "evidence"):
            con.register(name, outputs[name])
        found = con.execute(_ALERTS_SQL).to_arrow_table().to_pylist()
        evidence = _evidence(con)
        accounts = {str(a["account_id"]) for a in found if a["account_id"] is not None}
        calls = _call_lists(outputs, accounts)
        contacts = {str(a["entity_id"]) for a in found if a["entity_type"] == "contact"}
        contacts |= {str(c["contact_id"]) for people in calls.values() for c in people}
        pages = {
            "account": _crm_urls(con, model, "account", accounts),
            "contact": _crm_urls(con, model, "contact", contacts),
        }
    finally:
        con.close()
    rows: list[dict[str, Any]] = []
    for alert in found:  # one per alert-worthy change: bounded by the reps' capacity, not by the data
        for channel, kinds in wanted.items():
            if alert["change"] not in kinds:
                continue
            digest = f"{channel}|digest|{alert['rep_id'] or ''}|{alert['as_of']}"  # one per rep and run
            since = alert["status_since"] if alert["change"] == "reengaged" else alert["badge_since"]
            key = "|".join(
                [channel, alert["entity_type"], alert["entity_id"], alert["change"], alert["badge"] or "",
                 since.isoformat() if since else ""]
            )  # fmt: skip
            rows.append(
                {
                    "key": key,
                    "channel": channel,
                    **{c: alert[c] for c in ("as_of", "run_id", "entity_type", "entity_id", "change", "badge")},
                    "badge_since": alert["badge_since"],
                    "rep_id": alert["rep_id"],
                    "status": "pending",
                    "attempts": 0,
                    "digest": digest if channel in digests else None,
                    "payload": json.dumps(_payload(model, alert, evidence, calls, pages), default=str, sort_keys=True),
                    "status_since": alert["status_since"] if alert["change"] == "reengaged" else None,
                }
            )
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def dry_run_lines(model: CompiledModel, outputs: Mapping[str, pa.Table], shown: int = 5) -> list[str]:
    """What a run would send on Slack (`on: [surfaced]`) when no channel is on: the rep and the text."""
    from whynow.alerts.slack import message

    alerts = outbox(model, outputs, wanted={"slack": ["surfaced"]}).to_pylist()
    if not alerts:
        return ["Alerts: no channel is on, and this run surfaced no new badged account."]
    lines = [
        f"Alerts (a dry run: no channel is on; set WHYNOW_SLACK_WEBHOOK to send): {len(alerts)} would go out, "
        f"{min(shown, len(alerts))} shown:"
    ]
    for alert in alerts[:shown]:
        text, _ = message(json.loads(alert["payload"]))
        lines.append(f"  → {alert['rep_id'] or 'the channel'}: {html.unescape(text)}")  # a terminal, not Slack
    return lines


def alert_lines(store: Store, status: str | None = None) -> list[str]:
    """The outbox as lines: counts per state, then one line per alert, newest run first."""
    rows = store.alerts(status)
    if not rows:
        return [f"No alerts{' ' + status if status else ''} in {store.name}."]
    counts = Counter(str(r["status"]) for r in rows)
    lines = [", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])]
    for r in rows:
        tried = f"  tried {r['attempts']}×" if r["attempts"] else ""
        error = f"  {r['last_error']}" if r["last_error"] else ""
        episode = (
            f"{r['badge'] or 'no badge'}, sales-ready since {r.get('status_since')}"
            if r["change"] == "reengaged"
            else f"{r['badge']} (since {r['badge_since']})"
        )
        lines.append(
            f"{r['as_of']}  {r['status']:<8} {r['channel']:<8} {r['entity_type']} {r['entity_id']}  {r['change']}  "
            f"{episode}  → {r['rep_id'] or 'channel'}{tried}{error}"
        )
    return lines


def _evidence(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The top source rows of each badged entity's evidence, newest first (the run's own order)."""
    rows = con.execute(
        "SELECT entity_type, entity_id, signal, source_table, source_id, occurred_at FROM evidence "
        "WHERE value IS NULL QUALIFY row_number() OVER (PARTITION BY entity_type, entity_id "
        "ORDER BY occurred_at DESC NULLS FIRST, source_id DESC) <= ?",
        [EVIDENCE_SHOWN],
    ).to_arrow_table()
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows.to_pylist():
        found.setdefault((row.pop("entity_type"), row.pop("entity_id")), []).append(row)
    return found


def _call_lists(outputs: Mapping[str, pa.Table], accounts: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The call list (SPEC §4.11) of each alerting account, in rank order: the run's `call_list` rows, less
    their as_of and account_id (the alert says both); none for an account without one (`call_list: 0`)."""
    table = outputs.get("call_list")
    if table is None or not accounts or not table.num_rows:
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for row in table.filter(pc.is_in(table["account_id"], pa.array(sorted(accounts)))).to_pylist():
        found.setdefault(str(row.pop("account_id")), []).append({k: v for k, v in row.items() if k != "as_of"})
    for people in found.values():
        people.sort(key=lambda c: int(c["rank"]))
    return found


def _crm_urls(
    con: duckdb.DuckDBPyConnection, model: CompiledModel, level: Level, ids: set[str]
) -> dict[str, str | None]:
    """Each record's CRM page (SPEC §7: with `links`, a button to it), filled from its own status row."""
    columns = link_columns(model, level)
    if not columns or not ids:
        return {}
    key = f"{level}_id"
    selected = [exp.column(exp.to_identifier(c, quoted=True)) for c in dict.fromkeys([key, *columns])]
    ids_given = sqlglot.select(exp.Unnest(expressions=[exp.Placeholder()]))  # the ids: one list parameter
    sql = sqlglot.select(*selected).from_(f"{level}_status").where(exp.column(key).isin(query=ids_given))
    rows = con.execute(sql.sql(dialect="duckdb"), [sorted(ids)]).to_arrow_table()
    return {str(row[key]): crm_url(model, level, row) for row in rows.to_pylist()}


def _payload(
    model: CompiledModel,
    alert: Mapping[str, Any],
    evidence: Mapping[tuple[str, str], Any],
    calls: Mapping[str, list[dict[str, Any]]],
    pages: Mapping[str, Mapping[str, str | None]],
) -> dict[str, Any]:
    """The alert's content, as the webhook sends it and Slack's message shows it (version 1: fields are only
    ever added). `crm_url`s are the CRM pages of the account, the entity and each person to call (SPEC §5),
    null without `links`. `call_list` is the account's who to call (SPEC §4.11), the run's rows as they are;
    `account.why` the account's own narrative, the context of a contact's alert. `status` is a re-engagement's
    lead status move ({old, new, since}); its `badge` fields are null when the contact holds no badge."""
    link = model.spec.alerts.link.rstrip("/")
    account_page = pages["account"].get(str(alert["account_id"]))
    entity_page = pages[alert["entity_type"]].get(str(alert["entity_id"]))
    definition = next((d for d in model.spec.badges.definitions if d.id == alert["badge"]), None)
    archetype = alert["archetype"] or (definition.archetype if definition else None)
    return {
        "version": PAYLOAD_VERSION,
        "as_of": alert["as_of"],
        "change": alert["change"],
        "entity": {
            "type": alert["entity_type"],
            "id": alert["entity_id"],
            "name": alert["entity_name"],
            "crm_url": entity_page,
        },
        "account": {
            "id": alert["account_id"],
            "name": alert["account_name"],
            "crm_url": account_page,
            "why": alert["account_why"],
        },
        "rep_id": alert["rep_id"],
        "why": alert["why"],
        "badge": {
            "id": alert["badge"],
            "label": alert["badge_label"] or (definition.label if definition else None),
            "archetype": archetype,
            "motion": alert["motion"] or (model.spec.badges.motions.get(archetype) if archetype else None),
            "play": alert["play"] or (definition.play if definition else None),
            "since": alert["badge_since"],
            "expires_on": alert["badge_expires_on"],
        },
        "fit_grade": alert["fit_grade"],
        "stage": alert["stage"],
        "call_list": [
            {**person, "crm_url": pages["contact"].get(str(person["contact_id"]))}
            for person in calls.get(str(alert["account_id"]), [])
        ],
        "evidence": evidence.get((alert["entity_type"], alert["entity_id"]), []),
        "link": link + account_path(str(alert["account_id"])),  # an id may hold / | > ..
        "crm_url": account_page,  # the account's CRM page, beside `link` (its whynow page)
        "status": (  # a re-engagement's lead status move (SPEC §4.5); null for a badge or queue change
            {"old": alert["old"], "new": alert["new"], "since": alert["status_since"]}
            if alert["change"] == "reengaged"
            else None
        ),
    }
