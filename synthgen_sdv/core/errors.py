"""One exception hierarchy; the CLI maps it to exit codes (2 bad input, 1 anything else)."""

from __future__ import annotations

from dataclasses import dataclass


class SynthgenError(Exception):
    """A failure we understand and can explain; exit code 1."""

    exit_code = 1


class InputError(SynthgenError):
    """Bad input from the user (config, data, arguments); exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: where it is, what is wrong, and what is allowed."""

    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.file:
            loc = f"{self.file}:{self.line}" if self.line else self.file
            where = f"{loc}: {self.path}"
        return f"{where}: {self.message}"


class ConfigError(InputError):
    """Every problem found in the configuration, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the configuration:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))

    def __reduce__(self):
        # raised in a worker process (a per-row expression, a parameter): it must unpickle
        # with its problems, not with its message taken for them
        return (type(self), (self.problems,))


class MissingExtraError(InputError):
    """An optional dependency is not installed; say which pip command fixes it.

    Exit code 2, like any argument this installation cannot honour (``--engine spark``,
    ``--model mostly``), and raised before any work starts."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the optional package '{package}', which is not installed. "
            f"Install it with: pip install -c constraints.txt -e '.[{extra}]'"
        )
