"""The read step: encodings, delimiters, JSON shapes and every whole-file error."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from kolrules.errors import InputFileError, UnknownKindError
from kolrules.read import (
    CSV,
    JSON,
    JSONL,
    decode_bytes,
    kolrules_readers_register,
    read_csv,
    read_json,
    read_jsonl,
    read_text,
    reader_for,
    sniff_delimiter,
)

CHINESE_HEADER = "粉丝数,获赞与收藏,报价"
CHINESE_ROWS = "1.2万,3.5万,5000\n8000,,1.5万\n"


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def assert_all_string(frame: pl.DataFrame) -> None:
    assert all(dtype == pl.String for dtype in frame.dtypes), frame.schema


def error_of(reader: object, path: Path) -> str:
    assert callable(reader)
    with pytest.raises(InputFileError) as info:
        reader(path)
    message = str(info.value)
    assert path.name in message, message
    return message


# --------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------


def test_plain_utf8_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "kols.csv", CHINESE_HEADER + "\n" + CHINESE_ROWS)
    frame = read_csv(path)
    assert frame.columns == ["粉丝数", "获赞与收藏", "报价"]
    assert_all_string(frame)
    assert frame.rows() == [("1.2万", "3.5万", "5000"), ("8000", None, "1.5万")]
    assert read_text(path) == (CHINESE_HEADER + "\n" + CHINESE_ROWS, "utf-8")


def test_utf8_bom_is_removed_from_the_first_header(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + (CHINESE_HEADER + "\n1,2,3\n").encode())
    frame = read_csv(path)
    assert frame.columns[0] == "粉丝数"
    assert read_text(path).encoding == "utf-8-sig"


def test_gbk_chinese_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.csv", CHINESE_HEADER + "\n" + CHINESE_ROWS, encoding="gbk")
    # The bytes are not UTF-8, so this really exercises the GB18030 fallback.
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    frame = read_csv(path)
    assert frame.columns == ["粉丝数", "获赞与收藏", "报价"]
    assert frame.get_column("粉丝数").to_list() == ["1.2万", "8000"]
    assert read_text(path).encoding == "gb18030"


@pytest.mark.parametrize(
    ("codec", "bom", "name"),
    [
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ],
)
def test_utf16_tab_separated_excel_unicode_text(
    tmp_path: Path, codec: str, bom: bytes, name: str
) -> None:
    text = "粉丝数\t获赞与收藏\t报价\r\n1.2万\t3.5万\t\r\n9000\t1,200\t5000\r\n"
    path = write(tmp_path, "export.txt", bom + text.encode(codec))
    frame = read_csv(path)
    assert frame.columns == ["粉丝数", "获赞与收藏", "报价"]
    assert frame.rows() == [("1.2万", "3.5万", None), ("9000", "1,200", "5000")]
    assert read_text(path).encoding == name


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = write(tmp_path, "nobom.txt", "id\tfans\r\nA\t10\r\n".encode("utf-16-le"))
    assert read_csv(path).rows() == [("A", "10")]


def test_undecodable_bytes_name_the_file_and_the_encodings_tried(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", b"name,fans\n\x80\x80\xff,1\n")
    message = error_of(read_csv, path)
    assert "UTF-8" in message
    assert "GB18030" in message


def test_excel_workbook_is_refused_with_advice(tmp_path: Path) -> None:
    path = write(tmp_path, "kols.xlsx", b"PK\x03\x04" + b"\x00" * 40)
    message = error_of(read_csv, path)
    assert "Excel workbook" in message
    assert "CSV UTF-8" in message


def test_decode_bytes_with_explicit_encoding() -> None:
    assert decode_bytes("粉丝".encode("gbk"), "x", encoding="gbk") == ("粉丝", "gbk")


# --------------------------------------------------------------------------------------
# CSV shapes
# --------------------------------------------------------------------------------------


def test_semicolon_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "eu.csv", "id;fans;price\nA;1,5;200\n")
    frame = read_csv(path)
    assert frame.columns == ["id", "fans", "price"]
    assert frame.rows() == [("A", "1,5", "200")]


def test_tsv_suffix_forces_tab(tmp_path: Path) -> None:
    # The header has more commas than tabs, but a .tsv file is tab-separated.
    path = write(tmp_path, "x.tsv", "a,b\tc,d\n1,2\t3,4\n")
    assert read_csv(path).rows() == [("1,2", "3,4")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a,b,c", ","),
        ("a\tb\tc", "\t"),
        ("a;b;c", ";"),
        ('"a;b;c",d', ","),
        ("single", ","),
        ("a\tb,c\td", "\t"),
    ],
)
def test_sniff_delimiter(line: str, expected: str) -> None:
    assert sniff_delimiter(line) == expected


def test_cells_are_kept_exactly_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "raw.csv",
        ' id ,fans\n  A  ,00120\n"x, ""y""",1.20\n"",-\nmulti,"line1\nline2"\n',
    )
    frame = read_csv(path)
    assert frame.columns == [" id ", "fans"]
    assert_all_string(frame)
    assert frame.rows() == [
        ("  A  ", "00120"),
        ('x, "y"', "1.20"),
        (None, "-"),
        ("multi", "line1\nline2"),
    ]


