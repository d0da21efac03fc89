"""Big ledger exports for benchmarks and load checks: millions of lines in the real format.

`write_big_ledger(path, lines, seed)` writes a `huvudbok` CSV as the municipality exports it
(UTF-8 with BOM, `;`, CRLF, decimal comma with no-break-space thousands, Swedish texts, a few
quoted texts with `;` and `""`), with the demo's codes, so that the report structure
classifies every line. Lines are built column by column with Arrow in blocks, so 10 M lines
take seconds, not minutes; the same `seed` gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uppfoljning.demo.bookings import KEYS
from uppfoljning.demo.economy_spec import MOTPART, PROJEKT, TEXTS
from uppfoljning.present.formatting import SWEDISH_MONTHS

__all__ = ["HEADER", "write_big_ledger"]

HEADER = "period;ansvar;verksamhet;konto;belopp;motpart;projekt;text"
BLOCK = 500_000  # lines built at a time: bounded memory for any size
NBSP = "\u00a0"
# Texts that a real export quotes: a field separator and quotes inside the text.
QUOTED = ('"Faktura HVB ""Solbacken"""', '"Tolk; extra insats"')
QUOTED_SHARE = 0.002


def _csv_field(text: str) -> str:
    """A text as the export writes it: quoted (quotes doubled) when it holds `;` or `"`."""
    return f'"{text.replace(chr(34), 2 * chr(34))}"' if ";" in text or '"' in text else text


def _keys(months: int) -> dict[str, np.ndarray]:
    """Every demo key (ansvar, verksamhet, konto), its weight, sign (+1 cost), motpart,
    projekt and texts, as arrays indexed by key so that a block of lines is built by indexing."""
    out: dict[str, list] = {k: [] for k in ("ansvar", "verksamhet", "konto", "weight", "sign")}
    out |= {"motpart": [], "projekt": [], "p_projekt": [], "text_start": [], "text_count": []}
    texts: list[str] = []
    for row, sides in KEYS.items():
        for side, members in sides.items():
            for key, weight in members.items():
                out["ansvar"].append(key.ansvar)
                out["verksamhet"].append(key.verksamhet)
                out["konto"].append(key.konto)
                out["weight"].append(weight)
                out["sign"].append(1 if side == "cost" else -1)
                out["motpart"].append(MOTPART.get((row, key.konto), ""))
                projekt, share = PROJEKT.get((row, key.konto), ("", 0.0))
                out["projekt"].append(projekt)
                out["p_projekt"].append(share)
                options = TEXTS.get(key.konto, ("Bokföring",))
                out["text_start"].append(len(texts))
                out["text_count"].append(len(options))
                names = SWEDISH_MONTHS[:months]
                texts += [_csv_field(t.format(m=m)) for t in options for m in names]
    arrays = {k: np.asarray(v) for k, v in out.items()}
    arrays["weight"] = arrays["weight"] / arrays["weight"].sum()
    arrays["texts"] = np.asarray(texts)
    return arrays


def _amounts(ore: np.ndarray) -> pa.Array:
    """Öre → `-1 234 567,89` (no-break-space thousands, decimal comma), vectorised."""
    kronor = np.abs(ore) // 100

    def text(values: np.ndarray) -> pa.Array:
        return pa.array(values).cast(pa.string())

    groups = [pc.utf8_lpad(text((kronor // 1000**i) % 1000), 3, "0") for i in range(3)]
    out = text(kronor)
    for level in (1, 2, 3):  # at least a thousand, a million, a billion kronor
        parts = [text(kronor // 1000**level), *reversed(groups[:level])]
        joined = pc.binary_join_element_wise(*parts, NBSP)
        out = pc.if_else(pa.array(kronor >= 1000**level), joined, out)
    cents = pc.utf8_lpad(text(np.abs(ore) % 100), 2, "0")
    sign = pa.array(np.where(ore < 0, "-", ""))
    return pc.binary_join_element_wise(sign, out, ",", cents, "")


def _block(rng: np.random.Generator, n: int, keys: dict[str, np.ndarray], months: int, year: int):
    pick = rng.choice(len(keys["konto"]), size=n, p=keys["weight"])
    month = rng.integers(0, months, size=n)
    ore = (rng.lognormal(9.5, 1.6, size=n) * 100).astype(np.int64) * keys["sign"][pick]
    option = (rng.random(n) * keys["text_count"][pick]).astype(np.int64)
    texts = keys["texts"][keys["text_start"][pick] + option * months + month].astype(object)
    quoted = rng.random(n) < QUOTED_SHARE
    texts[quoted] = np.array(QUOTED, dtype=object)[rng.integers(0, len(QUOTED), int(quoted.sum()))]
    projekt = np.where(rng.random(n) < keys["p_projekt"][pick], keys["projekt"][pick], "")
    periods = np.array([f"{year}-{m + 1:02d}" for m in range(months)])
    lines = pc.binary_join_element_wise(
        pa.array(periods[month]),
        pa.array(keys["ansvar"][pick]),
        pa.array(keys["verksamhet"][pick]),
        pa.array(keys["konto"][pick]),
        _amounts(ore),
        pa.array(keys["motpart"][pick]),
        pa.array(projekt),
        pa.array(texts, pa.string()),
        pa.array(np.full(n, "\r\n")),
        ";",
    )
    # "...;text;\r\n": drop the separator before the line end
    lines = pc.replace_substring(lines, ";\r\n", "\r\n")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[n]]


def write_big_ledger(
    path: Path, lines: int, seed: int = 0, *, year: int = 2024, months: int = 8
) -> Path:
    """Write `lines` booking lines for January–`months` of `year` to `path` (a huvudbok CSV).

    Deterministic for a given seed; memory stays at one block of lines whatever the size.
    """
    path = Path(path)
    keys = _keys(months)
    rng = np.random.default_rng(seed)
    with path.open("wb") as fh:
        fh.write(("\ufeff" + HEADER + "\r\n").encode("utf-8"))
        done = 0
        while done < lines:
            n = min(BLOCK, lines - done)
            fh.write(_block(rng, n, keys, months, year))
            done += n
    return path
