"""What is wrong with files offered for deployment: one `Problem` per finding (file, element, line,
message) and the `DeploymentError` that carries them. Its own module so that every reader of the
files (engine.sources, engine.deployments, the domain's linters) reports in one shape."""
from dataclasses import asdict, dataclass


@dataclass
class Problem:
    file: str | None
    element: str | None
    line: int | None
    message: str


class DeploymentError(Exception):
    """The files cannot be deployed; `problems` names the file, element and line of each."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(f"{p.element or p.file}: {p.message}" for p in problems))

    def as_dicts(self):
        return [asdict(p) for p in self.problems]
