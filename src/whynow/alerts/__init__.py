"""Alerts (SPEC §7): the outbox a run writes in its transaction, and its delivery.

    outbox.py   the alert-worthy changes of a run as outbox rows (keys, digests, payloads); dry runs
    deliver.py  sending what is due, recording each outcome as it is known
    slack.py    Slack: an incoming webhook, or a bot that DMs the rep
    webhook.py  any HTTP endpoint: versioned JSON, signed
    channel.py  what every channel shares: its outcome, its timeout, the check of its URL

httpx and slack_sdk load only when something is sent.
"""
