"""mlhandler: serve machine-learning models as REST APIs configured in YAML."""

import pluggy

__version__ = "0.1.0"

#: Marker for plugin hook implementations: ``@mlhandler.hookimpl``.
hookimpl = pluggy.HookimplMarker("mlhandler")

from mlhandler.specs import EstimatorSpec, RendererSpec, TransformSpec  # noqa: E402

__all__ = ["hookimpl", "EstimatorSpec", "TransformSpec", "RendererSpec", "__version__"]
