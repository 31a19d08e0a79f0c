"""Inbound mail: parsing, sender classification, reply splitting (pure code), then the intake shells."""
