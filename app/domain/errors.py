"""Errors a person can act on. Each carries a message meant for the screen."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every rule the domain refuses; ``str(error)`` is shown to the user."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field that cannot be accepted, with a message a manager can act on."""

    field: str
    message: str


class ValidationError(DomainError):
    """One or more fields of a form or an import row were refused."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems = [problems] if isinstance(problems, FieldProblem) else list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls(FieldProblem(field, message))


class NotFoundError(DomainError):
    """A record asked for by id or value does not exist (any more)."""


class ConflictError(DomainError):
    """The change clashes with the state of the store, such as a duplicate card."""


class PermissionDeniedError(DomainError):
    """The signed-in staff member may not do this."""
