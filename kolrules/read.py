"""The *read* step: input files become polars DataFrames of text columns.

Four readers are built in and registered through the ``kolrules_readers_register`` hook
like any plugin's: :data:`CSV` (``.csv``, ``.tsv``, ``.txt``), :data:`JSON` (``.json``),
:data:`JSONL` (``.jsonl``, ``.ndjson``) and :data:`XLSX` (``.xlsx``, ``.xlsm``, ``.xls``,
with the ``excel`` extra: :func:`read_xlsx`). Each returns a frame whose columns are the file's
columns in order, every one of dtype ``pl.String``, cells exactly as written (an empty
cell is ``None``). Parsing numbers such as ``1.2万`` is the *normalise* step's job, not
this one's.

Encodings are detected by :func:`read_text`: a UTF-8 or UTF-16 byte-order mark, else UTF-8,
else GB18030 (a superset of GBK and GB2312, which Chinese Excel and export tools write).
Every problem that makes a file unusable as a whole raises
:class:`kolrules.errors.InputFileError` with the file's path and what to do about it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kolrules.errors import InputFileError, UnknownKindError
from kolrules.hookspecs import hookimpl
from kolrules.types import Reader

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "BATCH_ROWS",
    "CSV",
    "DELIMITERS",
    "EXCEL_INSTALL",
    "HEADER_SEARCH_ROWS",
    "JSON",
    "JSONL",
    "MAX_BLOCK_BYTES",
    "MAX_COLUMNS",
    "MAX_JSON_DEPTH",
    "XLSX",
    "DecodedText",
    "SheetHeader",
    "csv_batches",
    "decode_bytes",
    "json_cell",
    "kolrules_readers_register",
    "read_csv",
    "read_json",
    "read_jsonl",
    "read_text",
    "read_xlsx",
    "reader_for",
    "sheet_header",
    "sniff_delimiter",
]

#: The delimiters :func:`sniff_delimiter` chooses among, in tie-break order.
DELIMITERS = (",", "\t", ";")
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}
#: Keys under which a JSON object may hold its list of profiles, in the order tried.
JSON_LIST_KEYS = ("rows", "data", "profiles")
#: Deepest nesting of arrays and objects accepted in a JSON file or a JSON Lines line,
#: the document's own array or object included (a profile needs two or three levels).
#: Python's JSON parser recurses once per level and fails near a thousand; the limit is
#: checked on the values read, and a file too deep to parse gets the same error.
MAX_JSON_DEPTH = 64
#: Most columns an input file may have. An export of profiles has tens; each column costs
#: about 25 KB and 0.2 ms per batch whether kolrules reads it or not (100,000 columns ran
#: out of 3 GB), so a wider file is refused before it is parsed.
MAX_COLUMNS = 1_000

_RE_EXPORT = "save it again as 'CSV UTF-8' (or 'Unicode Text') and retry"


class DecodedText(NamedTuple):
    """A file's text and the encoding it was decoded with (``utf-8``, ``utf-8-sig``,
    ``utf-16-le``, ``utf-16-be`` or ``gb18030``)."""

    text: str
    encoding: str


# --------------------------------------------------------------------------------------
# Bytes and text
# --------------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:  # is_dir() too: it raises for a name too long, say
        if path.is_dir():
            raise InputFileError(f"input file {path} is a directory; give the path of a file in it")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(
            f"input file {path} does not exist; check the path and the current directory"
        ) from None
    except PermissionError:
        raise InputFileError(
            f"input file {path} cannot be read (permission denied); check its permissions"
        ) from None
    except OSError as exc:
        raise InputFileError(f"input file {path} cannot be read: {exc.strerror or exc}") from None


def _binary_hint(data: bytes) -> str | None:
    """Why ``data`` looks like a binary file rather than text, or ``None``."""
    if data.startswith(b"PK\x03\x04"):
        return "it looks like an Excel workbook (.xlsx) or another ZIP archive"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "it looks like an old Excel workbook (.xls)"
    return None


def _guess_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes fall on one parity, as in UTF-16 text
    without a byte-order mark whose characters are mostly ASCII."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / len(sample[0::2])
    odd = sample[1::2].count(0) / len(sample[1::2])
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _strict_decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"input file {source} is not valid {encoding} (byte {exc.start}: {exc.reason}); "
            f"{_RE_EXPORT}"
        ) from None


def decode_bytes(data: bytes, source: str = "<bytes>", encoding: str | None = None) -> DecodedText:
    """Decode a file's bytes, detecting the encoding unless ``encoding`` is given.

    Tried in order: a UTF-8 byte-order mark (``utf-8-sig``); a UTF-16 LE/BE byte-order mark
    (Excel "Unicode Text" exports); UTF-16 without a mark when NUL bytes show it; strict
    UTF-8; strict GB18030. The byte-order mark is removed from the text. ``source`` names
    the file in error messages.

    Raises :class:`InputFileError` for binary files (an Excel workbook, say) and for bytes
    that are neither UTF-8 nor GB18030.
    """
    if encoding is not None:
        return DecodedText(_strict_decode(data, encoding, source), encoding)
    hint = _binary_hint(data)
    if hint:
        raise InputFileError(f"input file {source} is not a text file: {hint}; {_RE_EXPORT}")
    if data.startswith(b"\xef\xbb\xbf"):
        return DecodedText(_strict_decode(data[3:], "utf-8", source), "utf-8-sig")
    if data.startswith(b"\xff\xfe"):
        return DecodedText(_strict_decode(data[2:], "utf-16-le", source), "utf-16-le")
    if data.startswith(b"\xfe\xff"):
        return DecodedText(_strict_decode(data[2:], "utf-16-be", source), "utf-16-be")
    if b"\x00" in data:
        utf16 = _guess_utf16(data)
        if utf16 is None:
            raise InputFileError(
                f"input file {source} is not a text file (it contains NUL bytes); {_RE_EXPORT}"
            )
        return DecodedText(_strict_decode(data, utf16, source), utf16)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = f"byte {exc.start}: {exc.reason}"
    try:
        return DecodedText(data.decode("gb18030"), "gb18030")
    except UnicodeDecodeError as exc:
        gb_error = f"byte {exc.start}: {exc.reason}"
    raise InputFileError(
        f"input file {source} is in an unknown encoding: tried UTF-8 ({utf8_error}) and "
        f"GB18030/GBK ({gb_error}); {_RE_EXPORT}"
    )


def read_text(path: Path, encoding: str | None = None) -> DecodedText:
    """Read a whole file as text, detecting its encoding (see :func:`decode_bytes`).

    Returns ``(text, encoding)``. Raises :class:`InputFileError` when the file does not
    exist, is a directory, cannot be read or cannot be decoded.
    """
    path = Path(path)
    return decode_bytes(_read_bytes(path), str(path), encoding)


def _text_of(path: Path) -> str:
    """The file's text; an :class:`InputFileError` if it is empty or only whitespace."""
    data = _read_bytes(path)
    if not data:
        raise InputFileError(
            f"input file {path} is empty (0 bytes); export the profiles again or pick another file"
        )
    text = decode_bytes(data, str(path)).text
    if not text.strip():
        raise InputFileError(
            f"input file {path} is empty (only whitespace); export the profiles again or "
            "pick another file"
        )
    return text


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------


