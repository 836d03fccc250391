"""Literal expectations for kolrules.read, written for mutants that survived ``tox -e
mutation`` (docs/mutation.md): encodings, JSON Lines cells and errors, and csv files read
in blocks of whole records."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kolrules.errors import InputFileError, UnknownKindError
from kolrules.read import (
    CSV,
    JSON,
    JSONL,
    _data_start,
    _find_csv_problem,
    _guess_utf16,
    _record_end,
    csv_batches,
    decode_bytes,
    read_csv,
    read_json,
    read_jsonl,
    read_text,
    reader_for,
    sniff_delimiter,
)
from kolrules.types import Reader


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- encodings ------------------------------------------------------------------------


def test_utf16_without_a_mark_is_told_by_where_the_nul_bytes_fall() -> None:
    assert _guess_utf16("ab,c\n".encode("utf-16-le")) == "utf-16-le"
    assert _guess_utf16("ab,c\n".encode("utf-16-be")) == "utf-16-be"
    assert _guess_utf16(b"a\x00b") is None  # fewer than 4 bytes
    assert _guess_utf16(b"a\x00b\x00") == "utf-16-le"  # exactly 4 bytes is enough
    # NUL bytes on both parities: not UTF-16
    assert _guess_utf16(b"a\x00\x00b" * 8) is None
    # Odd NULs at 1/3 (just over 0.3) with no even NUL: still UTF-16 LE
    assert _guess_utf16(b"a\x00b\x01c\x01" * 10) == "utf-16-le"
    assert _guess_utf16(b"\x00a\x01b\x01c" * 10) == "utf-16-be"
    # 3 odd NULs in 10 pairs is 0.3 exactly, which is not over 0.3
    assert _guess_utf16(b"a\x00b\x00c\x00" + b"d\x01" * 7) is None
    # One even NUL in 20 pairs (0.05) is too many for the other parity
    assert _guess_utf16(b"\x00\x00" + b"a\x00" * 19) is None
    assert _guess_utf16(b"\x01\x00" + b"a\x00" * 19) == "utf-16-le"
    assert _guess_utf16(b"\x00\x00" + b"\x00a" * 19) is None
    # only the first 4096 bytes are looked at
    assert _guess_utf16(b"a\x00" * 2048 + b"\x00\x00" * 5000) == "utf-16-le"
    # 102 even NULs in the first 4096 bytes are under 5 %; the 4097th byte is not counted
    assert _guess_utf16(b"\x00\x00" * 102 + b"a\x00" * 1946 + b"\x00" * 10) == "utf-16-le"
    # 3 even NULs in 10 pairs is 0.3 exactly, which is not over 0.3 (big-endian too)
    assert _guess_utf16(b"\x00a\x00b\x00c" + b"\x01d" * 7) is None


def test_decoding_by_mark_by_nul_bytes_then_utf8_then_gb18030() -> None:
    assert decode_bytes("\ufeffid,名".encode()) == ("id,名", "utf-8-sig")
    assert decode_bytes(b"\xff\xfe" + "id".encode("utf-16-le")) == ("id", "utf-16-le")
    assert decode_bytes(b"\xfe\xff" + "id".encode("utf-16-be")) == ("id", "utf-16-be")
    assert decode_bytes("id,x\n".encode("utf-16-le")) == ("id,x\n", "utf-16-le")
    assert decode_bytes("名字".encode()) == ("名字", "utf-8")
    assert decode_bytes("名字".encode("gbk")) == ("名字", "gb18030")
    assert decode_bytes(b"abc", encoding="latin-1") == ("abc", "latin-1")


def test_bytes_that_are_not_text_say_what_they_look_like() -> None:
    with pytest.raises(InputFileError) as info:
        decode_bytes(b"PK\x03\x04rest", "book.xlsx")
    assert str(info.value) == (
        "input file book.xlsx is not a text file: it looks like an Excel workbook (.xlsx) or "
        "another ZIP archive; save it again as 'CSV UTF-8' (or 'Unicode Text') and retry"
    )
    with pytest.raises(InputFileError) as info:
        decode_bytes(b"\x00\x00\x00\x00abc", "x.csv")
    assert str(info.value) == (
        "input file x.csv is not a text file (it contains NUL bytes); save it again as "
        "'CSV UTF-8' (or 'Unicode Text') and retry"
    )
    with pytest.raises(InputFileError) as info:
        decode_bytes(b"\xff\xfe\x00\xd8", "y.csv")
    assert str(info.value).startswith("input file y.csv is not valid utf-16-le (byte 0: ")


# -- delimiters and malformed records ---------------------------------------------------


def test_the_delimiter_is_the_most_frequent_outside_quotes() -> None:
    assert sniff_delimiter("a;b;c,d") == ";"
    assert sniff_delimiter("a\tb,c") == ","  # a tie goes to the comma
    assert sniff_delimiter("a\tb;c") == "\t"  # and tab before semicolon
    assert sniff_delimiter('"a,b,c";d') == ";"
    assert sniff_delimiter("abc") == ","


def test_a_malformed_record_is_found_with_its_line_and_what_is_wrong() -> None:
    quote_rule = 'a cell that holds quotes must be quoted whole, with each quote doubled ("")'
    assert _find_csv_problem("a,b\n1,2,3\n", ",", 2) == (
        2,
        "3 cells, but the header has 2 columns",
    )
    assert _find_csv_problem('a,b\n"x"y,1\n', ",", 2) == (
        2,
        "text 'y,1' follows a closing double quote; " + quote_rule,
    )
    assert _find_csv_problem('a,b\n1,x"y\n', ",", 2) == (
        2,
        "a stray double quote in the cell 'x\"y'; " + quote_rule,
    )
    assert _find_csv_problem('a,b\n"open,1\n2,3\n', ",", 2) == (
        2,
        "a quoted cell starting on this line is never closed",
    )
    assert _find_csv_problem('a,b\n"q""q",1\n1,2,3\n', ",", 2) == (
        3,
        "3 cells, but the header has 2 columns",
    )
    assert _find_csv_problem('a,b\r\n1,2\r\n"x\r\ny",1,2\n', ",", 2) == (
        3,
        "3 cells, but the header has 2 columns",
    )
    # a line end written as CRLF is not part of the cell quoted in the message
    assert _find_csv_problem('a,b\r\n1,x"y\r\n', ",", 2) == (
        2,
        "a stray double quote in the cell 'x\"y'; " + quote_rule,
    )
    assert _find_csv_problem('a;b\n"x;y";1\n', ";", 2) is None


def test_quotes_are_scanned_as_an_rfc_4180_parser_reads_them() -> None:
    quote_rule = 'a cell that holds quotes must be quoted whole, with each quote doubled ("")'
    too_many = "3 cells, but the header has 2 columns"
    # a quoted cell closing at the end of its line, empty, or ending in a doubled quote
    assert _find_csv_problem('a,b\n1,"x"\n2,3,4\n', ",", 2) == (3, too_many)
    assert _find_csv_problem('a,b\n"",1\n1,2,3\n', ",", 2) == (3, too_many)
    assert _find_csv_problem('a,b\n"x""",1\n1,2,3\n', ",", 2) == (3, too_many)
    # a doubled quote at the end of a line: the cell goes on on the next line
    assert _find_csv_problem('a,b\n"x""\ny",1\n1,2,3\n', ",", 2) == (4, too_many)
    # what follows a closing quote, as written (up to 12 characters, without the CR)
    assert _find_csv_problem('a,b\n1,"x" \n', ",", 2) == (
        2,
        "text ' ' follows a closing double quote; " + quote_rule,
    )
    assert _find_csv_problem('a,b\r\n"p\r\nq"X\r\n', ",", 2) == (
        2,
        "text 'X' follows a closing double quote; " + quote_rule,
    )
    assert _find_csv_problem('a,b\n"x"abcdefghijklmnop\n', ",", 2) == (
        2,
        "text 'abcdefghijkl' follows a closing double quote; " + quote_rule,
    )
    # quotes inside an unquoted cell: an even number is no problem, an odd one is
    assert _find_csv_problem('a,b\n1,x""y\n1,2,3\n', ",", 2) == (3, too_many)
    assert _find_csv_problem('a,b,c\nx"y,z"w,1\n', ",", 3) == (
        2,
        "a stray double quote in the cell 'x\"y'; " + quote_rule,
    )
    assert _find_csv_problem('a,b\n1,abcdefghijklmnopqrstuvwx"yz\n', ",", 2) == (
        2,
        "a stray double quote in the cell 'abcdefghijklmnopqrstuvwx'; " + quote_rule,
    )
    assert _find_csv_problem('a,b\n"x",\r\n', ",", 2) is None


