"""Progress bars for the management commands of relations (export and import of curated data)."""

from collections.abc import Callable

from tqdm import tqdm


class ProgressBars:
    """A Progress that draws one tqdm bar per stage on standard error (standard output may be
    carrying the document itself)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: tqdm | None = None

    def __call__(self, stage: str, total: int) -> Callable[[int], None]:
        self.close()
        self.bar = tqdm(total=total, desc=stage, unit="", disable=not self.enabled)
        return self.bar.update

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