def test_numbers_are_never_inferred(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i * 1.5}\n" for i in range(300))
    frame = read_csv(write(tmp_path, "n.csv", "a,b\n" + rows + "x,y\n"))
    assert_all_string(frame)
    assert frame.height == 301
    assert frame.row(-1) == ("x", "y")


def test_header_only_is_an_empty_frame(tmp_path: Path) -> None:
    frame = read_csv(write(tmp_path, "empty_rows.csv", "粉丝数,报价\n"))
    assert frame.columns == ["粉丝数", "报价"]
    assert frame.height == 0
    assert_all_string(frame)


def test_crlf_line_ends(tmp_path: Path) -> None:
    frame = read_csv(write(tmp_path, "win.csv", 'a,b\r\n1,"2"\r\n3,4\r\n'))
    assert frame.rows() == [("1", "2"), ("3", "4")]


def test_trailing_empty_rows_and_unnamed_empty_columns_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "a,b,,\n1,2,,\n,,,\n3,,,\n,,,\n\n")
    frame = read_csv(path)
    assert frame.columns == ["a", "b"]
    # The empty row in the middle stays, so row numbers still match the file.
    assert frame.rows() == [("1", "2"), (None, None), ("3", None)]


def test_short_rows_are_padded(tmp_path: Path) -> None:
    assert read_csv(write(tmp_path, "short.csv", "a,b,c\n1\n")).rows() == [("1", None, None)]


# --------------------------------------------------------------------------------------
# CSV errors
# --------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = error_of(read_csv, tmp_path / "nope.csv")
    assert "does not exist" in message


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "is a directory" in error_of(read_csv, folder)


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("reader", [read_csv, read_json, read_jsonl])
def test_empty_file(tmp_path: Path, data: bytes, reader: object) -> None:
    assert "is empty" in error_of(reader, write(tmp_path, "blank.dat", data))


def test_file_without_headers(tmp_path: Path) -> None:
    message = error_of(read_csv, write(tmp_path, "nohead.csv", ",,\n1,2,3\n"))
    assert "no column headers" in message


def test_duplicate_headers_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", "粉丝数,报价,粉丝数,id,id\n1,2,3,4,5\n")
    message = error_of(read_csv, path)
    assert "duplicate column headers" in message
    assert "'粉丝数'" in message
    assert "'id'" in message
    assert "'报价'" not in message


def test_unnamed_column_with_values(tmp_path: Path) -> None:
    message = error_of(read_csv, write(tmp_path, "anon.csv", "a,,b\n1,2,3\n"))
    assert "column 2 has no header" in message
    assert "'2'" in message