# -- blocks of whole records ------------------------------------------------------------


def test_a_record_ends_after_the_last_line_end_outside_quotes() -> None:
    assert _record_end(b'a,b\n"x\ny",1\nz', 0, 13) == 12
    assert _record_end(b'"a\nb', 0, 4) == -1
    assert _record_end(b"ab\ncd\n", 0, 6) == 6
    assert _record_end(b"ab\ncd\n", 0, 5) == 3
    assert _record_end(b"ab\ncd\nef", 3, 8) == 6
    assert _record_end(b'x\n"a\nb\nc', 0, 8) == 2
    assert _record_end(b"abc", 0, 3) == -1
    assert _record_end(b"\nabc", 0, 4) == 1  # a line end at the very start
    # only data[start:end] is looked at: not the quotes after end, nor the line ends before
    assert _record_end(b'ab\ncd"\n', 0, 5) == 3
    assert _record_end(b"ab\ncd\nef", 6, 8) == -1
    assert _record_end(b'x\n"a\nb', 2, 6) == -1


def test_records_start_after_the_mark_the_blank_lines_and_the_header() -> None:
    assert _data_start(b"\xef\xbb\xbf\n\nh1,h2\n1,2\n") == 11
    assert _data_start(b'"h\n1",h2\r\nx,y\n') == 10
    assert _data_start(b"h1,h2") == 5
    assert _data_start(b"h1,h2\n") == 6
    assert _data_start(b"\r\n\nh\n1\n") == 5