def _count_outside_quotes(line: str, char: str) -> int:
    count = 0
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file, guessed from its header line.

    The one of ``,``, tab and ``;`` that occurs most often outside double quotes; ties
    (and a line with none of them: a one-column file) go to the earlier in that order.
    """
    counts = [_count_outside_quotes(header_line, d) for d in DELIMITERS]
    best = max(counts)
    return DELIMITERS[counts.index(best)] if best else ","


def _parse_header(text: str, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        return next(reader, [])
    except csv.Error:
        return text.split("\n", 1)[0].rstrip("\r").split(delimiter)


def _find_csv_problem(text: str, delimiter: str, width: int) -> tuple[int, str] | None:
    """Locate the first malformed record: ``(line number, problem)``, or ``None``.

    Polars reports malformed rows without a line number; this scans the text again the
    way an RFC 4180 parser would. It runs only after polars has failed.
    """
    quoted = False  # inside a quoted cell that continues on the next line
    record_line = 0
    fields = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") and not quoted else raw
        if not quoted:
            record_line, fields = number, 1
            if '"' not in line:
                fields += line.count(delimiter)
                if fields > width:
                    return number, _too_many(fields, width)
                continue
        i, n = 0, len(line)
        at_start = not quoted
        while i < n:
            c = line[i]
            if quoted:
                if c == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        i += 2
                        continue
                    quoted = False
                    rest = line[i + 1 :].rstrip("\r")
                    if rest and not rest.startswith(delimiter):
                        return record_line, (
                            f"text {rest[:12]!r} follows a closing double quote; a cell that "
                            'holds quotes must be quoted whole, with each quote doubled ("")'
                        )
                i += 1
            elif c == delimiter:
                fields += 1
                at_start = True
                i += 1
            elif c == '"' and at_start:
                quoted = True
                at_start = False
                i += 1
            else:
                end = line.find(delimiter, i)
                cell = line[i:] if end < 0 else line[i:end]
                if cell.count('"') % 2:
                    return record_line, (
                        f"a stray double quote in the cell {cell[:24]!r}; a cell that holds "
                        'quotes must be quoted whole, with each quote doubled ("")'
                    )
                at_start = False
                i = n if end < 0 else end
        if not quoted and fields > width:
            return record_line, _too_many(fields, width)
    if quoted:
        return record_line, "a quoted cell starting on this line is never closed"
    return None


def _check_header_quotes(path: Path, text: str, delimiter: str, lead: int) -> None:
    """A header with a stray double quote (``id,po"sts``) is an input error: the rows'
    parser would take the quote as opening a cell that never closes and read no row at
    all, where the header's own parser reads the names."""
    end = text.find("\n")
    if '"' not in (text if end < 0 else text[:end]):
        return
    problem = _find_csv_problem(text, delimiter, sys.maxsize)
    if problem is not None and problem[0] == 1:
        raise InputFileError(
            f"input file {path}, line {lead + 1} (the header): {problem[1]}; fix the header "
            "or export the file again"
        )


def _too_many(fields: int, width: int) -> str:
    return f"{fields} cells, but the header has {width} columns"


def _too_wide(path: Path, where: str, what: str) -> InputFileError:
    return InputFileError(
        f"input file {path}, {where}: {what}; the limit is {MAX_COLUMNS:,}. Keep only the "
        "columns of the profiles (id, followers and the others the ruleset reads) and "
        "export the file again"
    )


def _check_names(path: Path, names: list[str], what: str) -> None:
    seen: dict[str, int] = {}
    dups: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 2:
            dups.append(name)
    if dups:
        listed = ", ".join(repr(d) for d in dups)
        raise InputFileError(
            f"input file {path} has duplicate {what}: {listed}; rename or delete the "
            "repeated columns so every column has its own name"
        )


#: Rows per batch when :func:`csv_batches` streams a file.
BATCH_ROWS = 100_000
#: Bytes decoded at a time when checking or converting a file's encoding.
_CHUNK = 1 << 20
#: Most bytes :func:`csv_batches` reads for one batch, whatever the first lines' length
#: suggests (a first row holding a huge cell made it ask for ``BATCH_ROWS`` times that
#: row's size at once); a record longer than this is read on, block by block.
MAX_BLOCK_BYTES = 64 << 20


def _open_error(path: Path) -> InputFileError | None:
    try:  # is_dir() too: it raises for a name too long, say
        if path.is_dir():
            return InputFileError(
                f"input file {path} is a directory; give the path of a file in it"
            )
        path.stat()
    except FileNotFoundError:
        return InputFileError(
            f"input file {path} does not exist; check the path and the current directory"
        )
    except OSError as exc:
        return InputFileError(f"input file {path} cannot be read: {exc.strerror or exc}")
    return None


def _encoding_of(path: Path) -> str:
    """The file's encoding, decided as :func:`decode_bytes` does but reading the file in
    chunks. Raises :class:`InputFileError`."""
    import codecs

    error = _open_error(path)
    if error is not None:
        raise error
    try:
        with path.open("rb") as f:
            head = f.read(_CHUNK)
            if not head:
                raise InputFileError(
                    f"input file {path} is empty (0 bytes); export the profiles again or pick "
                    "another file"
                )
            hint = _binary_hint(head)
            if hint:
                raise InputFileError(f"input file {path} is not a text file: {hint}; {_RE_EXPORT}")
            if head.startswith(b"\xff\xfe"):
                return "utf-16-le"
            if head.startswith(b"\xfe\xff"):
                return "utf-16-be"
            if b"\x00" in head:
                utf16 = _guess_utf16(head)
                if utf16 is None:
                    raise InputFileError(
                        f"input file {path} is not a text file (it contains NUL bytes); "
                        f"{_RE_EXPORT}"
                    )
                return utf16
            encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
            for candidate in (encoding, "gb18030"):
                f.seek(0)
                decoder = codecs.getincrementaldecoder(candidate)()
                try:
                    while chunk := f.read(_CHUNK):
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
                    return candidate
                except UnicodeDecodeError:
                    continue
    except PermissionError:
        raise InputFileError(
            f"input file {path} cannot be read (permission denied); check its permissions"
        ) from None
    # Neither: let decode_bytes name the bytes that fail (this reads the whole file).
    decode_bytes(_read_bytes(path), str(path))
    raise AssertionError("unreachable: decode_bytes raised")  # pragma: no cover


def _as_utf8(path: Path, encoding: str, tmp: Path) -> Path:
    """``path`` itself when polars can read it (UTF-8, with or without a BOM, with LF or
    CRLF line ends); else a UTF-8 copy of it in ``tmp``."""
    with path.open("rb") as f:
        head = f.read(_CHUNK)
    mac = b"\r" in head and b"\n" not in head  # classic Mac line ends (CR only)
    if encoding in {"utf-8", "utf-8-sig"} and not mac:
        return path
    import codecs

    target = tmp / "input.csv"
    decoder = codecs.getincrementaldecoder(encoding)()
    done = 0
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        try:
            while chunk := src.read(_CHUNK):
                text = decoder.decode(chunk)
                if mac:
                    text = text.replace("\r", "\n")
                out.write(text.lstrip("\ufeff") if done == 0 else text)
                done += len(chunk)
            out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"input file {path} is not valid {encoding} (byte {done + exc.start}: "
                f"{exc.reason}); {_RE_EXPORT}"
            ) from None
    return target


