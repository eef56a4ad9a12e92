"""One lock for pdfium, which is not thread-safe: not even two documents on two threads.

Every pypdfium2 call in the process (the indexer reading PDFs on the sync thread, the app
rendering thumbnails and previews on its workers) runs while holding ``PDFIUM_LOCK``. Hold
it per page, not per document, so a long extraction never starves a thumbnail, and close
pdfium objects explicitly inside it: a finaliser run by the garbage collector would call
into pdfium from whichever thread happens to collect.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()  # re-entrant: a helper may call another that takes it too