def test_row_with_too_many_cells_names_its_line(tmp_path: Path) -> None:
    body = "".join(f"{i},{i}\n" for i in range(50))
    path = write(tmp_path, "ragged.csv", "a,b\n" + body + "1,2,3\n4,5\n")
    message = error_of(read_csv, path)
    assert "line 52" in message
    assert "3 cells, but the header has 2 columns" in message


def test_line_numbers_count_multiline_cells_and_leading_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "ml.csv", '\na,b\n"x\ny",1\n1,2,3\n')
    assert "line 5" in error_of(read_csv, path)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('1,2\nab"c,2\n', "stray double quote"),
        ('1,2\n"ab"c,2\n', "follows a closing double quote"),
        ('1,2\n"ab,2\n3,4\n', "never closed"),
    ],
)
def test_malformed_quotes_name_the_line(tmp_path: Path, body: str, reason: str) -> None:
    message = error_of(read_csv, write(tmp_path, "quotes.csv", "a,b\n" + body))
    assert "line 3" in message
    assert reason in message


@pytest.mark.parametrize(
    ("head", "reason"),
    [('a,b"c\n', "stray double quote"), ('a,"b"c\n', "follows a closing double quote")],
)
def test_a_stray_quote_in_the_header_is_an_error_not_a_file_of_no_rows(
    tmp_path: Path, head: str, reason: str
) -> None:
    """The header's parser reads the names; the rows' parser would take the quote as
    opening a cell that never closes and read no row at all, silently."""
    message = error_of(read_csv, write(tmp_path, "quotes.csv", "\n" + head + "1,2\n3,4\n"))
    assert "line 2 (the header)" in message
    assert reason in message


def test_quotes_in_a_header_written_as_the_format_says_are_read(tmp_path: Path) -> None:
    frame = read_csv(write(tmp_path, "quoted.csv", 'a,"b ""x""","c\nd"\n1,2,3\n'))
    assert frame.columns == ["a", 'b "x"', "c\nd"]
    assert frame.height == 1


# --------------------------------------------------------------------------------------
# JSON and JSON Lines
# --------------------------------------------------------------------------------------


def test_json_array_of_objects(tmp_path: Path) -> None:
    rows = [
        {"id": "A", "粉丝数": 12000, "er": 0.035, "verified": True, "note": None},
        {"id": "B", "tags": ["美妆", "护肤"], "meta": {"城市": "上海"}, "粉丝数": "1.2万", "x": ""},
    ]
    path = write(tmp_path, "kols.json", json.dumps(rows, ensure_ascii=False))
    frame = read_json(path)
    assert frame.columns == ["id", "粉丝数", "er", "verified", "note", "tags", "meta", "x"]
    assert_all_string(frame)
    assert frame.row(0, named=True) == {
        "id": "A",
        "粉丝数": "12000",
        "er": "0.035",
        "verified": "true",
        "note": None,
        "tags": None,
        "meta": None,
        "x": None,
    }
    second = frame.row(1, named=True)
    assert second["粉丝数"] == "1.2万"
    assert json.loads(second["tags"]) == ["美妆", "护肤"]
    assert json.loads(second["meta"]) == {"城市": "上海"}
    assert second["verified"] is None
    assert second["x"] is None  # "" is an empty cell


def test_json_floats_use_repr_and_big_ints_stay_exact(tmp_path: Path) -> None:
    path = write(
        tmp_path, "n.json", '[{"a": 1.0, "b": 12345678901234567890, "c": 1e20, "d": false}]'
    )
    assert read_json(path).row(0) == ("1.0", "12345678901234567890", "1e+20", "false")


@pytest.mark.parametrize("key", ["rows", "data", "profiles"])
def test_json_object_with_a_list(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, "wrapped.json", json.dumps({"code": 0, key: [{"id": "A"}, {"id": "B"}]}))
    assert read_json(path).get_column("id").to_list() == ["A", "B"]


