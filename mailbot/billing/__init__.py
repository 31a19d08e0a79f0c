"""Billing: money in, invoices out."""
