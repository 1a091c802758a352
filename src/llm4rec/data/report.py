"""What a loader noticed: skipped rows (counted, with examples), duplicates and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from llm4rec.errors import DataError

EXAMPLES_KEPT = 5


@dataclass(frozen=True)
class RowProblem:
    """One bad row: where it is and what was wrong with it."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f":{self.line}" if self.line is not None else "")
        column = f" column {self.column!r}" if self.column else ""
        return f"{where}{column}: {self.reason}"


@dataclass
class LoadReport:
    """Collects problems; in strict mode the first bad row raises instead of being skipped."""

    skip_bad_rows: bool = False
    skipped: int = 0
    examples: list[RowProblem] = field(default_factory=list)
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def bad_rows(self, examples: list[RowProblem], count: int, hint: str) -> None:
        """Raise on the first bad row, or count them all and keep a few examples."""
        if not count:
            return
        if not self.skip_bad_rows:
            first = examples[0]
            more = f" ({count - 1} more bad rows after it)" if count > 1 else ""
            raise DataError(
                first.reason + more,
                file=first.file,
                line=first.line,
                column=first.column,
                hint=hint + " Or pass skip_bad_rows=True (--skip-bad-rows) to skip and count them.",
            )
        self.skipped += count
        self.examples.extend(examples[: max(0, EXAMPLES_KEPT - len(self.examples))])

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def lines(self) -> list[str]:
        """Human-readable summary lines; empty when nothing was noticed."""
        out = []
        if self.skipped:
            out.append(f"skipped {self.skipped} bad rows, for example:")
            out.extend(f"  {problem}" for problem in self.examples)
        if self.duplicates:
            out.append(
                f"{self.duplicates} duplicated (user, item, timestamp) rows kept, for example: "
                + "; ".join(self.duplicate_examples)
            )
        out.extend(self.warnings)
        return out

