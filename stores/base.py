"""The store contract: the one place that knows how login state is kept.

Views call ``log_in`` and ``log_out`` and never ask which store is active.
Each store also says where its state lives; from that alone the contract
predicts what happens to a login on a restart, a replacement, a second
instance and a logout. The demo measures those predictions on real
processes, so a declaration here is checked, not trusted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from flask import Flask, Response

    from stores.logins import ActiveLogin
    from webapp.accounts.models import User
    from webapp.settings import Settings


class Place(StrEnum):
    """Where a piece of login state lives, from shortest-lived to longest."""

    PROCESS = "process memory"
    INSTANCE = "instance"
    SHARED = "shared server"
    CLIENT = "client"


#: The CHECKS.md lines a store may declare it cannot hold, in a few words.
CHECK_TITLES = {
    "L1": "logout revokes a copied cookie",
    "L4": "see your logins and end the others",
    "L5": "a request running at logout cannot undo it",
    "R3": "two instances accept each other's cookies",
    "F4": "login attempts counted for all instances",
}


class StoreUnavailable(Exception):
    """The server a store depends on cannot be reached; the request gets a 503."""


@dataclass(frozen=True)
class Residence:
    """Where a store keeps login state, and where its revocation list lives."""

    state: Place
    state_detail: str
    revocation: Place | None = None
    revocation_detail: str = ""
    signed_with_secret_key: bool = False


@dataclass(frozen=True)
class Prediction:
    """What a store expects to happen to a login, derived from its residence.

    Each field answers "is the user still logged in?" for the scenario of the
    same name, except ``logout_revokes`` and ``revocation_survives_replacement``,
    which answer "is a copied cookie refused after logout?".
    """

    restart: bool
    replacement: bool
    second_instance: bool
    logout_revokes: bool
    revocation_survives_replacement: bool
    secret_not_shared: bool

    @classmethod
    def from_residence(cls, residence: Residence) -> Prediction:
        """Predict the six scenarios from where the state lives."""
        state = residence.state
        off_instance = state in (Place.SHARED, Place.CLIENT)
        server_side = state is not Place.CLIENT
        revocation = residence.revocation

        return cls(
            restart=state is not Place.PROCESS,
            replacement=off_instance,
            second_instance=off_instance,
            logout_revokes=server_side or revocation is not None,
            revocation_survives_replacement=server_side or revocation is Place.SHARED,
            secret_not_shared=state is Place.SHARED
            and not residence.signed_with_secret_key,
        )

    def as_dict(self) -> dict[str, bool]:
        """Return the six answers keyed by scenario name."""
        return asdict(self)


@dataclass(frozen=True)
class InspectedCookie:
    """One cookie the browser sent, as the session inspector shows it."""

    name: str
    size: int
    role: str
    decoded: Any = None

    @classmethod
    def of(
        cls, name: str, value: str, role: str, decoded: Any = None
    ) -> InspectedCookie:
        """Describe the cookie ``name=value``, sized as the browser sends it."""
        return cls(name, len(name) + 1 + len(value), role, decoded)


def redis_place(redis_url: str) -> tuple[Place, str]:
    """Say whether a Redis URL points at this instance or at a shared server.

    A Redis reached through ``localhost``, ``127.0.0.1``, ``::1`` or a unix
    socket runs on the same machine as the app, so it is replaced with it.
    Any other address stands for a server that outlives instances.
    """
    parts = urlsplit(redis_url)
    where = f"{parts.hostname or parts.path}:{parts.port or 6379}"
    if parts.scheme == "unix" or parts.hostname in ("localhost", "127.0.0.1", "::1"):
        return Place.INSTANCE, f"Redis on this instance ({where})"
    return Place.SHARED, f"shared Redis at {where}"


class Store(ABC):
    """A way of keeping login state, installed on the app by ``init_app``."""

    #: The value of SESSION_STORE that selects this store.
    name: str = ""
    #: Exceptions that mean a server this store depends on is down (a 503).
    outage_errors: tuple[type[Exception], ...] = ()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def init_app(self, app: Flask) -> None:
        """Install the store on ``app``: session interface, loaders, hooks."""

    @abstractmethod
    def log_in(self, user: User, *, remember: bool, response: Response) -> None:
        """Start a new login for ``user``; ``response`` carries any new cookie."""

    @abstractmethod
    def log_out(self, response: Response) -> None:
        """End the current login, revoking it on the server where possible."""

    @abstractmethod
    def residence(self) -> Residence:
        """Say where this store keeps login state."""

    @abstractmethod
    def inspect_cookie(self, name: str, value: str) -> InspectedCookie | None:
        """Decode one of this store's cookies for the inspector, or return None."""

    def prediction(self) -> Prediction:
        """Predict what happens to a login in each scenario the demo measures."""
        return Prediction.from_residence(self.residence())

    def active_logins(self, user: User) -> list[ActiveLogin] | None:
        """List ``user``'s logins, or return None if this store cannot."""
        return None

    def end_login(self, user: User, login_id: str) -> bool:
        """End one of ``user``'s logins; say whether there was such a login."""
        return False

    def form_fields(self) -> dict[str, str]:
        """Return hidden form fields this store needs on every POST form."""
        return {}

    def cannot_hold(self) -> dict[str, str]:
        """Return the CHECKS.md lines this store cannot hold, with the reason."""
        limits = self.limits()
        if self.settings.redis_url is None:
            limits["F4"] = (
                "REDIS_URL is not set, so login attempts are counted in each"
                " process: a second instance or worker starts its own count."
            )
        return limits

    def limits(self) -> dict[str, str]:
        """Return the checks this store cannot hold by its nature, with why."""
        return {}
