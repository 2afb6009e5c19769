"""Tests of the reference service: behaviour through HTTP, and conformance to its contract."""
