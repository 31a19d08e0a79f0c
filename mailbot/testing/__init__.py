"""Helpers for tests and benchmarks (real servers on localhost); never imported by the running bot."""
