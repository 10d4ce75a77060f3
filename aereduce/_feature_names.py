"""Names of the code columns, the same wherever codes are written.

scikit-learn's :class:`~sklearn.base.ClassNamePrefixFeaturesOutMixin` prefixes the lowercased
class name (``autoencodertransformer0``); the command line, the Dask and Spark transforms and
``fit-transform`` name codes by method (``ae0``, ``pca0``, ``umap0``), as scikit-learn's ``PCA``
does (``pca0``). One short prefix per estimator keeps a column's name the same whether the codes
came from Python or from the command line (trial 12 found ``autoencodertransformer0`` beside
``ae0``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted


class MethodPrefixFeaturesOutMixin(ClassNamePrefixFeaturesOutMixin):
    """``get_feature_names_out`` as scikit-learn's, with the class's ``_feature_prefix``."""

    _feature_prefix: str

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns: the method's prefix and the code's index.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only used to check the names against those seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_components_,)
            ``["ae0", "ae1", ...]`` for the autoencoder, ``["pca0", ...]`` for PCA.
        """
        check_is_fitted(self, "_n_features_out")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"{self._feature_prefix}{i}" for i in range(self._n_features_out)], dtype=object)