def test_json_rows_key_wins_over_data(tmp_path: Path) -> None:
    path = write(tmp_path, "both.json", '{"data": [{"x": "1"}], "rows": [{"y": "2"}]}')
    assert read_json(path).columns == ["y"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ('"hello"', "holds a string; expected an array"),
        ("42", "holds a number"),
        ('{"code": 0, "msg": "ok"}', "holds an object with keys 'code', 'msg'"),
        ('{"data": {"list": []}}', "'data' holds an object; expected an array"),
        ("[]", "is empty"),
        ('[{"id": "A"}, 3]', "item 2 of the top-level array is a number"),
        ('{"rows": [{"id": "A"}, [1]]}', "item 2 of the array under 'rows' is an array"),
        ('[{"id": "A", "id": "B"}]', "repeats the key(s) 'id'"),
        ("[{}, {}]", "holds no fields"),
        ('[{"a": NaN}]', "NaN is not a JSON value"),
        ('[{"a": 1,}]', "not valid JSON"),
        ('{"a": 1}\n{"a": 2}\n', "JSON Lines"),
    ],
)
def test_json_errors(tmp_path: Path, document: str, reason: str) -> None:
    assert reason in error_of(read_json, write(tmp_path, "bad.json", document))


def test_jsonl(tmp_path: Path) -> None:
    lines = [{"id": "A", "粉丝数": 100}, {"id": "B", "报价": 2.5, "note": "含“引号”"}]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n"
    frame = read_jsonl(write(tmp_path, "kols.jsonl", text))
    assert frame.columns == ["id", "粉丝数", "报价", "note"]
    assert frame.rows() == [("A", "100", None, None), ("B", None, "2.5", "含“引号”")]


def test_jsonl_keeps_line_separator_characters_inside_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "sep.jsonl", '{"bio": "a\u2028b"}\r\n{"bio": "c"}\r\n')
    assert read_jsonl(path).get_column("bio").to_list() == ["a\u2028b", "c"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"id": "A"}\n\n[1, 2]\n', "line 3 holds an array"),
        ('{"id": "A"}\n"B"\n', "line 2 holds a string"),
        ('{"id": "A"}\n{"id": \n', "line 2: not valid JSON"),
        ('{"id": "A", "id": "B"}\n', "line 1 repeats the key(s) 'id'"),
    ],
)
def test_jsonl_errors(tmp_path: Path, text: str, reason: str) -> None:
    assert reason in error_of(read_jsonl, write(tmp_path, "bad.jsonl", text))


# --------------------------------------------------------------------------------------
# Registration and choosing a reader
# --------------------------------------------------------------------------------------


def test_readers_are_registered() -> None:
    readers = tuple(kolrules_readers_register())
    assert [r.name for r in readers] == ["csv", "json", "jsonl", "xlsx"]
    assert CSV.read is read_csv
    assert ".txt" in CSV.extensions


def test_reader_for() -> None:
    readers = {r.name: r for r in (CSV, JSON, JSONL)}
    assert reader_for(Path("a/B.CSV"), readers) is CSV
    assert reader_for(Path("x.tsv"), readers) is CSV
    assert reader_for(Path("x.ndjson"), readers) is JSONL
    assert reader_for(Path("x.json"), readers) is JSON
    assert reader_for(Path("x.data"), readers, "jsonl") is JSONL
    assert reader_for(Path("x.csv"), readers, "JSON") is JSON
    with pytest.raises(UnknownKindError, match=r"unknown input format '\.xlsx'.*csv, json, jsonl"):
        reader_for(Path("x.xlsx"), readers)
    with pytest.raises(UnknownKindError, match="unknown input format 'noext'"):
        reader_for(Path("noext"), readers)
    with pytest.raises(UnknownKindError, match="'parquet'"):
        reader_for(Path("x.csv"), readers, "parquet")


def test_reader_instances_read(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "a\n1\n")
    assert CSV.read(path).rows() == [("1",)]
