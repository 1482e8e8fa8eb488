"""What users may add to and remove from the index, through the web chat or the JSON API alike.

Uploaded files are copied (names sanitised, type and size checked) into the index's upload folder
and indexed from there; a file that cannot be indexed is not kept; a name that another indexed file
already has (a seed article) is refused rather than replaced. Removing a document removes its
uploaded file once none of the file's documents is left.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rag.api import RAG
from rag.index.writes import IndexReport
from rag.ingest.formats import SUPPORTED

Status = Literal["added", "updated", "unchanged", "rejected", "failed"]


@dataclass(frozen=True)
class FileOutcome:
    """What became of one uploaded file; ``message`` says why it was rejected or failed (German)."""

    name: str
    status: Status
    message: str = ""


def safe_name(name: str) -> str:
    """A file name safe to write into the upload folder: base name only, [\\w.-] only, no leading dot."""
    base = re.sub(r"[^\w.-]", "_", Path(name.replace("\\", "/")).name).lstrip(".")
    return base[-200:] or "upload.txt"


class Uploads:
    """The upload folder of ``rag``'s index and its rules (``max_upload_mb``, supported types)."""

    def __init__(self, rag: RAG, max_upload_mb: int) -> None:
        self.rag = rag
        self.max_upload_mb = max_upload_mb
        self.folder = Path(rag.index_dir) / "uploads"

    def add(self, files: list[tuple[str, Path]]) -> tuple[list[FileOutcome], IndexReport | None]:
        """Check, copy and index ``files`` (name as uploaded, path of the received bytes)."""
        outcomes: list[FileOutcome] = []
        accepted: list[Path] = []
        limit = self.max_upload_mb * 1024 * 1024
        indexed = {d.file for d in self.rag.documents()}
        self.folder.mkdir(parents=True, exist_ok=True)
        for uploaded_name, source in files:
            name = safe_name(uploaded_name)
            target = self.folder / name
            size = source.stat().st_size
            if Path(name).suffix.lower() not in SUPPORTED:
                reason = f"Dateityp nicht unterstützt (erlaubt: {', '.join(SUPPORTED)})"
            elif size > limit:
                reason = f"zu groß ({size / 1024 / 1024:.1f} MB, höchstens {self.max_upload_mb} MB)"
            elif name in indexed and not target.exists():
                reason = "eine andere Datei dieses Namens ist schon im Index – bitte umbenennen"
            elif target in accepted:
                reason = "zweimal ausgewählt"
            else:
                shutil.copyfile(source, target)
                accepted.append(target)
                continue
            outcomes.append(FileOutcome(name, "rejected", reason))
        if not accepted:
            return outcomes, None
        report = self.rag.add(accepted, progress=True)
        outcomes += [FileOutcome(n, "added") for n in report.added]
        outcomes += [FileOutcome(n, "updated") for n in report.updated]
        outcomes += [FileOutcome(n, "unchanged") for n in report.unchanged]
        for error in report.errors:
            broken = next((p for p in accepted if error.startswith(f"{p}:")), None)
            if broken is None:
                outcomes.append(FileOutcome("", "failed", error))
                continue
            outcomes.append(FileOutcome(broken.name, "failed", error[len(str(broken)) + 1 :].strip()))
            if broken.name not in indexed:  # keep nothing we could not index
                broken.unlink(missing_ok=True)
        return outcomes, report

    def remove(self, doc_ids: list[str]) -> IndexReport:
        """Remove documents (by doc id or file name) and the uploaded files left without documents."""
        files = {d.file for d in self.rag.documents() if d.doc_id in doc_ids or d.file in doc_ids}
        report = self.rag.remove(doc_ids)
        left = {d.file for d in self.rag.documents()}
        for name in files - left:
            (self.folder / safe_name(name)).unlink(missing_ok=True)
        return report
