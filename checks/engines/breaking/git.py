"""Read the base version of a contract from git: the same path at another ref."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from checks.engines.openapi.spec import Spec
from checks.errors import InputError, UsageError
from checks.sources import Document

_EXTERNAL_REF = re.compile(r"""["']?\$ref["']?\s*:\s*["']?(?!#)[^\s"'#][^\s"']*""")


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise UsageError("--base needs git, which is not on PATH")
    return subprocess.run([git, *args], cwd=cwd, capture_output=True, check=False, timeout=120)  # noqa: S603 - fixed argv, no shell


def _repository(path: Path) -> Path:
    folder = path.resolve().parent
    result = _git(["rev-parse", "--show-toplevel"], folder)
    if result.returncode != 0:
        raise InputError("not inside a git repository, which --base needs", file=str(path))
    return Path(result.stdout.decode().strip())


@contextmanager
def spec_at(ref: str, path: Path) -> Iterator[Spec]:
    """The OpenAPI document at ``path`` as it was at git ``ref``, named ``REF:path`` in findings."""
    if not path.exists():
        raise InputError("OpenAPI document not found", file=str(path))
    top = _repository(path)
    relative = path.resolve().relative_to(top).as_posix()
    if ref.startswith("-") or _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top).returncode != 0:
        raise UsageError(f"--base: unknown git ref {ref!r} in {top.name}")
    shown = f"{ref}:{relative}"
    result = _git(["show", f"{ref}:{relative}"], top)
    if result.returncode != 0:
        raise InputError(f"{relative} does not exist at git ref {ref!r}", file=shown)
    try:
        text = result.stdout.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=shown) from None
    if not _EXTERNAL_REF.search(text):
        yield Spec.from_document(Document.from_text(text, name=shown), base=top / relative)
        return
    with tempfile.TemporaryDirectory(prefix="handbook-base-") as tmp:
        archive = _git(["archive", "--format=tar", ref], top)
        if archive.returncode != 0:
            raise InputError(f"cannot export git ref {ref!r}: {archive.stderr.decode().strip()}", file=shown)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        root = Path(tmp).resolve()

        def named(file: str | None) -> str | None:
            if file is None or not Path(file).is_absolute():
                return file
            return f"{ref}:{Path(file).resolve().relative_to(root).as_posix()}"

        try:
            spec = Spec.load(root / relative)
        except InputError as exc:
            raise InputError(exc.message, file=named(exc.file), line=exc.line) from None
        for doc in spec.docs.values():
            doc.path = named(doc.path) or doc.path
        yield spec
