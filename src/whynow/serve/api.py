"""The JSON API under `/api` (SPEC §8): the query layer's objects as they are, with their schema in
`/api/openapi.json`. The pages (`pages.py`) show the same objects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from whynow.serve import query, schemas
from whynow.serve import queues as queue_reads
from whynow.store import Store

router = APIRouter(prefix="/api", tags=["api"])


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


@router.get("/runs", response_model=schemas.Runs, summary="Every run, newest first, with its row counts")
def runs(request: Request) -> schemas.Runs:
    with query.reading(store_of(request)) as r:
        return query.runs(r)


@router.get("/overview", response_model=schemas.Overview, summary="Pipeline by badge × motion, funnel, teams")
def overview(request: Request, q: Annotated[schemas.AsOfQuery, Query()]) -> schemas.Overview:
    with query.reading(store_of(request)) as r:
        return query.overview(r, q.as_of)


@router.get("/accounts", response_model=schemas.AccountPage, summary="Accounts, filtered, sorted and paged")
def accounts(request: Request, f: Annotated[schemas.AccountFilter, Query()]) -> schemas.AccountPage:
    with query.reading(store_of(request)) as r:
        return query.accounts(r, f)


@router.get("/accounts/{account_id:path}", response_model=schemas.AccountDetail, summary="One account's story")
def account(request: Request, account_id: str, q: Annotated[schemas.AccountQuery, Query()]) -> schemas.AccountDetail:
    with query.reading(store_of(request)) as r:
        return query.account(r, account_id, q)


@router.get("/queues", response_model=schemas.Queues, summary="Each rep's surfaced and held accounts")
def queues(request: Request, f: Annotated[schemas.QueueFilter, Query()]) -> schemas.Queues:
    with query.reading(store_of(request)) as r:
        return queue_reads.queues(r, f)


@router.get("/changes", response_model=schemas.ChangePage, summary="The change log, newest first, paged")
def changes(request: Request, f: Annotated[schemas.ChangeFilter, Query()]) -> schemas.ChangePage:
    with query.reading(store_of(request)) as r:
        return query.changes(r, f)


@router.get("/model", response_model=schemas.ModelView, summary="The model in plain language, versions, diff")
def model(request: Request, q: Annotated[schemas.ModelQuery, Query()]) -> schemas.ModelView:
    with query.reading(store_of(request)) as r:
        return query.model(r, q)


@router.get("/backtests", response_model=schemas.Backtests, summary="The backtests recorded in the store")
def backtests(request: Request) -> schemas.Backtests:
    with query.reading(store_of(request)) as r:
        return query.backtests(r)


@router.get("/backtests/{backtest_id}", response_model=schemas.BacktestView, summary="One backtest's figures")
def backtest(request: Request, backtest_id: str) -> schemas.BacktestView:
    with query.reading(store_of(request)) as r:
        return query.backtest(r, backtest_id)
