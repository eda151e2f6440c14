"""Test support shared by every app's tests: small factory functions (no mocks of our DB)."""