def _head(path: Path) -> tuple[str, int]:
    """The text from the first non-blank line on (up to a chunk), and how many blank lines
    come before it."""
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        text = f.read(_CHUNK)
    skipped = len(text) - len(text.lstrip("\r\n"))
    return text[skipped:], text[:skipped].count("\n")


class CsvLayout(NamedTuple):
    """A delimited text file made ready to parse (:func:`csv_layout`)."""

    #: The file itself when it is UTF-8, else a UTF-8 copy of it.
    source: Path
    delimiter: str
    #: The header's names as written (blank ones included).
    header: list[str]
    #: The blank lines before the header.
    lead: int


@contextmanager
def csv_layout(path: Path, delimiter: str | None = None) -> Iterator[CsvLayout]:
    """The file's encoding found, its text made UTF-8 (a temporary copy, removed after
    the block, when it is in another encoding), its delimiter (``delimiter`` if given, tab
    for ``.tsv`` files, else sniffed from the header line) and its header read and
    checked: what every reading of a delimited file starts with (:func:`csv_batches`,
    :func:`small_csv`). Raises :class:`InputFileError`."""
    import tempfile

    encoding = _encoding_of(path)
    with tempfile.TemporaryDirectory(prefix="kolrules-") as tmp:
        source = _as_utf8(path, encoding, Path(tmp))
        text, lead = _head(source)
        if not text.strip():
            raise InputFileError(
                f"input file {path} is empty (only whitespace); export the profiles again or "
                "pick another file"
            )
        if delimiter is None:
            end = text.find("\n")
            first_line = text if end < 0 else text[:end]
            delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(first_line)
        header = _parse_header(text, delimiter)
        _check_header_quotes(path, text, delimiter, lead)
        if not any(name.strip() for name in header):
            raise InputFileError(
                f"input file {path} has no column headers (line {lead + 1} is blank); the "
                "first line must name the columns"
            )
        if len(header) > MAX_COLUMNS:
            raise _too_wide(path, f"line {lead + 1}", f"the header has {len(header):,} columns")
        _check_names(path, [h for h in header if h.strip()], "column headers")
        yield CsvLayout(source, delimiter, header, lead)


def csv_batches(
    path: Path, batch_rows: int | None = BATCH_ROWS, delimiter: str | None = None
) -> Iterator[pl.DataFrame]:
    """Read a delimited text file (CSV, TSV, Excel "Unicode Text") in batches of about
    ``batch_rows`` rows (``None``: one batch), as String columns; see :func:`read_csv`.

    Memory stays bounded by the batch size: files in UTF-8 are read where they are, files
    in other encodings are converted to a temporary UTF-8 copy first.
    """
    import polars as pl

    path = Path(path)
    with csv_layout(path, delimiter) as (source, delimiter, header, lead):
        width = len(header)
        try:
            if batch_rows:
                batches: Iterable[pl.DataFrame] = _parsed_blocks(
                    source, delimiter, width, batch_rows
                )
            else:
                whole = source.read_bytes()
                body = whole[_data_start(whole) :]
                batches = [_parse_block(body, delimiter, width)] if body.strip(b"\r\n") else []
            yield from _named_batches(path, batches, header)
        except pl.exceptions.PolarsError as exc:
            raise _csv_error(path, source, delimiter, width, lead, exc) from None


def _parse_block(data: bytes, delimiter: str, width: int) -> pl.DataFrame:
    """Parse CSV records (no header) as String columns ``_0``, ``_1``...

    A header of placeholder names is put in front, so that the header sets the width as
    in any CSV file: shorter rows are padded with nulls, longer ones are an error.
    """
    import polars as pl

    names = delimiter.join(f"_{i}" for i in range(width)).encode("utf-8") + b"\n"
    return pl.read_csv(
        names + data,
        has_header=True,
        separator=delimiter,
        quote_char='"',
        infer_schema=False,
        null_values=[""],
        truncate_ragged_lines=False,
        raise_if_empty=False,
    )


