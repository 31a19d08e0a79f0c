"""Billing: invoices and the Italian electronic invoice (FatturaPA), built from values."""