def test_a_file_read_in_blocks_gives_every_record_once(tmp_path: Path) -> None:
    # more than the first 1 MiB read at once, so that later blocks are cut at records
    pad = "p" * 90
    body = "".join(f'{i},"line one\nline {i}",{pad[: 80 + i % 7]}\n' for i in range(12_000))
    path = _write(tmp_path, "big.csv", ("id,text,pad\n" + body).encode())
    batches = list(csv_batches(path, 500))
    assert len(batches) > 2
    rows = [row for batch in batches for row in batch.iter_rows()]
    assert len(rows) == 12_000
    assert rows[0] == ("0", "line one\nline 0", "p" * 80)
    assert rows[4321] == ("4321", "line one\nline 4321", "p" * 82)
    assert rows[-1] == ("11999", "line one\nline 11999", "p" * 81)
    assert [int(r[0]) for r in rows] == list(range(12_000))
    assert {tuple(b.columns) for b in batches} == {("id", "text", "pad")}


def test_a_record_longer_than_a_block_is_read_whole(tmp_path: Path) -> None:
    long = "y" * 200_000
    path = _write(tmp_path, "long.csv", f'a,b\n1,"{long}\n{long}"\n2,3\n'.encode())
    rows = [row for batch in csv_batches(path, 1) for row in batch.iter_rows()]
    assert rows == [("1", f"{long}\n{long}"), ("2", "3")]
    unended = _write(tmp_path, "unended.csv", f'a,b\n1,"{long}"'.encode())
    assert [row for b in csv_batches(unended, 1) for row in b.iter_rows()] == [("1", long)]


def test_empty_rows_at_the_end_are_dropped_however_many(tmp_path: Path) -> None:
    path = _write(tmp_path, "trail.csv", b"a,b\n" + b"1,2\n" * 100 + b",\n" * 700 + b"\n\n")
    assert read_csv(path).height == 100
    assert sum(b.height for b in csv_batches(path, 10)) == 100
    inner = _write(tmp_path, "inner.csv", b"a,b\n1,2\n,\n,\n3,\n,\n")
    assert read_csv(inner).rows() == [("1", "2"), (None, None), (None, None), ("3", None)]
    only = _write(tmp_path, "only.csv", b"a,b\n,\n,\n")
    frame = read_csv(only)
    assert frame.shape == (0, 2)
    assert frame.columns == ["a", "b"]


# -- JSON Lines -------------------------------------------------------------------------


def test_json_lines_values_become_cell_text(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "a.jsonl",
        b'{"id": "a", "n": 12000, "f": 1.5, "b": true, "c": false, "z": null, "e": "", '
        b'"o": {"k": [1, "\xe4\xb8\x87"]}, "inf": 1e400}\n\n  \n{"id": "b", "new": -0.0}\n',
    )
    assert read_jsonl(path).to_dicts() == [
        {
            "id": "a",
            "n": "12000",
            "f": "1.5",
            "b": "true",
            "c": "false",
            "z": None,
            "e": None,
            "o": '{"k":[1,"万"]}',
            "inf": None,
            "new": None,
        },
        {
            "id": "b",
            "n": None,
            "f": None,
            "b": None,
            "c": None,
            "z": None,
            "e": None,
            "o": None,
            "inf": None,
            "new": "-0.0",
        },
    ]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (b"[1]", "holds an array"),
        (b'"s"', "holds a string"),
        (b"3", "holds a number"),
        (b"2.5", "holds a number"),
        (b"null", "holds null"),
        (b"true", "holds a boolean"),
    ],
)
def test_a_json_line_that_is_not_an_object_says_what_it_holds(
    tmp_path: Path, line: bytes, said: str
) -> None:
    path = _write(tmp_path, "b.jsonl", b'{"id": "a"}\n' + line + b"\n")
    with pytest.raises(InputFileError) as info:
        read_jsonl(path)
    hint = "; a file holding one JSON array is read by the json input format"
    assert str(info.value) == (
        f"input file {path}, line 2 {said}; expected a JSON object (one profile per line)"
        + (hint if line == b"[1]" else "")
    )


def test_json_lines_errors_name_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.jsonl", b'{"a":1}\n{"a":1,"b":2,"a":3}\n')
    with pytest.raises(InputFileError, match=re.escape(": line 2 repeats the key(s) 'a';")):
        read_jsonl(path)
    path = _write(tmp_path, "n.jsonl", b'\n{"a": NaN}\n')
    with pytest.raises(InputFileError) as info:
        read_jsonl(path)
    assert str(info.value) == f"input file {path}, line 2: not valid JSON: NaN is not a JSON value"
    path = _write(tmp_path, "t.jsonl", b'{"a":\n')
    with pytest.raises(InputFileError) as info:
        read_jsonl(path)
    assert str(info.value) == (
        f"input file {path}, line 1: not valid JSON: Expecting value at column 6; every line "
        "must hold one complete JSON object"
    )
    path = _write(tmp_path, "e.jsonl", b"{}\n{}\n")
    with pytest.raises(InputFileError) as info:
        read_jsonl(path)
    assert str(info.value) == (
        f"input file {path} holds no fields: every object is empty; export the profiles again"
    )


