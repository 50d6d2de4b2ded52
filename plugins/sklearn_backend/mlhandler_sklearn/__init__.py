"""scikit-learn backend for mlhandler."""

__version__ = "0.1.0"
