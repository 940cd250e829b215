"""Contracts of the web service's own bus endpoints."""

from __future__ import annotations

from zenith.contracts.base import Empty, Endpoint, Message


class WebInfo(Message):
    url: str
    version: str


WEB_INFO = Endpoint(
    service="web", name="info", subject="zenith.web.info",
    request=Empty, reply=WebInfo,
    summary="Where the web service listens and which version it runs.",
)