# -- JSON documents ---------------------------------------------------------------------


def test_a_json_document_is_an_array_or_an_object_holding_one(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", b'[{"a":1},{"b":"x"}]')
    assert read_json(path).to_dicts() == [{"a": "1", "b": None}, {"a": None, "b": "x"}]
    # rows is tried before data, and data before profiles
    path = _write(tmp_path, "b.json", b'{"data":[{"a":1}], "rows":[{"z":2}]}')
    assert read_json(path).to_dicts() == [{"z": "2"}]
    path = _write(tmp_path, "c.json", b'{"profiles":[{"p":1}], "data":[{"d":1}]}')
    assert read_json(path).to_dicts() == [{"d": "1"}]
    path = _write(tmp_path, "d.json", b'{"profiles":[{"p":1}]}')
    assert read_json(path).to_dicts() == [{"p": "1"}]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            b'{"x":1,"y":2}',
            " holds an object with keys 'x', 'y'; expected an array of profile objects, or an "
            "object with that array under 'rows', 'data', 'profiles'",
        ),
        (
            b"{}",
            " holds an object with keys none; expected an array of profile objects, or an "
            "object with that array under 'rows', 'data', 'profiles'",
        ),
        (
            b'{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9}',
            " holds an object with keys 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'; "
            "expected an array of profile objects, or an object with that array under "
            "'rows', 'data', 'profiles'",
        ),
        (b'{"rows": {"a":1}}', ": 'rows' holds an object; expected an array of profile objects"),
        (
            b'"str"',
            " holds a string; expected an array of profile objects (or an object with that "
            "array under 'rows', 'data', 'profiles')",
        ),
        (b"[]", ": the top-level array is empty; it holds no profiles"),
        (b'{"data": []}', ": the array under 'data' is empty; it holds no profiles"),
        (
            b'[{"a":1}, 3]',
            ": item 2 of the top-level array is a number; expected an object (one profile)",
        ),
        (
            b'{"a":1}\n{"a":2}\n',
            " is not valid JSON: Extra data at line 2 column 1; it looks like JSON Lines (one "
            "object per line): name it .jsonl or pick the jsonl input format",
        ),
        (
            b'[{"a":1,}]',
            " is not valid JSON: Expecting property name enclosed in double quotes at line 1 "
            "column 9",
        ),
        (b"[NaN]", " is not valid JSON: NaN is not a JSON value"),
        (b"   ", " is empty (only whitespace); export the profiles again or pick another file"),
        (b"", " is empty (0 bytes); export the profiles again or pick another file"),
    ],
)
def test_a_json_document_of_another_shape_says_what_it_holds(
    tmp_path: Path, body: bytes, said: str
) -> None:
    path = _write(tmp_path, "j.json", body)
    with pytest.raises(InputFileError) as info:
        read_json(path)
    assert str(info.value) == f"input file {path}{said}"


# -- whole files ------------------------------------------------------------------------


def test_a_missing_file_or_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        read_text(tmp_path / "missing.csv")
    assert str(info.value) == (
        f"input file {tmp_path / 'missing.csv'} does not exist; check the path and the "
        "current directory"
    )
    with pytest.raises(InputFileError) as info:
        read_text(tmp_path)
    assert str(info.value) == f"input file {tmp_path} is a directory; give the path of a file in it"
    assert read_text(_write(tmp_path, "g.txt", "名".encode("gbk"))) == ("名", "gb18030")


@pytest.mark.parametrize(
    ("name", "body", "line", "sep"),
    [
        ("c.csv", b"a,b\n1,2,3\n", 2, "comma"),
        ("c.csv", b"a;b\n1;2;3\n", 2, "semicolon"),
        ("c.csv", b"a\tb\n1\t2\t3\n", 2, "tab"),
        ("c.csv", b"\n\na,b\n1,2\n3,4,5\n", 5, "comma"),
    ],
)
def test_a_row_with_too_many_cells_is_named_by_its_line(
    tmp_path: Path, name: str, body: bytes, line: int, sep: str
) -> None:
    path = _write(tmp_path, name, body)
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value) == (
        f"input file {path}, line {line}: 3 cells, but the header has 2 columns; fix that "
        f"line or export the file again (it was read as {sep}-separated text)"
    )


def test_a_quote_in_the_middle_of_a_cell_is_named_by_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.csv", b'a,b\n\n\n1,"x"y\n')
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value) == (
        f"input file {path}, line 4: text 'y' follows a closing double quote; a cell that "
        'holds quotes must be quoted whole, with each quote doubled (""); fix that line or '
        "export the file again (it was read as comma-separated text)"
    )


