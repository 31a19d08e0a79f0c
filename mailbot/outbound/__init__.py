"""The outbound direction: what is due, rendering, the outbox and sending."""
