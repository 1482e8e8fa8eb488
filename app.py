"""Start the web chat on the bundled seeds/ corpus: ``python app.py`` (same as ``rag serve``)."""

from rag.settings import Settings
from rag.webapp import serve

if __name__ == "__main__":
    serve(Settings())