def test_headers_that_cannot_name_the_columns(tmp_path: Path) -> None:
    cases = [
        (
            b"a,a,b\n1,2,3\n",
            " has duplicate column headers: 'a'; rename or delete the repeated columns so "
            "every column has its own name",
        ),
        (
            b"a,,b\n1,,3\n4,x,6\n",
            ": column 2 has no header but holds values (such as 'x'); give it a header in the "
            "first line or delete it",
        ),
        (
            b"\n\n,\n1,2\n",
            " has no column headers (line 3 is blank); the first line must name the columns",
        ),
        (
            b"\n\n  \n",
            " is empty (only whitespace); export the profiles again or pick another file",
        ),
    ]
    for body, said in cases:
        path = _write(tmp_path, "h.csv", body)
        with pytest.raises(InputFileError) as info:
            read_csv(path)
        assert str(info.value) == f"input file {path}{said}"


def test_delimiters_line_ends_and_encodings_of_csv_files(tmp_path: Path) -> None:
    assert read_csv(_write(tmp_path, "c.tsv", b"a,b\tc\n1,2\t3\n")).rows() == [("1,2", "3")]
    semi = _write(tmp_path, "s.csv", b"a;b,c\n1;2,3\n")
    assert [b.rows() for b in csv_batches(semi, None, ";")] == [[("1", "2,3")]]
    assert read_csv(_write(tmp_path, "mac.csv", b"a,b\r1,2\r3,4\r")).rows() == [
        ("1", "2"),
        ("3", "4"),
    ]
    assert read_csv(_write(tmp_path, "g.csv", "名,值\n张,1\n".encode("gbk"))).to_dicts() == [
        {"名": "张", "值": "1"}
    ]
    u16 = _write(tmp_path, "u.txt", "\ufeffa\tb\r\n1\t2\r\n".encode("utf-16-le"))
    assert read_csv(u16).to_dicts() == [{"a": "1", "b": "2"}]


# -- encodings of whole csv files -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"", " is empty (0 bytes); export the profiles again or pick another file"),
        (
            b"PK\x03\x04abc",
            " is not a text file: it looks like an Excel workbook (.xlsx) or another ZIP "
            "archive; save it again as 'CSV UTF-8' (or 'Unicode Text') and retry",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1abc",
            " is not a text file: it looks like an old Excel workbook (.xls); save it again "
            "as 'CSV UTF-8' (or 'Unicode Text') and retry",
        ),
        (
            b"a,b\n\x00\x00\x00\x00\n",
            " is not a text file (it contains NUL bytes); save it again as 'CSV UTF-8' (or "
            "'Unicode Text') and retry",
        ),
        (
            "\ufeffa\tb\r\n1\t2\r\n".encode("utf-16-le") + b"\x00\xd8",
            " is not valid utf-16-le (byte 24: unexpected end of data); save it again as "
            "'CSV UTF-8' (or 'Unicode Text') and retry",
        ),
    ],
)
def test_a_csv_file_that_is_not_text_says_why(tmp_path: Path, body: bytes, said: str) -> None:
    path = _write(tmp_path, "x.csv", body)
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value) == f"input file {path}{said}"


def test_utf16_csv_files_with_and_without_a_mark(tmp_path: Path) -> None:
    be = _write(tmp_path, "be.csv", "\ufeffa,b\n1,2\n".encode("utf-16-be"))
    assert read_csv(be).to_dicts() == [{"a": "1", "b": "2"}]
    bare = _write(tmp_path, "bare.csv", "a,b\n1,2\n".encode("utf-16-be"))
    assert read_csv(bare).to_dicts() == [{"a": "1", "b": "2"}]


def test_files_converted_to_utf8_in_chunks(tmp_path: Path) -> None:
    # GBK and UTF-16 files are converted 1 MiB at a time; these are larger
    gbk = ("名,值\n" + "".join(f"张{i},{i}\n" for i in range(90_000))).encode("gbk")
    frame = read_csv(_write(tmp_path, "g.csv", gbk))
    assert frame.columns == ["名", "值"]
    assert (frame.height, frame.row(0), frame.row(-1)) == (
        90_000,
        ("张0", "0"),
        ("张89999", "89999"),
    )
    with pytest.raises(InputFileError) as info:
        read_csv(_write(tmp_path, "bad.csv", gbk + b"\x81\n"))
    assert "GB18030/GBK (byte 1237786: illegal multibyte sequence)" in str(info.value)
    body = "\ufeffa\tb\r\n" + "".join(f"{i}\t{i}\r\n" for i in range(60_000))
    u16 = body.encode("utf-16-le")
    frame = read_csv(_write(tmp_path, "u.txt", u16))
    assert frame.columns == ["a", "b"]
    assert (frame.height, frame.row(-1)) == (60_000, ("59999", "59999"))
    broken = u16 + b"\x00\xdc" + "1\t2\r\n".encode("utf-16-le")
    with pytest.raises(InputFileError) as info:
        read_csv(_write(tmp_path, "b.txt", broken))
    assert str(info.value).startswith(
        f"input file {tmp_path / 'b.txt'} is not valid utf-16-le (byte 1515572: illegal encoding)"
    )


