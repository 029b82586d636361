"""The banners a redirect leaves for the next page: a notice (success style) or a refusal
(error style). The kind is one of ``KINDS``, chosen by the server; the text travels sealed
for the session (``Signer.seal``), so ``?notice=`` with text of its own, or with a banner
made for another session, shows nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, cast

from modelplane.web.session import Session, Signer

Kind = Literal["notice", "error"]
KINDS: dict[Kind, str] = {"notice": "status", "error": "alert"}
"""Each kind of banner and the ARIA role it is announced with."""
PARAMETER = "notice"


@dataclass(frozen=True)
class Banner:
    kind: Kind
    text: str

    @property
    def role(self) -> str:
        return KINDS[self.kind]


def seal(signer: Signer, session: Session, banner: Banner) -> str:
    return signer.seal(session, json.dumps([banner.kind, banner.text]))


def unseal(signer: Signer, session: Session, token: str | None) -> Banner | None:
    """The banner behind ``token``, or None unless this server sealed it for this session."""
    text = signer.unseal(session, token)
    if text is None:
        return None
    try:
        kind, message = json.loads(text)
    except (ValueError, TypeError):
        return None
    if kind not in KINDS or not isinstance(message, str):
        return None
    return Banner(cast(Kind, kind), message)
