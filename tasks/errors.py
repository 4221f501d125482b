"""Errors a user can cause: the CLI prints the message and exits with the code, no stack trace."""


class UserError(Exception):
    """Bad input or configuration; the message names the input and what to do."""

    exit_code = 1


class DataQualityError(UserError):
    """A source had more bad rows than validate.max_quarantine_fraction allows."""

    exit_code = 3


class ParamsError(UserError):
    """params.yaml or an override is invalid; the message names the key."""

    exit_code = 2
