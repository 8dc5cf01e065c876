"""Everything a service is given at start-up. Built by ``disco.runtime``, never by a service."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from disco.config import Settings
from disco.platform.bus import EventBus
from disco.platform.clock import Clock
from disco.platform.http import ServiceDirectory
from disco.platform.kv import KeyValue
from disco.platform.mail import Mailer
from disco.platform.security import FieldCipher, TokenVerifier
from disco.platform.service_auth import ServiceCredentials

__all__ = ["ServiceContext"]


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    clock: Clock
    kv: KeyValue
    bus: EventBus
    services: ServiceDirectory
    tokens: TokenVerifier
    cipher: FieldCipher
    credentials: ServiceCredentials
    mailer: Mailer
    # Injected so matching, jitter and scheduling are reproducible in tests.
    random: Random
