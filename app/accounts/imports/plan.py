"""CSV import, step one: read and check EVERY row of an upload and say what importing it would do.

The result (an ``ImportPlan``) lists rows to create, rows to update with their changed fields, and errors a
person can fix (line, column, why). Any error rejects the whole file; nothing is written here. Applying a
clean plan is ``apply.apply_batch``, which plans again and writes everything in one transaction.
"""

from __future__ import annotations

from typing import Any

from app.accounts.fields import MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES
from app.accounts.imports.compare import compare
from app.accounts.imports.csv_format import (
    MAX_CELL,
    ImportFileError,
    Record,
    Table,
    decode_upload,
    infer_day_first,
    normalise_header,
    read_table,
    unneutralise,
)
from app.accounts.imports.rows import HeaderMap, ImportPlan, PlannedRow
from app.accounts.imports.rules import SPECS, Column, ImportSpec, parse_cell


def plan_upload(kind: str, filename: str, data: bytes) -> tuple[ImportPlan, str]:
    """Decode, read and check an uploaded file; returns the plan and the decoded text to keep."""
    text = decode_upload(data)
    return plan_text(kind, filename, text), text


def plan_text(kind: str, filename: str, text: str) -> ImportPlan:
    """Check every row of a decoded CSV against the database; raises ImportFileError for file faults."""

    spec = SPECS[kind]
    table = read_table(text)
    plan = ImportPlan(kind=kind, filename=filename, delimiter=table.delimiter)
    header = map_header(spec, table)
    plan.attribute_columns = list(header.attributes.values())
    plan.headers = {col.field: header.headers[i] for i, col in header.fields.items()}
    plan.ignored_columns = header.ignored
    rows = [_read_row(spec, header, record, plan, _date_orders(header, table)) for record in table.records]
    _check_duplicates(spec, [r for r in rows if r is not None], plan)
    rows = [r for r in rows if r is not None and not r.failed]
    if not table.records:
        plan.notes.append("The file has a header but no rows.")
    compare(spec, rows, plan)
    plan.errors.sort(key=lambda e: e.line)  # stable: a line's errors keep their column order
    return plan


def map_header(spec: ImportSpec, table: Table) -> HeaderMap:
    """Match header cells to fields (case-insensitive, with aliases); unknown names become attributes."""
    lookup = spec.lookup()
    fields: dict[int, Column] = {}
    attributes: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(table.header):
        name = normalise_header(raw)
        if not name:
            if any(index < len(r.cells) and r.cells[index].strip() for r in table.records):
                raise ImportFileError(f"Column {index + 1} has values but no name in the first line.")
            continue
        column = lookup.get(name)
        if column is not None:
            if column.field in seen:
                raise ImportFileError(
                    f"Columns “{seen[column.field]}” and “{raw}” both mean {column.field}; keep only one."
                )
            seen[column.field] = raw
            fields[index] = column
        elif name in spec.ignored:
            ignored.append(raw)
        else:
            if raw in attributes.values():
                raise ImportFileError(f"Two columns are named “{raw}”; give them different names.")
            attributes[index] = raw[:100]
    _check_required(spec, seen, table.header)
    if len(attributes) > MAX_ATTRIBUTES:
        raise ImportFileError(
            f"The file has {len(attributes)} unknown columns; at most {MAX_ATTRIBUTES} can "
            "be kept as custom attributes."
        )
    return HeaderMap(fields, attributes, ignored, list(table.header))


def _check_required(spec: ImportSpec, seen: dict[str, str], header: list[str]) -> None:
    for column in spec.columns:
        if column.required and column.field not in seen:
            also = ", ".join(column.aliases[:5])
            found = ", ".join(h for h in header if h) or "nothing"
            raise ImportFileError(
                f"The required column “{column.field}” is missing (also accepted: {also}). "
                f"The first line has: {found}. Nothing was imported."
            )


def _date_orders(header: HeaderMap, table: Table) -> dict[int, bool | None]:
    """Per date column, whether a/b/yyyy dates are day-first, judged from the whole column."""
    orders: dict[int, bool | None] = {}
    for index, column in header.fields.items():
        if column.kind == "date":
            orders[index] = infer_day_first([r.cells[index] for r in table.records if index < len(r.cells)])
    return orders


def _read_row(
    spec: ImportSpec, header: HeaderMap, record: Record, plan: ImportPlan, orders: dict[int, bool | None]
) -> PlannedRow | None:
    """Parse one record's cells; errors go to the plan and the row is dropped."""
    before = plan.error_count
    if len(record.cells) > len(header.headers):
        plan.error(
            record.line,
            "",
            f"This row has {len(record.cells)} cells but the first line names "
            f"{len(header.headers)} columns; a value with a comma needs quotes.",
        )
        return None
    values: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for index, cell in enumerate(record.cells):
        raw = unneutralise(cell.strip())
        name = header.headers[index] or f"column {index + 1}"
        if not raw:
            continue  # a blank cell leaves the stored value as it is
        if len(raw) > MAX_CELL:
            plan.error(
                record.line, name, f"The value is {len(raw):,} characters long; the limit is {MAX_CELL:,}."
            )
        elif index in header.fields:
            column = header.fields[index]
            try:
                values[column.field] = parse_cell(column, raw, orders.get(index))
            except ValueError as exc:
                plan.error(record.line, name, str(exc))
        elif index in header.attributes:
            if len(raw) > MAX_ATTRIBUTE_VALUE:
                plan.error(
                    record.line,
                    name,
                    f"Custom attribute values are at most {MAX_ATTRIBUTE_VALUE} characters.",
                )
            attributes[header.attributes[index]] = raw
    key = values.get(spec.key)
    key_failed = any(e.column in _headers_of(header, spec.key) for e in plan.errors[before:])
    if key is None and not key_failed:
        plan.error(record.line, spec.key, f"{spec.key} is empty; every row needs one (it is how rows match).")
    _join_names(values)
    row = PlannedRow(line=record.line, key=str(key), values=values, attributes=attributes)
    row.failed = plan.error_count > before
    return row if key is not None else None


def _headers_of(header: HeaderMap, field_name: str) -> set[str]:
    """The file's header names that feed ``field_name``."""
    return {header.headers[i] for i, col in header.fields.items() if col.field == field_name}


def _join_names(values: dict[str, Any]) -> None:
    """First and last name columns make the name when no full-name cell is given."""
    first, last = values.pop("first_name", None), values.pop("last_name", None)
    if "name" not in values and (first or last):
        values["name"] = " ".join(p for p in (first, last) if p)[:200]


def _check_duplicates(spec: ImportSpec, rows: list[PlannedRow], plan: ImportPlan) -> None:
    """A key may appear once per file; a repeat is an error naming both lines."""
    first: dict[str, int] = {}
    for row in rows:
        folded = row.key.lower() if spec.key == "email" else row.key
        if folded in first:
            label = "email" if spec.key == "email" else "external ID"
            plan.error(
                row.line,
                spec.key,
                f"The {label} “{row.key}” is on lines {first[folded]} and {row.line}; "
                "each may appear only once.",
            )
        else:
            first[folded] = row.line