def _data_start(data: bytes) -> int:
    """Where the records start in a file's first bytes: after a byte-order mark, blank
    lines and the header record (which may hold quoted line ends)."""
    at = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    for _ in range(_blank_lines(data) + 1):
        line = data.find(b"\n", at)
        while line >= 0 and data.count(b'"', at, line) % 2:
            line = data.find(b"\n", line + 1)
        at = len(data) if line < 0 else line + 1
    return at


def _blank_lines(data: bytes) -> int:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return body[: len(body) - len(body.lstrip(b"\r\n"))].count(b"\n")


def _record_end(data: bytes, start: int, end: int) -> int:
    """The position just after the last line end in ``data[start:end]`` that is outside
    double quotes (quotes are balanced at ``start``), or -1."""
    quotes = data.count(b'"', start, end)  # then those before each line end, walking back
    cut, upto = data.rfind(b"\n", start, end), end
    while cut >= 0:
        quotes -= data.count(b'"', cut, upto)
        if quotes % 2 == 0:
            return cut + 1
        cut, upto = data.rfind(b"\n", start, cut), cut
    return -1


def _parsed_blocks(source: Path, delimiter: str, width: int, rows: int) -> Iterator[pl.DataFrame]:
    """Read the file in blocks of whole records (about ``rows`` each, sized from the
    first block's line length) and parse each: memory holds one block, never the file."""
    with source.open("rb") as f:
        data = f.read(_CHUNK)
        at = _data_start(data)
        lines = max(data.count(b"\n", at), 1)
        per_row = max((len(data) - at) // lines, 16)
        block = min(max(rows * per_row, 1 << 16), MAX_BLOCK_BYTES)
        pending = data[at:]
        done = False
        while not done:
            while len(pending) < block and not done:
                more = f.read(block)
                done = not more
                pending += more
            cut = len(pending) if done else _record_end(pending, 0, len(pending))
            while cut < 0:  # one record longer than the block: read on
                more = f.read(block)
                if not more:
                    cut = len(pending)
                    done = True
                    break
                pending += more
                cut = _record_end(pending, 0, len(pending))
            piece, pending = pending[:cut], pending[cut:]
            if piece.strip(b"\r\n"):
                yield _parse_block(piece, delimiter, width)


def _named_batches(
    path: Path, batches: Iterable[pl.DataFrame], header: list[str]
) -> Iterator[pl.DataFrame]:
    """Give the batches their header names, drop empty blank-header columns and rows with
    no value at all at the end of the file (blank lines, ``,,,`` left by spreadsheets)."""
    import polars as pl

    held: pl.DataFrame | None = None  # empty rows at the end of the last batch
    given = False
    for frame in batches:
        if frame.width != len(header):  # polars and the csv module split the header differently
            raise InputFileError(
                f"input file {path}: the header line cannot be split into columns "
                "consistently; check its quotes and separators"
            )
        frame = _drop_blank_header_columns(path, frame, header)
        if held is not None:
            frame = pl.concat([held, frame])
        kept = _drop_trailing_empty_rows(frame)
        held = frame.slice(kept.height) if kept.height < frame.height else None
        if kept.height:
            given = True
            yield kept
    if not given:  # a header and no rows: an empty frame with the columns
        yield pl.DataFrame(schema=dict.fromkeys((h for h in header if h.strip()), pl.String))


def _drop_blank_header_columns(path: Path, frame: pl.DataFrame, header: list[str]) -> pl.DataFrame:
    keep: list[str] = []
    names: list[str] = []
    for position, (placeholder, name) in enumerate(zip(frame.columns, header, strict=True), 1):
        if name.strip():
            keep.append(placeholder)
            names.append(name)
            continue
        values = frame.get_column(placeholder).drop_nulls()
        if values.len():
            raise InputFileError(
                f"input file {path}: column {position} has no header but holds values (such "
                f"as {values[0]!r}); give it a header in the first line or delete it"
            )
    return frame.select(keep).rename(dict(zip(keep, names, strict=True)))


def _csv_error(
    path: Path, source: Path, delimiter: str, width: int, lead: int, exc: Exception
) -> InputFileError:
    """Locate a malformed record, which polars reports without a line number."""
    text = source.read_text(encoding="utf-8-sig")
    skipped = len(text) - len(text.lstrip("\r\n"))
    problem = _find_csv_problem(text[skipped:], delimiter, width)
    sep = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    if problem is not None:
        line, what = problem
        return InputFileError(
            f"input file {path}, line {lead + line}: {what}; fix that line or export the "
            f"file again (it was read as {sep}-separated text)"
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputFileError(f"input file {path} is not a well-formed {sep}-separated file: {first}")


def read_csv(path: Path, delimiter: str | None = None) -> pl.DataFrame:
    """Read a delimited text file (CSV, TSV, Excel "Unicode Text") as String columns.

    The delimiter is ``delimiter`` if given, tab for ``.tsv`` files, else sniffed from the
    header line (:func:`sniff_delimiter`). Cells are parsed by polars with ``"`` as the quote
    character; nothing is stripped; empty cells are ``None``. A header with no data rows
    gives an empty frame. Rows with fewer cells than the header are padded with ``None``;
    trailing rows with no value at all (blank lines, ``,,,`` left by spreadsheets) are
    dropped. A column whose header is blank is dropped when it holds no value (a trailing
    separator on every line) and is an error otherwise.

    Raises :class:`InputFileError` for an empty file, duplicate headers, a row with more
    cells than the header or malformed quoting (with the line number).
    """
    import polars as pl

    frames = list(csv_batches(path, None, delimiter))
    return frames[0] if len(frames) == 1 else pl.concat(frames)


def _drop_trailing_empty_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without the rows at its end that hold no value (looking back from the end,
    so a frame whose last row has a value costs almost nothing)."""
    import polars as pl

    if frame.height == 0 or frame.width == 0:
        return frame
    end, step = frame.height, 64
    while end > 0:
        start = max(0, end - step)
        window = frame.slice(start, end - start)
        filled = window.select(~pl.all_horizontal(pl.all().is_null())).to_series().arg_true()
        if filled.len():
            return frame.head(start + int(filled[-1]) + 1)
        end, step = start, step * 2
    return frame.head(0)


# --------------------------------------------------------------------------------------
# A small CSV file without polars
# --------------------------------------------------------------------------------------

#: The largest CSV file (in bytes, as given and as UTF-8) :func:`small_csv` reads.
SMALL_CSV_BYTES = 1 << 20

#: A small file's rows: each ``{header: cell}``, an empty cell ``None``.
Rows = list[dict[str, str | None]]


def small_csv(path: Path, max_rows: int) -> tuple[list[str], Rows] | None:
    """The headers and rows of a small delimited file, read without polars, exactly as
    :func:`csv_batches` reads them (the same :func:`csv_layout`, then the records parsed
    as polars parses them, blank-header columns and trailing empty rows dropped), so that
    a command on a few rows need not load polars.

    ``None`` when the file is over :data:`SMALL_CSV_BYTES`, holds more than ``max_rows``
    records, or holds anything whose reading by polars this does not copy: a quoted cell
    with a line end in it, a double quote inside an unquoted cell or text after a closing
    one, a carriage return that does not end a line, a record with more cells than the
    header, a value under a blank header. :func:`csv_batches` then reads (or refuses) it.
    A file that cannot be read at all raises :func:`csv_layout`'s :class:`InputFileError`.
    """
    try:
        if Path(path).stat().st_size > SMALL_CSV_BYTES:
            return None
    except OSError:
        pass  # csv_layout says why it cannot be read
    with csv_layout(Path(path)) as (source, delimiter, header, _):
        data = source.read_bytes()
        if len(data) > SMALL_CSV_BYTES:
            return None
        body = data[_data_start(data) :]
        if body.count(b"\n") > max_rows:
            return None
        records = (
            _records(body.decode("utf-8"), delimiter, len(header)) if body.strip(b"\r\n") else []
        )
    if records is None or len(records) > max_rows:
        return None
    named = [i for i, name in enumerate(header) if name.strip()]
    blank = [i for i in range(len(header)) if i not in named]
    if any(r[i] is not None for r in records for i in blank):
        return None  # csv_batches says which column
    names = [header[i] for i in named]
    rows = [{name: r[i] for name, i in zip(names, named, strict=True)} for r in records]
    while rows and all(v is None for v in rows[-1].values()):
        rows.pop()
    return names, rows


def _records(text: str, delimiter: str, width: int) -> list[list[str | None]] | None:
    """The records of a file's text after its header, as polars reads them (a line end is
    LF or CRLF; an empty line is a record of empty cells; a short record is padded with
    empty cells), or ``None`` (see :func:`small_csv`)."""
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    records = []
    for line in lines:
        cells = _cells(line, delimiter)
        if cells is None or len(cells) > width:
            return None
        records.append(cells + [None] * (width - len(cells)))
    return records


def _cells(line: str, delimiter: str) -> list[str | None] | None:
    """The cells of one line: a cell quoted whole (``"8,000"``, a quote doubled inside)
    is read without its quotes; an empty cell, quoted or not, is ``None``. ``None`` for a
    line polars would read otherwise or refuse (see :func:`small_csv`)."""
    if '"' not in line:
        return [cell or None for cell in line.split(delimiter)]
    cells: list[str | None] = []
    at, end = 0, len(line)
    while True:
        if line.startswith('"', at):
            parts = []
            start = at + 1
            while True:
                close = line.find('"', start)
                if close < 0:
                    return None  # the cell goes on past the line's end, or never closes
                parts.append(line[start:close])
                if not line.startswith('"', close + 1):
                    break
                parts.append('"')
                start = close + 2
            at = close + 1
            if at < end and not line.startswith(delimiter, at):
                return None  # text after the closing quote
            cells.append("".join(parts) or None)
        else:
            stop = line.find(delimiter, at)
            stop = end if stop < 0 else stop
            cell = line[at:stop]
            if '"' in cell:
                return None  # a stray quote
            cells.append(cell or None)
            at = stop
        if at >= end:
            return cells
        at += 1  # past the delimiter


# --------------------------------------------------------------------------------------
# JSON and JSON Lines
# --------------------------------------------------------------------------------------


class _Object(dict[str, Any]):
    """A decoded JSON object that remembers the keys it repeated."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated: dict[str, None] = {}
        for key, _ in pairs:
            if key in seen:
                repeated[key] = None
            seen.add(key)
        obj.duplicates = tuple(repeated)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs, parse_constant=_reject_constant)


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# A \uXXXX escape of half a UTF-16 surrogate pair that has no other half.
_LONE_SURROGATE = re.compile(
    r"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _too_deep(path: Path, where: str | None) -> InputFileError:
    at = f", {where}" if where else ""
    return InputFileError(
        f"input file {path}{at}: arrays and objects are nested more than "
        f"{MAX_JSON_DEPTH} levels deep; a profile is one object of fields: flatten the "
        "nested values or leave them out, and export the file again"
    )


def _deep_line(text: str) -> int | None:
    """The line where arrays and objects in JSON ``text`` first nest more than
    :data:`MAX_JSON_DEPTH` deep (strings skipped), or ``None``."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return text.count("\n", 0, token.start()) + 1
        elif bracket in ("]", "}"):
            depth -= 1
    return None


def _nests_deeper(value: dict[str, Any] | list[Any], limit: int) -> bool:
    """Whether the array or object ``value`` nests arrays and objects more than ``limit``
    levels deep (itself one level); walked without recursion."""
    if limit < 1:
        return True
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _escaped(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")


def _surrogate_error(
    path: Path, objects: Iterable[tuple[str, Mapping[str, Any]]], text: str | None
) -> InputFileError:
    """The error for a lone surrogate (a ``\\ud800`` escape with no other half), which
    is not a character: polars (UTF-8) cannot hold it. Names the object and field."""
    for where, obj in objects:
        for key, value in obj.items():
            for what, found in (("the key", key), ("the value of", json_cell(value))):
                if isinstance(found, str) and _SURROGATE.search(found):
                    shown = _escaped(key)
                    at = _SURROGATE.search(found)
                    assert at is not None
                    char = _escaped(at.group())
                    line = ""
                    if text is not None:
                        escape = _LONE_SURROGATE.search(text)
                        if escape is not None:
                            line = f" (line {text.count(chr(10), 0, escape.start()) + 1})"
                    return InputFileError(
                        f"input file {path}, {where}{line}: {what} '{shown}' holds {char}, "
                        "half of a UTF-16 surrogate pair with no other half, which is not a "
                        "character; fix or remove that escape and export the file again"
                    )
    return InputFileError(
        f"input file {path} holds text that is not valid Unicode; export the file again"
    )


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def json_cell(value: Any) -> str | None:
    """A JSON value as the text a spreadsheet cell would hold (what the ``json`` and
    ``jsonl`` formats read into a cell): text as it is (an empty string is missing),
    integers as their digits, other numbers as Python writes them, booleans as ``true`` /
    ``false``, arrays and objects as compact JSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _frame_of(
    objects: Iterable[tuple[str, Mapping[str, Any]]],
    path: Path,
    level: int,
    text: str | None = None,
) -> pl.DataFrame:
    """Build a String frame from ``(where, object)`` pairs; ``where`` names the object in
    error messages, ``level`` is how deep the objects sit in their document (1 for a JSON
    Lines line), ``text`` the file's text where a line is to be found in it. Columns are
    the union of the keys, in first-seen order."""
    named: list[tuple[str, Mapping[str, Any]]] = []
    columns: dict[str, None] = {}
    for where, obj in objects:
        duplicates = getattr(obj, "duplicates", ())
        if duplicates:
            listed = ", ".join(repr(d) for d in duplicates)
            raise InputFileError(
                f"input file {path}: {where} repeats the key(s) {listed}; give every field one key"
            )
        for value in obj.values():
            if isinstance(value, dict | list) and _nests_deeper(value, MAX_JSON_DEPTH - level):
                raise _too_deep(path, where)
        named.append((where, obj))
        columns.update(dict.fromkeys(obj))
        if len(columns) > MAX_COLUMNS:
            what = f"the profiles up to here have {len(columns):,} different keys (columns)"
            raise _too_wide(path, where, what)
    if not columns:
        raise InputFileError(
            f"input file {path} holds no fields: every object is empty; export the profiles again"
        )
    import polars as pl

    data = {name: [json_cell(row.get(name)) for _, row in named] for name in columns}
    try:
        return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))
    except UnicodeEncodeError:
        raise _surrogate_error(path, named, text) from None


