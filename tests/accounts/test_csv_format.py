"""The forgiving cell readers and the encoding check behind CSV import, and formula neutralisation."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts.imports.csv_format import (
    ImportFileError,
    decode_upload,
    infer_day_first,
    neutralise,
    normalise_header,
    parse_date,
    parse_flag,
    parse_money,
    read_table,
    unneutralise,
)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("12000", 12000),
        ("12,000", 12000),
        ("$12,000", 12000),
        ("$ 12,000.50", 12001),
        ("12.000,00 €", 12000),
        ("USD 1,234,567", 1234567),
        ("12k", 12000),
        ("1.5m", 1500000),
        ("0", 0),
        ("99,5", 100),
        ("£7", 7),
    ],
)
def test_money(raw, amount):
    assert parse_money(raw) == amount


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("-5", "negative"),
        ("(300)", "negative"),
        ("abc", "not an amount"),
        ("12,00,000", "not an amount"),
        ("=1+2", "not an amount"),
        ("$", "not an amount"),
    ],
)
def test_money_refusals(raw, why):
    with pytest.raises(ValueError, match=why):
        parse_money(raw)


@pytest.mark.parametrize(
    ("raw", "day_first", "expected"),
    [
        ("2026-03-31", None, date(2026, 3, 31)),
        ("2026/3/1", None, date(2026, 3, 1)),
        ("2026-03-31T10:00:00Z", None, date(2026, 3, 31)),
        ("31.03.2026", None, date(2026, 3, 31)),
        ("03/31/2026", None, date(2026, 3, 31)),
        ("31/03/2026", None, date(2026, 3, 31)),
        ("04/05/2026", True, date(2026, 5, 4)),
        ("04/05/2026", False, date(2026, 4, 5)),
        ("05/05/26", None, date(2026, 5, 5)),
        ("31 Mar 2026", None, date(2026, 3, 31)),
        ("March 31, 2026", None, date(2026, 3, 31)),
        ("31-Mar-2026", None, date(2026, 3, 31)),
    ],
)
def test_dates(raw, day_first, expected):
    assert parse_date(raw, day_first) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("04/05/2026", "could be 4 May or 5 April"),
        ("2026-13-01", "not a real"),
        ("tomorrow", "not a date"),
        ("31/31/2026", "not a real"),
    ],
)
def test_date_refusals(raw, why):
    with pytest.raises(ValueError, match=why):
        parse_date(raw)


def test_a_columns_date_order_is_judged_from_its_clear_values():
    assert infer_day_first(["04/05/2026", "25/12/2026"]) is True
    assert infer_day_first(["04/05/2026", "12/25/2026"]) is False
    assert infer_day_first(["04/05/2026"]) is None
    assert infer_day_first(["13/01/2026", "01/13/2026"]) is None  # contradictory: each ambiguous row errs


def test_flags():
    assert parse_flag("Yes") == (True, None) and parse_flag("0") == (False, None)
    assert parse_flag("2026-01-02") == (True, date(2026, 1, 2))
    with pytest.raises(ValueError, match="not yes/no"):
        parse_flag("maybe")


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Email Address", "email_address"),
        ("  ARR (USD) ", "arr_usd"),
        ("E-mail", "e_mail"),
        ("Renewal-Date", "renewal_date"),
        ("", ""),
    ],
)
def test_headers_fold(raw, name):
    assert normalise_header(raw) == name


def test_formula_cells_are_neutralised_and_restored():
    for cell in ("=1+2", "+44 20", "-x", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(cell) == "'" + cell
        assert unneutralise(neutralise(cell)) == cell
    assert neutralise("plain") == "plain" and neutralise(-5) == -5 and unneutralise("'quoted") == "'quoted"


def test_decoding():
    assert decode_upload("\ufeffa,b\n".encode()) == "a,b\n"
    assert decode_upload("é".encode()) == "é"
    with pytest.raises(ImportFileError, match=r"line 3.*Windows-1252.*“é”"):
        decode_upload("a\nb\nCafé\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="UTF-16") as exc:
        decode_upload("a,b".encode("utf-16-le"))
    assert exc.value.status == 422
    with pytest.raises(ImportFileError, match="10 MB") as exc:
        decode_upload(b"x" * (10 * 1024 * 1024 + 1))
    assert exc.value.status == 413


def test_reading_keeps_physical_line_numbers_and_skips_blank_rows():
    table = read_table('a,b\n1,"two\nlines"\n\n,\n3,4\n')
    assert table.header == ["a", "b"]
    assert [(r.line, r.cells) for r in table.records] == [(2, ["1", "two\nlines"]), (6, ["3", "4"])]
    assert read_table("a;b\n1;2\n").delimiter == ";" and read_table("a\tb\n1\t2\n").delimiter == "\t"