def test_batches_hold_about_batch_rows_rows_after_the_first_mib(tmp_path: Path) -> None:
    # 150,000 records of 20 bytes: the first MiB read at once, then blocks of
    # batch_rows x 20 bytes, never less than 64 KiB (3,277 records)
    body = b"".join(b"%07d,abcdefghijk\n" % i for i in range(150_000))
    path = _write(tmp_path, "rows.csv", b"id,v\n" + body)
    heights = [b.height for b in csv_batches(path, 100)]
    assert (len(heights), heights[:4], heights[-2:]) == (
        31,
        [52_428, 3_277, 3_277, 3_276],
        [3_277, 2_545],
    )
    heights = [b.height for b in csv_batches(path, 10_000)]
    assert heights == [52_428] + [10_000] * 9 + [7_572]
    # a block larger than the first MiB is read whole before it is parsed
    assert [b.height for b in csv_batches(path, 100_000)] == [150_000]
    last = list(csv_batches(path, 10_000))[-1]
    assert last.row(-1) == ("0149999", "abcdefghijk")


def test_utf16_files_with_a_mark_and_few_ascii_characters(tmp_path: Path) -> None:
    # too few NUL bytes to tell UTF-16 by them: only the mark says it
    text = "\ufeff名字很长的列名,值很长的列名\r\n张三丰很长的名字,很长的值一二三\r\n"
    expected = [{"名字很长的列名": "张三丰很长的名字", "值很长的列名": "很长的值一二三"}]
    for encoding in ("utf-16-le", "utf-16-be"):
        path = _write(tmp_path, f"{encoding}.csv", text.encode(encoding))
        assert read_csv(path).to_dicts() == expected
    broken = _write(tmp_path, "b.csv", "\ufeffa,b\n1,2\n".encode("utf-16-be") + b"\xd8\x00")
    with pytest.raises(InputFileError) as info:
        read_csv(broken)
    assert str(info.value) == (
        f"input file {broken} is not valid utf-16-be (byte 20: unexpected end of data); "
        "save it again as 'CSV UTF-8' (or 'Unicode Text') and retry"
    )


def test_a_file_whose_last_utf8_character_is_cut_short_is_not_utf8(tmp_path: Path) -> None:
    # b"\xe5\x90" ends UTF-8 too early, and is one GB18030 character
    path = _write(tmp_path, "cut.csv", "a,b\n1,名".encode()[:-1])
    assert read_csv(path).to_dicts() == [{"a": "1", "b": "鍚"}]


def test_a_header_with_a_cell_too_long_for_the_csv_module_is_split_by_hand(
    tmp_path: Path,
) -> None:
    # Python's csv module refuses a field over 128 KiB: the first line is split as it is
    long = "x" * 200_000
    path = _write(tmp_path, "h1.csv", f'a b,"{long}",cX\r\n1,2,3\r\n'.encode())
    frame = read_csv(path)
    assert frame.columns == ["a b", f'"{long}"', "cX"]
    assert frame.rows() == [("1", "2", "3")]
    path = _write(tmp_path, "h2.csv", f'a b,"{long}",c \r\n1,2,3\r\n'.encode())
    assert read_csv(path).columns == ["a b", f'"{long}"', "c "]


def test_a_quoted_header_keeps_its_line_end_as_written(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.csv", b'"a\r\nb",c\r\n1,2\r\n')
    frame = read_csv(path)
    assert frame.columns == ["a\r\nb", "c"]
    assert frame.rows() == [("1", "2")]


def test_the_block_size_comes_from_the_first_records_length(tmp_path: Path) -> None:
    # 16-byte records (the least length a block is sized for): blocks of 10,000 exactly
    body = b"".join(b"%06d,abcdefgh\n" % i for i in range(100_000))
    path = _write(tmp_path, "r16.csv", b"ident,valuevalu\n" + body)
    assert [b.height for b in csv_batches(path, 10_000)] == [65_535] + [10_000] * 3 + [4_465]
    # 940-byte records after a 680-byte header: the header is not counted in their length
    header = ",".join(f"column_number_{i:02d}_with_a_long_name" for i in range(20))
    rows = b"".join(
        (",".join([f"{i:08d}"] + ["v" * 48] * 19)).encode() + b"\n" for i in range(3000)
    )
    path = _write(tmp_path, "r940.csv", header.encode() + b"\n" + rows)
    assert [b.height for b in csv_batches(path, 100)] == [1_114] + [100] * 18 + [86]
    # a first record of 1.5 MB, a quoted cell holding a line end: no line end to measure in
    # the first MiB, and the record is read on, block by block, from its opening quote
    small = b"".join(b"%06d,abcdefghijkl\n" % i for i in range(100_000))
    long = b"y" * 700_000 + b"\n" + b"y" * 800_000
    path = _write(tmp_path, "big.csv", b'a,b\n"' + long + b'",1\n' + small)
    batches = list(csv_batches(path, 1))
    assert [b.height for b in batches] == [29_857, 52_429, 17_715]
    assert batches[0].row(0) == (long.decode(), "1")
    assert batches[0].row(1) == ("000000", "abcdefghijkl")


def test_the_last_record_without_a_line_end_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "noend.csv", b"a,b\n1,2\n3,4")
    assert [b.rows() for b in csv_batches(path, 1)] == [[("1", "2"), ("3", "4")]]


