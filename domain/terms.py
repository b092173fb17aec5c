"""The Terms of Use new users accept. Bump the version when the text changes: acceptances
are stored with the version read."""

TERMS_VERSION = "2024-06"