def read_json(path: Path) -> pl.DataFrame:
    """Read a JSON file holding profiles as String columns.

    The document is an array of objects, or an object with such an array under ``rows``,
    ``data`` or ``profiles`` (the first present). Each object is a row; columns are the
    union of their keys in first-seen order. Strings are kept as written (``""`` is
    ``None``); integers become their digits (``12000`` -> ``"12000"``), other numbers their
    ``repr``, booleans ``"true"``/``"false"``, nested objects and arrays compact JSON text.

    Raises :class:`InputFileError` for invalid JSON, any other shape (saying what was
    found), an empty array, a non-object item or a key repeated within an object.
    """
    path = Path(path)
    text = _text_of(path)
    try:
        document = _loads(text)
    except RecursionError:
        line = _deep_line(text)
        raise _too_deep(path, None if line is None else f"line {line}") from None
    except json.JSONDecodeError as exc:
        hint = (
            "; it looks like JSON Lines (one object per line): name it .jsonl or pick the "
            "jsonl input format"
            if exc.msg == "Extra data"
            else ""
        )
        raise InputFileError(
            f"input file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}{hint}"
        ) from None
    except ValueError as exc:
        raise InputFileError(f"input file {path} is not valid JSON: {exc}") from None
    where, level = "the top-level array", 2
    if isinstance(document, dict):
        key = next((k for k in JSON_LIST_KEYS if k in document), None)
        if key is None:
            keys = ", ".join(repr(k) for k in list(document)[:8]) or "none"
            raise InputFileError(
                f"input file {path} holds an object with keys {keys}; expected an array of "
                f"profile objects, or an object with that array under "
                f"{', '.join(repr(k) for k in JSON_LIST_KEYS)}"
            )
        document, where, level = document[key], f"the array under {key!r}", 3
        if not isinstance(document, list):
            raise InputFileError(
                f"input file {path}: {key!r} holds {_kind(document)}; expected an array of "
                "profile objects"
            )
    if not isinstance(document, list):
        raise InputFileError(
            f"input file {path} holds {_kind(document)}; expected an array of profile "
            "objects (or an object with that array under "
            f"{', '.join(repr(k) for k in JSON_LIST_KEYS)})"
        )
    if not document:
        raise InputFileError(f"input file {path}: {where} is empty; it holds no profiles")
    for index, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise InputFileError(
                f"input file {path}: item {index} of {where} is {_kind(item)}; expected an "
                "object (one profile)"
            )
    items = ((f"item {i} of {where}", obj) for i, obj in enumerate(document, 1))
    return _frame_of(items, path, level, text)


