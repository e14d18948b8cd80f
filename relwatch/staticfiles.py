"""Static files storage for production: whitenoise's compressed manifest storage, made
incremental.

Whitenoise compresses every file again on each ``collectstatic``, and Django rewrites
the hashed copy of every JavaScript file each time, so nothing on disk tells an old
compressed copy from a stale one. Brotli at its best level takes many seconds on
plotly.js, which ``make run`` would pay on every start after any static file changed.
This storage records the digest of each file it compressed (after the compression
finished, so an interrupted run leaves nothing trusted) and compresses only files whose
content changed.
"""

from __future__ import annotations

import hashlib
import json
import os

from whitenoise.storage import CompressedManifestStaticFilesStorage

RECORD_NAME = ".compressed-digests.json"


class IncrementalCompressedManifestStorage(CompressedManifestStaticFilesStorage):
    def compress_files(self, paths):
        paths = list(paths)
        record = self._read_record()
        digests = {path: _digest(self.path(path)) for path in paths}
        stale = [path for path in paths if not self._still_compressed(path, record, digests)]
        produced: dict[str, list[str]] = {path: [] for path in stale}
        for name, compressed_name in super().compress_files(stale):
            produced[name].append(compressed_name)
            yield name, compressed_name
        fresh = {path: entry for path, entry in record.items() if path in digests}
        for path, copies in produced.items():
            fresh[path] = {"digest": digests[path], "copies": copies}
        self._write_record(fresh)

    def _still_compressed(self, path: str, record: dict, digests: dict[str, str]) -> bool:
        entry = record.get(path)
        if not isinstance(entry, dict) or entry.get("digest") != digests[path]:
            return False
        return all(self.exists(copy) for copy in entry.get("copies", []))

    def _read_record(self) -> dict:
        try:
            with open(self.path(RECORD_NAME)) as handle:
                record = json.load(handle)
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _write_record(self, record: dict) -> None:
        target = self.path(RECORD_NAME)
        with open(target + ".tmp", "w") as handle:
            json.dump(record, handle, indent=0, sort_keys=True)
        os.replace(target + ".tmp", target)


def _digest(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
