"""scikit-learn's own estimator checks, plus the set_output and feature-name checks it leaves out."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    check_transformer_n_iter,
    parametrize_with_checks,
)

from aereduce import AutoencoderOutlierDetector, AutoencoderTransformer
from aereduce.pca import ScaledPCA

# Small budgets keep the ~50 checks fast; the options each exercise a different code path.
ESTIMATORS = [
    AutoencoderTransformer(max_iter=3, random_state=0),
    AutoencoderTransformer(max_iter=2, variational=True, tied_weights=False, random_state=0),
    AutoencoderTransformer(max_iter=2, tied_weights=True, sparsity="kl", noise="mask", random_state=0),
    AutoencoderOutlierDetector(n_estimators=2, n_components=2, max_iter=3, random_state=0),
    ScaledPCA(n_components=1),  # what --method pca fits and saves
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


EXTRA_CHECKS = [
    check_dataframe_column_names_consistency,  # its messages, which ours extend (trial 49)
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
]


@pytest.mark.parametrize("check", EXTRA_CHECKS, ids=lambda c: c.__name__)
def test_output_and_feature_name_checks(check):
    check(type(ESTIMATORS[0]).__name__, ESTIMATORS[0])


def test_the_default_estimator_reports_at_least_one_iteration():
    # On the check's 30 rows the default is PCA's closed-form solution, with no epoch: its n_iter_ was 0,
    # and check_estimator(AutoencoderTransformer()) failed (trial 21; the budgets above hid it).
    check_transformer_n_iter("AutoencoderTransformer", AutoencoderTransformer())
