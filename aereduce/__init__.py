"""aereduce: dimension reduction with autoencoders, shaped like scikit-learn's PCA.

The estimator is imported lazily so that ``aereduce --help`` does not pay for torch.
"""

from ._version import __version__

__all__ = ["AutoencoderTransformer", "AutoencoderOutlierDetector", "load", "reconstruction_scorer", "__version__"]


def __getattr__(name: str):
    if name == "AutoencoderTransformer":
        from .estimator import AutoencoderTransformer

        return AutoencoderTransformer
    if name == "AutoencoderOutlierDetector":
        from .outliers import AutoencoderOutlierDetector

        return AutoencoderOutlierDetector
    if name == "reconstruction_scorer":
        from .scoring import reconstruction_scorer

        return reconstruction_scorer
    if name == "load":
        from ._persistence import load_model

        return load_model
    raise AttributeError(f"module 'aereduce' has no attribute {name!r}")