def read_jsonl(path: Path) -> pl.DataFrame:
    """Read a JSON Lines file (one profile object per line) as String columns.

    Blank lines are skipped. Values become text as in :func:`read_json`. Raises
    :class:`InputFileError` naming the line that is not valid JSON or not an object.
    """
    path = Path(path)
    text = _text_of(path)
    objects: list[tuple[str, Mapping[str, Any]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = _loads(line)
        except RecursionError:
            raise _too_deep(path, f"line {number}") from None
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"input file {path}, line {number}: not valid JSON: {exc.msg} at column "
                f"{exc.colno}; every line must hold one complete JSON object"
            ) from None
        except ValueError as exc:
            raise InputFileError(
                f"input file {path}, line {number}: not valid JSON: {exc}"
            ) from None
        if not isinstance(value, dict):
            hint = (
                "; a file holding one JSON array is read by the json input format"
                if isinstance(value, list)
                else ""
            )
            raise InputFileError(
                f"input file {path}, line {number} holds {_kind(value)}; expected a JSON "
                f"object (one profile per line){hint}"
            )
        objects.append((f"line {number}", value))
    return _frame_of(objects, path, 1)


# --------------------------------------------------------------------------------------
# Excel workbooks
# --------------------------------------------------------------------------------------

#: What to run when a workbook is read without the ``excel`` extra.
EXCEL_INSTALL = "pip install 'kolrules[excel]'"
#: How many rows at the top of a sheet :func:`sheet_header` looks at for the header row
#: (an export may put title rows above it).
HEADER_SEARCH_ROWS = 100


class SheetHeader(NamedTuple):
    """Where a sheet's header is: the sheet's name, its position (from 1) and the sheet
    row (from 1, as Excel numbers rows) of its header; data row ``n`` of the frame read
    from it is sheet row ``row + n``."""

    sheet: str
    position: int
    row: int

    def note(self) -> str:
        """``sheet 'Sheet1': header on sheet row 3; data row N is sheet row N+3``."""
        return (
            f"sheet {self.sheet!r}: header on sheet row {self.row}; data row N is sheet row "
            f"N+{self.row}"
        )


def _workbook(path: Path) -> Any:
    """The fastexcel reader of the workbook ``path``; :class:`InputFileError` when the
    ``excel`` extra is missing or the file is not a workbook calamine can read."""
    try:
        import fastexcel
    except ImportError:
        raise InputFileError(
            f"input file {path} is an Excel workbook; reading it needs the excel extra: "
            f"{EXCEL_INSTALL}"
        ) from None
    error = _open_error(path)
    if error is not None:
        raise error
    try:
        return fastexcel.read_excel(path)
    except PermissionError:
        raise InputFileError(
            f"input file {path} cannot be read (permission denied); check its permissions"
        ) from None
    except Exception as exc:  # fastexcel's errors, a ZIP archive that is not a workbook...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(
            f"input file {path} is not a readable Excel workbook ({first}); open it in Excel "
            "and save it again as .xlsx"
        ) from None


