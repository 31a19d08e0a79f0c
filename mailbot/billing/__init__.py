"""Billing: money in (payments, bank statements), invoices out (the Italian electronic invoice, FatturaPA)."""
