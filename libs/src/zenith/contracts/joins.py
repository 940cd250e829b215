"""Joining the network (served by ``network``): join requests and their review.

A stranger fills in the public join form; the web service hands it to
:data:`JOIN_SUBMIT` with the client's address, and the network service
stores a :class:`JoinRequest` in :data:`JOIN_REQUESTS` (its only writer).
Submissions are limited per address (``network_join_max_per_address`` in
``network_join_window_s``); the address itself is kept only as a keyed hash.

An administrator reviews the pending requests (:data:`JOIN_LIST`) and
approves one (:data:`JOIN_APPROVE`: the network service asks auth for the
owner's account with a generated one-time password and for the camera's
upload key, and registers the camera) or rejects it with a reason
(:data:`JOIN_REJECT`). The password and key are in the reply only, shown
once; with SMTP configured the requester gets an email, which holds the
key only when the administrator asks for it (``email_key``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from zenith.contracts.base import Collection, Endpoint, Message
from zenith.contracts.common import StoredTime
from zenith.contracts.network import DisplayCode, Location, Username
from zenith.ids import CameraId

SERVICE = "network"
OWNER_ROLE = "owner"
"""The role of the account made for an approved request."""

JoinId = Annotated[str, Field(pattern=r"^j[a-z0-9]{1,40}$")]
JoinStatus = Literal["pending", "approved", "rejected"]
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # line breaks allowed, other controls not


def _email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or domain.startswith(".") \
            or domain.endswith(".") or any(c.isspace() for c in value):
        raise ValueError("not an email address such as name@example.org")
    return value


def _link(value: str) -> str:
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValueError("a link must start with http:// or https://")
    return value


Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^\x00-\x1f<>]*$"),
                  AfterValidator(_email)]
Link = Annotated[str, Field(max_length=300, pattern=r"^[^\x00-\x20<>\"']*$"),
                 AfterValidator(_link)]
PersonName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f<>]*$")]
Place = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f<>]*$")]
Notes = Annotated[str, Field(max_length=2000, pattern=_TEXT)]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=_TEXT)]


class JoinForm(Message):
    """What the public join form asks."""

    name: PersonName
    email: Email
    location: Place = Field(description="Where the camera is (town, region, country).")
    link: Link = Field("", description="Optional: a website about the camera (http(s)).")
    notes: Notes = ""


class JoinSubmit(JoinForm):
    client_ip: str = Field(..., min_length=1, max_length=64, description="Set by the web "
                           "service: submissions are limited per address.")


class JoinRequest(Message):
    """A document of :data:`JOIN_REQUESTS` (``_id`` = ``id``)."""

    id: JoinId
    name: PersonName
    email: Email
    location: Place
    link: Link = ""
    notes: Notes = ""
    status: JoinStatus = "pending"
    created_at: StoredTime
    client: str = Field("", description="Keyed hash of the submitting address (rate limit).")
    decided_at: StoredTime | None = None
    decided_by: Username | None = None
    reason: str = Field("", description="Why it was rejected.")
    username: Username | None = Field(None, description="The owner account made on approval.")
    camera: CameraId | None = Field(None, description="The camera registered on approval.")
    emailed: bool = Field(False, description="The requester was told by email.")


class JoinReceived(Message):
    id: JoinId
    created_at: datetime


class JoinQuery(Message):
    status: JoinStatus | None = Field(None, description="Only requests in this state.")
    limit: int = Field(200, ge=1, le=1000)


class JoinList(Message):
    requests: list[JoinRequest] = Field(description="Newest first.")


class JoinRef(Message):
    id: JoinId


class JoinApprove(Message):
    id: JoinId
    username: Username = Field(..., description="The new owner's login name.")
    camera: CameraId = Field(..., description="Id of the camera to register.")
    camera_name: Annotated[str, Field(min_length=1, max_length=64,
                                      pattern=r"^[^\x00-\x1f<>]*$")]
    code: DisplayCode | None = Field(None, description="Omitted: the next free code.")
    location: Location
    email_key: bool = Field(False, description="Also email the camera's key (off: the "
                            "administrator hands it over another way).")


class JoinApproved(Message):
    request: JoinRequest
    username: Username
    password: str = Field(description="The owner's one-time password: shown once.")
    camera: CameraId
    code: DisplayCode
    key: str = Field(description="The camera's upload key: shown once.")
    emailed: bool = Field(description="An email went to the requester.")


class JoinReject(Message):
    id: JoinId
    reason: Reason


JOIN_REQUESTS = Collection("network_join_requests", SERVICE, JoinRequest,
                           "Requests to join the network from the public form, by id.",
                           indexes=(("status", "created_at"), ("client", "created_at")))

_USERS_READ, _USERS_CREATE, _USERS_UPDATE = ("users", "read"), ("users", "create"), \
    ("users", "update")

JOIN_SUBMIT = Endpoint(service=SERVICE, name="join-submit", subject="zenith.network.joins.submit",
                       request=JoinSubmit, reply=JoinReceived,
                       summary="Store a join request from the public form (limited per "
                       "address).", errors=("too_many_requests",))
JOIN_LIST = Endpoint(service=SERVICE, name="join-list", subject="zenith.network.joins.list",
                     request=JoinQuery, reply=JoinList, permission=_USERS_READ,
                     summary="Join requests, newest first.")
JOIN_GET = Endpoint(service=SERVICE, name="join-get", subject="zenith.network.joins.get",
                    request=JoinRef, reply=JoinRequest, permission=_USERS_READ,
                    summary="One join request.", errors=("join_not_found",))
JOIN_APPROVE = Endpoint(service=SERVICE, name="join-approve",
                        subject="zenith.network.joins.approve", request=JoinApprove,
                        reply=JoinApproved, permission=_USERS_CREATE,
                        summary="Approve a pending request: the owner account (one-time "
                        "password), the camera and its key, shown once; email if configured.",
                        errors=("join_not_found", "join_decided", "user_exists",
                                "camera_exists", "code_taken"))
JOIN_REJECT = Endpoint(service=SERVICE, name="join-reject", subject="zenith.network.joins.reject",
                       request=JoinReject, reply=JoinRequest, permission=_USERS_UPDATE,
                       summary="Reject a pending request, saying why; email if configured.",
                       errors=("join_not_found", "join_decided"))