def test_the_delimiter_is_sniffed_from_the_header_line_only(tmp_path: Path) -> None:
    assert read_csv(_write(tmp_path, "s1.csv", b"a;b\n1,2,3;4\n")).rows() == [("1,2,3", "4")]
    # a header alone, without a line end: its last character counts too
    frame = read_csv(_write(tmp_path, "s2.csv", b"a,b;c;"))
    assert (frame.columns, frame.height) == (["a,b", "c"], 0)


def test_a_row_of_blanks_or_of_one_letter_is_a_row_in_any_batch(tmp_path: Path) -> None:
    for name, body, row in [("w1.csv", b"a\n  \n", ("  ",)), ("w2.csv", b"a\nX\n", ("X",))]:
        path = _write(tmp_path, name, body)
        assert read_csv(path).rows() == [row]
        assert [b.rows() for b in csv_batches(path, 1)] == [[row]]


def test_empty_rows_at_the_end_of_a_batch_are_kept_when_values_follow(tmp_path: Path) -> None:
    # the first MiB ends with 5 empty rows; the next batch has values, so they are inner rows
    mib, head = 1 << 20, b"a,b\n"
    n = (mib - len(head) - 10) // 11
    last = b"x" * (5 + (mib - len(head) - 10) % 11) + b",yyyy\n"
    first = head + b"xxxxx,yyyy\n" * (n - 1) + last + b",\n" * 5
    assert len(first) == mib
    rest = b"".join(b"%05d,zzzz\n" % i for i in range(100))
    batches = list(csv_batches(_write(tmp_path, "held.csv", first + rest), 10))
    assert [b.height for b in batches] == [95_323, 105]
    rows = batches[1].rows()
    assert rows[:6] == [(None, None)] * 5 + [("00000", "zzzz")]
    assert rows[-1] == ("00099", "zzzz")


def test_a_single_empty_row_and_an_empty_last_cell_of_one_column_are_dropped(
    tmp_path: Path,
) -> None:
    frame = read_csv(_write(tmp_path, "o1.csv", b"a,b\n,\n"))
    assert (frame.columns, frame.height) == (["a", "b"], 0)
    assert read_csv(_write(tmp_path, "o3.csv", b'a\n1\n""\n')).rows() == [("1",)]


def test_a_zero_width_no_break_space_inside_the_text_is_kept(tmp_path: Path) -> None:
    # UTF-16 is converted a MiB (2**19 code units) at a time: the two U+FEFF of a cell
    # end the first chunk and start the second; only the byte-order mark is dropped
    units = 1 << 19
    head = "\ufeffid,v\n0," + "f" * (units - 12) + "\n"
    text = head + "1,\ufeff\ufeffz\n2,end\n"
    assert text.index("\ufeff\ufeff") == units - 1
    frame = read_csv(_write(tmp_path, "fe.csv", text.encode("utf-16-le")))
    assert frame.get_column("v").to_list()[1:] == ["\ufeff\ufeffz", "end"]
    assert frame.columns == ["id", "v"]


def test_a_utf16_file_keeps_its_first_letters_and_its_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "xy.csv", "\ufeffX,Y\r\n1,2\r\n".encode("utf-16-le"))
    assert read_csv(path).to_dicts() == [{"X": "1", "Y": "2"}]
    for name, data in [
        ("bl.csv", "\ufeff\r\n\r\nX,Y\r\n1,2,3\r\n".encode("utf-16-le")),
        ("gbk.csv", "\r\n\r\n名,值\r\n1,2,3\r\n".encode("gbk")),  # no mark before the blanks
    ]:
        path = _write(tmp_path, name, data)
        with pytest.raises(InputFileError) as info:
            read_csv(path)
        assert str(info.value) == (
            f"input file {path}, line 4: 3 cells, but the header has 2 columns; fix that line "
            "or export the file again (it was read as comma-separated text)"
        )


def test_mac_line_ends_are_told_from_the_first_mib(tmp_path: Path) -> None:
    # CR-only line ends for 1.3 MB, then one LF at the very end
    body = "a,b\r" + "".join(f"{i},{'m' * 20}\r" for i in range(50_000)) + "last,row\n"
    frame = read_csv(_write(tmp_path, "mac.csv", body.encode()))
    assert (frame.height, frame.row(0), frame.row(-1)) == (
        50_001,
        ("0", "m" * 20),
        ("last", "row"),
    )


def test_a_malformed_file_is_named_with_its_delimiter_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", b"a|b\n1|2|3\n")
    with pytest.raises(InputFileError) as info:
        list(csv_batches(path, None, "|"))
    assert str(info.value) == (
        f"input file {path}, line 2: 3 cells, but the header has 2 columns; fix that line or "
        "export the file again (it was read as '|'-separated text)"
    )
    # a byte-order mark and blank lines before the header: lines counted in the file
    path = _write(tmp_path, "m.csv", b"\xef\xbb\xbf\n\na,b\n1,2,3\n")
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value).startswith(f"input file {path}, line 4: 3 cells, but the header")


def test_a_problem_polars_finds_and_the_scan_does_not_quotes_polars(tmp_path: Path) -> None:
    # a carriage return alone after a closing quote: polars refuses it, and its first line
    # (cut at that CR) is quoted
    path = _write(tmp_path, "cr.csv", b'a,b\n"x"\r1,2\n')
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value).startswith(
        f"input file {path} is not a well-formed comma-separated file: could not parse "
    )
    assert "\n" not in str(info.value)