def _sheet_position(path: Path, names: list[str], sheet: str | int | None) -> int:
    """The index (from 0) of ``sheet``: a name (exact, else the one name equal to it
    ignoring case and surrounding spaces), else a position counted from 1, as an ``int``
    or as digits. ``None`` is the first sheet."""
    if not names:
        raise InputFileError(f"input file {path} holds no sheet")
    if sheet is None:
        return 0
    listed = ", ".join(f"{i} {n!r}" for i, n in enumerate(names, 1))
    if isinstance(sheet, str):
        if sheet in names:
            return names.index(sheet)
        folded = [
            i for i, n in enumerate(names) if n.strip().casefold() == sheet.strip().casefold()
        ]
        if len(folded) == 1:
            return folded[0]
        if not sheet.strip().isdecimal():
            raise InputFileError(
                f"input file {path} has no sheet named {sheet!r}; its sheets are {listed}"
            )
        sheet = int(sheet.strip())
    if isinstance(sheet, bool) or not 1 <= sheet <= len(names):
        raise InputFileError(
            f"input file {path} has no sheet {sheet!r}: sheets are counted from 1 and it has "
            f"{len(names)}: {listed}"
        )
    return sheet - 1


def _header_index(rows: list[tuple[Any, ...]], headers: Iterable[str] | None) -> int | None:
    """Which of a sheet's first rows is its header (see :func:`sheet_header`)."""
    known = {_cell_key(h) for h in headers or ()}
    filled = [[c for c in row if c is not None and c.strip()] for row in rows]
    hits = [sum(_cell_key(c) in known for c in cells) for cells in filled]
    for found in (
        next((i for i, n in enumerate(hits) if n >= 2), None),
        next((i for i, n in enumerate(hits) if n == 1), None),
        next((i for i, cells in enumerate(filled) if len(cells) >= 2), None),
        next((i for i, cells in enumerate(filled) if cells), None),
    ):
        if found is not None:
            return found
    return None


def _cell_key(text: str) -> str:
    return text.replace("\ufeff", "").strip().casefold()


def _located(
    path: Path, sheet: str | int | None, headers: Iterable[str] | None
) -> tuple[Any, SheetHeader, list[str | None]]:
    book = _workbook(path)
    names = list(book.sheet_names)
    index = _sheet_position(path, names, sheet)
    head = book.load_sheet(
        index, header_row=None, skip_rows=0, n_rows=HEADER_SEARCH_ROWS, dtypes="string"
    ).to_polars()
    found = _header_index(head.rows(), headers)
    if found is None:
        empty = (
            "is empty"
            if head.height < HEADER_SEARCH_ROWS
            else (f"has no value in its first {HEADER_SEARCH_ROWS} rows")
        )
        raise InputFileError(
            f"input file {path}: sheet {names[index]!r} {empty}; pick the sheet that holds the "
            "profiles with --sheet NAME or --sheet NUMBER"
        )
    header = list(head.row(found))
    return book, SheetHeader(names[index], index + 1, found + 1), header


def sheet_header(
    path: Path, sheet: str | int | None = None, headers: Iterable[str] | None = None
) -> SheetHeader:
    """Where the header of a workbook's sheet is (``sheet``: a name or a position from 1;
    default the first sheet).

    The header is found among the sheet's first :data:`HEADER_SEARCH_ROWS` rows, so that
    title rows an export puts above it are skipped: the first row with at least two cells
    that are ``headers`` (spellings a ruleset reads; case and surrounding spaces aside),
    else the first with one, else the first row with at least two cells holding a value,
    else the first row holding one. Raises :class:`InputFileError`.
    """
    return _located(Path(path), sheet, headers)[1]


