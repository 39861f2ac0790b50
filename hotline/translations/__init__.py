"""The gettext catalogues of the hotline's texts and the loader that reads them.

One catalogue per locale: `<locale>/LC_MESSAGES/messages.po` (zh_Hans, zh_Hant, ...), kept by
`pybabel extract/update` from `messages.pot`. English is the message id itself, so it needs
no catalogue. The .po file is the source: it is read at first use and compiled in memory, so a
fresh clone, an editable install and a wheel all work without a compile step or a binary .mo
in git (`pybabel compile` still works, for a check or for other tools).

HOTLINE_TRANSLATIONS names another directory of catalogues (a translator trying a new
locale against a running console before it is added here).

Outside a request (SMS replies, voice prompts, the sweeper's reminders)
`translate(language, msgid, context)` translates for a contact's language: `locale_of("zh")` is
zh_Hans, a catalogue's own name is itself, an unknown language is the hotline's default
(Simplified Chinese); an entry a catalogue lacks reads in English, as gettext does.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DIRECTORY = Path(__file__).resolve().parent
DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language of the message ids
# What a contact's or volunteer's language ("zh", "en", a tag) means as a catalogue: "zh" is
# the Simplified Chinese the hotline writes; Hong Kong, Taiwan and Cantonese read Traditional
# when that catalogue exists.
LANGUAGE_LOCALES = {"zh": "zh_Hans", "zh-cn": "zh_Hans", "zh-hans": "zh_Hans",
                    "zh-sg": "zh_Hans", "zh-hant": "zh_Hant", "zh-tw": "zh_Hant",
                    "zh-hk": "zh_Hant", "zh-mo": "zh_Hant", "yue": "zh_Hant"}
DEFAULT_LOCALE = "zh_Hans"  # a language without a catalogue: the workers' own


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention that pybabel extract knows
    """Mark `msgid` for the catalogue; it is translated later, where it is shown."""
    return msgid


def NP_(context: str, msgid: str) -> str:  # noqa: N802
    """Mark `msgid` in `context` for the catalogue (see N_)."""
    return msgid


def catalogue_directory() -> Path:
    """Where the catalogues are read from: HOTLINE_TRANSLATIONS, else this package."""
    return _directory(os.environ.get("HOTLINE_TRANSLATIONS") or "")


@lru_cache(maxsize=8)
def _directory(setting: str) -> Path:
    # Every text sent asks for the directory several times: a Path built once per setting.
    return Path(setting) if setting else DIRECTORY


def catalogue_path(locale: str, directory: Path | None = None) -> Path:
    """Where the .po catalogue of `locale` lives."""
    return (directory or catalogue_directory()) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def locales(directory: Path | None = None) -> tuple[str, ...]:
    """Every locale the UI can show: English and each locale with a catalogue."""
    return locales_in(directory or catalogue_directory())


@cache
def locales_in(directory: Path) -> tuple[str, ...]:
    """English and the locales with a catalogue in `directory`."""
    found = sorted(p.parent.parent.name for p in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LOCALE, *found)


def translations(locale: str, directory: Path | None = None) -> NullTranslations:
    """The translations of `locale` (English and unknown locales: the message ids as they are).

    Fuzzy entries are left out, as `pybabel compile` leaves them out."""
    return translations_in(locale, directory or catalogue_directory())


@cache
def translations_in(locale: str, directory: Path) -> NullTranslations:
    """The translations of `locale` read from `directory` once."""
    path = catalogue_path(locale, directory)
    if locale == SOURCE_LOCALE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def locale_of(language: str | None) -> str:
    """The catalogue locale a contact's language reads: "en" English, "zh" zh_Hans, a
    catalogue's name itself; Simplified Chinese for anything else (as the replies always did)."""
    return locale_in(language, catalogue_directory())


@lru_cache(maxsize=512)  # languages come from imported data too: bounded
def locale_in(language: str | None, directory: Path) -> str:
    """`locale_of` for the catalogues in `directory`, worked out once per language: every
    text the hotline sends asks it (an offer SMS, several times)."""
    offered = locales(directory)
    tag = (language or "").strip().replace("_", "-").lower()
    by_tag = {loc.replace("_", "-").lower(): loc for loc in offered}
    base = tag.split("-")[0]
    for candidate in (tag, LANGUAGE_LOCALES.get(tag, ""), base, LANGUAGE_LOCALES.get(base, "")):
        candidate = candidate.replace("_", "-").lower()
        if candidate in by_tag:
            return by_tag[candidate]
    return DEFAULT_LOCALE


def translate(language: str | None, msgid: str, context: str | None = None) -> str:
    """`msgid` (in `context`) in a contact's language, outside any request; English where the
    catalogue has no translation."""
    return translated_in(language, msgid, context, catalogue_directory())


@lru_cache(maxsize=4096)  # a fixed set of texts times the languages asked for: bounded
def translated_in(language: str | None, msgid: str, context: str | None, directory: Path
                  ) -> str:
    """`translate` with the catalogues in `directory`, looked up once per text and language."""
    catalogue = translations_in(locale_in(language, directory), directory)
    return catalogue.upgettext(context, msgid) if context else catalogue.ugettext(msgid)