# -- errors that name the file -----------------------------------------------------------

_RETRY = "; save it again as 'CSV UTF-8' (or 'Unicode Text') and retry"


@pytest.mark.parametrize(
    ("data", "encoding", "said"),
    [
        (b"\xff", "utf-8", "x.csv is not valid utf-8 (byte 0: invalid start byte)"),
        (b"\xef\xbb\xbf\xff", None, "x.csv is not valid utf-8 (byte 0: invalid start byte)"),
        (
            b"\xfe\xff\xd8\x00",
            None,
            "x.csv is not valid utf-16-be (byte 0: unexpected end of data)",
        ),
        (
            ("abcdefghijklmnopqrstuvwxyz,c\n" * 2).encode("utf-16-le") + b"\x00\xdc",
            None,
            "x.csv is not valid utf-16-le (byte 116: illegal encoding)",
        ),
        (
            b"\x80\x80\xff",
            None,
            "x.csv is in an unknown encoding: tried UTF-8 (byte 0: invalid start byte) and "
            "GB18030/GBK (byte 0: illegal multibyte sequence)",
        ),
    ],
)
def test_bytes_that_do_not_decode_name_the_file_and_the_byte(
    data: bytes, encoding: str | None, said: str
) -> None:
    with pytest.raises(InputFileError) as info:
        decode_bytes(data, "x.csv", encoding)
    assert str(info.value) == f"input file {said}{_RETRY}"
    with pytest.raises(InputFileError) as info:
        decode_bytes(data, encoding=encoding)  # bytes from no file
    assert str(info.value) == f"input file <bytes>{said.removeprefix('x.csv')}{_RETRY}"


def test_whole_files_that_do_not_decode_name_their_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "l1.txt", b"caf\xe9")
    assert read_text(path, "latin-1") == ("café", "latin-1")
    with pytest.raises(InputFileError) as info:
        read_text(path)
    assert str(info.value) == (
        f"input file {path} is in an unknown encoding: tried UTF-8 (byte 3: unexpected end of "
        f"data) and GB18030/GBK (byte 3: incomplete multibyte sequence){_RETRY}"
    )
    path = _write(tmp_path, "j.json", b'[{"a": "\xe9"}]')
    with pytest.raises(InputFileError) as info:
        read_json(path)
    assert str(info.value) == (
        f"input file {path} is in an unknown encoding: tried UTF-8 (byte 8: invalid "
        f"continuation byte) and GB18030/GBK (byte 8: illegal multibyte sequence){_RETRY}"
    )


def test_a_file_name_too_long_for_the_system_is_an_input_file_error(tmp_path: Path) -> None:
    # is_dir() raised OSError for it, before the checks that name the file
    path = tmp_path / ("n" * 300 + ".csv")
    for read in (read_text, read_csv, lambda p: list(csv_batches(p))):
        with pytest.raises(InputFileError) as info:
            read(path)
        assert str(info.value) == f"input file {path} cannot be read: File name too long"


# -- readers -----------------------------------------------------------------------------


def test_a_reader_is_found_by_its_name_in_any_case_or_by_an_extension_without_a_dot() -> None:
    mine = Reader("MyFmt", ("xyz",), read_csv)
    readers = {"MyFmt": mine, "csv": CSV}
    assert reader_for(Path("a.csv"), readers, "myfmt") is mine
    assert reader_for(Path("a.XYZ"), readers) is mine
    with pytest.raises(UnknownKindError) as info:
        reader_for(Path("x.csv"), {"csv": CSV, "json": JSON, "jsonl": JSONL}, "parquet")
    assert (
        str(info.value) == "unknown input format 'parquet'; known input formats: csv, json, jsonl"
    )


def test_read_csv_takes_the_delimiter_it_is_given(tmp_path: Path) -> None:
    path = _write(tmp_path, "semi.csv", b"a,b;c\n1,2;3\n")
    assert read_csv(path, ";").to_dicts() == [{"a,b": "1,2", "c": "3"}]


def test_a_bad_byte_in_the_third_mib_is_counted_from_the_start(tmp_path: Path) -> None:
    body = "\ufeffa\tb\r\n" + "".join(f"{i}\t{i}\r\n" for i in range(110_000))
    u16 = body.encode("utf-16-le")
    assert len(u16) == 2_855_572  # the third MiB
    path = _write(tmp_path, "u3.txt", u16 + b"\x00\xdc" + "1\t2\r\n".encode("utf-16-le"))
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value) == (
        f"input file {path} is not valid utf-16-le (byte 2855572: illegal encoding){_RETRY}"
    )


def test_every_repeated_header_is_named_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.csv", b"a,a,b,b,a,c\n1,2,3,4,5,6\n")
    with pytest.raises(InputFileError) as info:
        read_csv(path)
    assert str(info.value) == (
        f"input file {path} has duplicate column headers: 'a', 'b'; rename or delete the "
        "repeated columns so every column has its own name"
    )
