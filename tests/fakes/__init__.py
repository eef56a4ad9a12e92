"""Fakes of outside services that tests run the real client libraries against."""
