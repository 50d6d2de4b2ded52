"""mlhandler-sarimax: SARIMAX forecasting (statsmodels) for mlhandler, as `class: SARIMAX`."""

__version__ = "0.1.0"
