"""Importing records from CSV files (``mailbot import``); see ``csv_import`` for the columns."""

from mailbot.importing.csv_import import KINDS, CsvFile, ImportReport, import_csv
from mailbot.importing.rows import RowError, parse_customer_row, parse_product_row, parse_service_row

__all__ = [
    "KINDS",
    "CsvFile",
    "ImportReport",
    "RowError",
    "import_csv",
    "parse_customer_row",
    "parse_product_row",
    "parse_service_row",
]
