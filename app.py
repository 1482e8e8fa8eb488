"""Start the web chat on the bundled seeds/ corpus: ``python app.py`` (same as ``rag serve``)."""

from rag.app.server import serve
from rag.settings import Settings

if __name__ == "__main__":
    serve(Settings())
