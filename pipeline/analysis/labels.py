"""What charts and tables say, in English or Vietnamese: ``labels.yaml`` beside this module."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from pipeline.yaml_load import safe_load as safe_yaml

LANGS = ("en", "vi")
TEXT: dict[str, dict[str, str]] = safe_yaml(
    Path(__file__).with_name("labels.yaml").read_text(encoding="utf-8")
)


def check_lang(lang: str) -> str:
    """``lang`` itself, if it is one of LANGS."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


def t(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang``."""
    return TEXT[check_lang(lang)][key]


def _sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def geo_label_sql(lang: str, alias: str = "geo") -> str:
    """SQL for a place's display name: districts say so (``district_name`` in labels.yaml);
    provinces and the country are named as they are."""
    before, after = t("district_name", lang).split("{name}")
    name = f"{alias}.name_{lang}"
    district = " || ".join(
        [*([_sql_text(before)] if before else []), name, *([_sql_text(after)] if after else [])]
    )
    return f"CASE WHEN {alias}.level = 'district' THEN {district} ELSE {name} END"


def nfc_frame(df: pd.DataFrame) -> pd.DataFrame:
    """NFC-normalise every text column (one seed document is stored decomposed)."""
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = df[c].map(
                lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v
            )
    return df
