"""The digest as text, and SMTP settings. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]
    more: int = 0  # lines left out


@dataclass(frozen=True)
class Digest:
    sections: list[Section] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(s.lines for s in self.sections)

    @property
    def title(self) -> str:
        parts = [f"{len(s.lines) + s.more} {s.title.lower()}" for s in self.sections if s.lines]
        return "Storekeeper: " + (", ".join(parts) if parts else "nothing needs attention")

    def text(self) -> str:
        out = []
        for s in self.sections:
            if not s.lines:
                continue
            out.append(f"{s.title} ({len(s.lines) + s.more})")
            out.extend(f"  - {line}" for line in s.lines)
            if s.more:
                out.append(f"  … and {s.more} more")
            out.append("")
        return "\n".join(out).rstrip() + "\n" if out else "Nothing needs attention.\n"


def section(title: str, lines: list[str], limit: int = 20) -> Section:
    return Section(title, lines[:limit], max(0, len(lines) - limit))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str


def smtp_settings(*sources: Mapping) -> SmtpSettings | None:
    """SMTP from the first source that has SMTP_HOST (app config, then the environment); None when not set up."""
    for src in sources:
        host = (src.get("SMTP_HOST") or "").strip()
        if host:
            try:
                port = int(src.get("SMTP_PORT") or 25)
            except ValueError:
                port = 25
            return SmtpSettings(host, port, src.get("SMTP_USER") or None, src.get("SMTP_PASSWORD") or None,
                                src.get("SMTP_FROM") or "storekeeper@localhost")
    return None
