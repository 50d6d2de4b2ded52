"""NLP backend for mlhandler: SentimentAnalysis and NER on HuggingFace transformers + torch."""

__version__ = "0.1.0"