def _with_dates(
    book: Any, index: int, skip: int, data: pl.DataFrame, dates: list[int]
) -> pl.DataFrame:
    """``data`` (the sheet as text) with the columns at ``dates`` (guessed to hold dates)
    as ISO text, ``2026-01-02`` or ``2026-01-02 03:04:05`` with a time: each one whose
    every value is a date (a column that also holds text or numbers keeps fastexcel's text,
    ``2026-01-02 00:00:00`` for a date: read as dates, its other values would be lost)."""
    dtypes = {i: "datetime" if i in dates else "string" for i in range(data.width)}
    typed = book.load_sheet(index, header_row=None, skip_rows=skip, dtypes=dtypes).to_polars()
    replaced: list[pl.Series] = []
    for i in dates:
        if i >= min(data.width, typed.width) or typed.height != data.height:
            continue  # pragma: no cover - both loads read the same range
        text, when = data.to_series(i), typed.to_series(i)
        if when.null_count() != text.null_count():
            continue
        shown = when.dt.strftime("%Y-%m-%d %H:%M:%S").str.strip_suffix(" 00:00:00")
        replaced.append(shown.alias(text.name))
    return data.with_columns(replaced) if replaced else data


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """The logger ``name`` says nothing below an error while the block runs."""
    import logging

    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _column_letter(position: int) -> str:
    """Excel's name of the column at ``position`` (from 1): A, ..., Z, AA, ..."""
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_unnamed(path: Path, where: SheetHeader, data: pl.DataFrame, names: list[str]) -> None:
    """A column with a blank header that holds a value is an error naming the cell."""
    for position, (column, name) in enumerate(zip(data.columns, names, strict=True), 1):
        if name.strip():
            continue
        filled = data.get_column(column).is_not_null().arg_true()
        if filled.len():
            first = int(filled[0])
            cell = f"{_column_letter(position)}{where.row + first + 1}"
            raise InputFileError(
                f"input file {path}, sheet {where.sheet!r}: column {_column_letter(position)} "
                f"has no header in sheet row {where.row} but holds values (cell {cell}: "
                f"{data.get_column(column)[first]!r}); give it a header or delete it"
            )


def read_xlsx(
    path: Path, sheet: str | int | None = None, headers: Iterable[str] | None = None
) -> pl.DataFrame:
    """Read one sheet of an Excel workbook (.xlsx, .xlsm, .xls, with fastexcel: the
    ``excel`` extra) as String columns, as :func:`read_csv` reads a file.

    ``sheet`` is a sheet's name or its position counted from 1 (default: the first
    sheet); the header row is found as :func:`sheet_header` says, and every row below it
    down to the last one holding a value is a data row (a blank row among them too, so
    that data row ``n`` is always sheet row ``header + n``). A text cell is read as
    written; a number cell as the text that reads back as the same number (``12000``,
    ``1.5``); a boolean ``true``/``false``; a formula its last computed value; a cell
    formatted as a date as ``2026-01-02`` (`` 03:04:05`` added when it has a time; in a
    column that also holds text or numbers, always ``2026-01-02 00:00:00``). Blank-header
    columns and duplicate headers are handled as in :func:`read_csv`, and rows at the end
    that hold no value are dropped.
    """
    import polars as pl

    path = Path(path)
    book, where, header = _located(path, sheet, headers)
    names = [h if h is not None else "" for h in header]
    if len(names) > MAX_COLUMNS:
        raise _too_wide(path, f"sheet row {where.row}", f"the header has {len(names):,} columns")
    _check_names(path, [n for n in names if n.strip()], "column headers")
    index = where.position - 1
    with _quiet("fastexcel"):  # "could not determine dtype": only date columns matter here
        guessed = book.load_sheet(
            index, header_row=None, skip_rows=where.row, schema_sample_rows=None
        ).selected_columns
    dates = sorted(c.index for c in guessed if c.dtype in ("date", "datetime"))
    data = book.load_sheet(index, header_row=None, skip_rows=where.row, dtypes="string").to_polars()
    if dates:
        data = _with_dates(book, index, where.row, data, dates)
    if data.width < len(names):  # no row below the header, or a narrower range
        pad = {
            f"__pad_{i}": pl.Series([None] * data.height, dtype=pl.String)
            for i in range(data.width, len(names))
        }
        data = pl.concat([data, pl.DataFrame(pad)], how="horizontal")
    names += [""] * (data.width - len(names))  # cells right of the header's last: no header
    _check_unnamed(path, where, data, names)
    frame = _drop_blank_header_columns(path, data, names)
    return _drop_trailing_empty_rows(frame)


# --------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------

#: Delimited text: CSV, TSV and Excel "Unicode Text" (.txt, UTF-16, tab-separated).
CSV = Reader(
    name="csv",
    extensions=(".csv", ".tsv", ".txt"),
    read=read_csv,
    batches=csv_batches,
    description="Delimited text (comma, tab or semicolon; UTF-8, UTF-16 or GBK/GB18030)",
)
#: A JSON array of profile objects (or an object with it under rows/data/profiles).
JSON = Reader(
    name="json",
    extensions=(".json",),
    read=read_json,
    description="A JSON array of profile objects, or an object with it under rows/data/profiles",
)
#: JSON Lines: one profile object per line.
JSONL = Reader(
    name="jsonl",
    extensions=(".jsonl", ".ndjson"),
    read=read_jsonl,
    description="JSON Lines: one profile object per line",
)


#: An Excel workbook's sheet (fastexcel, the ``excel`` extra; ``sheet`` and the header
#: row as :func:`read_xlsx` says).
XLSX = Reader(
    name="xlsx",
    extensions=(".xlsx", ".xlsm", ".xls"),
    read=read_xlsx,
    description="An Excel workbook's sheet (.xlsx, .xlsm, .xls; needs kolrules[excel])",
)


@hookimpl
def kolrules_readers_register() -> Iterable[Reader]:
    """Register the built-in input formats: csv, json, jsonl, xlsx."""
    return (CSV, JSON, JSONL, XLSX)


def _norm_ext(ext: str) -> str:
    ext = ext.lower()
    return ext if ext.startswith(".") else "." + ext


def reader_for(path: Path, readers: Mapping[str, Reader], name: str | None = None) -> Reader:
    """The reader for ``path``: the one called ``name`` if given (case-insensitive), else the
    first in ``readers`` whose ``extensions`` include the file's suffix (case-insensitive).

    Raises :class:`UnknownKindError` (kind ``"input format"``) listing the known names.
    """
    known = sorted({r.name for r in readers.values()})
    if name is not None:
        found = readers.get(name) or readers.get(name.casefold())
        if found is None:
            found = next(
                (r for r in readers.values() if r.name.casefold() == name.casefold()), None
            )
        if found is None:
            raise UnknownKindError("input format", name, known)
        return found
    suffix = Path(path).suffix.lower()
    if suffix:
        for reader in readers.values():
            if suffix in {_norm_ext(e) for e in reader.extensions}:
                return reader
    raise UnknownKindError("input format", suffix or Path(path).name, known)
