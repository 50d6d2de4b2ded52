"""The numpy transform of the standard pipeline agrees with scikit-learn's bit for bit, falls
back to scikit-learn whenever it cannot be sure, and turns itself off if it ever disagrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mlhandler.options import ModelOptions
from mlhandler_sklearn import fastpath
from mlhandler_sklearn.fastpath import fast_transform
from mlhandler_sklearn.pipeline import wrap_estimator

FEATURES = ["Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"]


def fitted(titanic: pd.DataFrame, estimator=None, **opts):
    X = titanic[FEATURES]
    model, _ = wrap_estimator(estimator or LogisticRegression(max_iter=500), X,
                              ModelOptions().updated({"cats": ["Pclass"], **opts}))
    return model.fit(X, titanic["Survived"])


def variants(titanic: pd.DataFrame) -> list[pd.DataFrame]:
    base = titanic[FEATURES].head(40).reset_index(drop=True)
    unknown = base.assign(Embarked="Z", Sex=["alien"] * len(base), Pclass=7)
    holes = base.copy()
    holes.loc[::3, "Age"] = np.nan
    holes.loc[::4, "Embarked"] = np.nan
    holes.loc[::5, "Fare"] = np.nan
    float_class = base.assign(Pclass=base.Pclass.astype(float))
    return [base, base.head(1), unknown, holes, float_class, titanic[FEATURES]]


def test_numpy_transform_equals_sklearn_bit_for_bit(titanic):
    model = fitted(titanic)
    for frame in variants(titanic):
        fast = fast_transform(model, frame)
        assert fast is not None
        slow = model.steps[0][1].transform(frame)
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow)
        assert (model.steps[-1][1].predict(fast) == model.predict(frame)).all()


@pytest.mark.parametrize("change", [
    lambda f: f.assign(Fare=np.inf),                        # sklearn refuses infinity: let it say so
    lambda f: f.assign(Sex=[None] * len(f)),                # None is not NaN to sklearn's imputer
    lambda f: f.assign(Sex=1),                              # numbers where text categories are
    lambda f: f.assign(Age=f.Age.astype("Float64")),        # a pandas extension dtype
])
def test_data_it_cannot_vouch_for_goes_to_sklearn(titanic, change):
    model = fitted(titanic)
    assert fast_transform(model, titanic[FEATURES].head(5)) is not None
    assert fast_transform(model, change(titanic[FEATURES].head(5))) is None


def test_models_of_other_shapes_are_left_to_sklearn(titanic):
    numeric = titanic[["Age", "SibSp", "Parch", "Fare"]].fillna(0)
    bare = LogisticRegression(max_iter=500).fit(numeric, titanic["Survived"])
    assert fast_transform(bare, numeric) is None
    tree = fitted(titanic, DecisionTreeClassifier(random_state=0))
    assert fast_transform(tree, titanic[FEATURES]) is not None  # any final estimator works


def test_a_disagreement_turns_it_off_for_that_model(titanic, monkeypatch):
    model = fitted(titanic)
    frame = titanic[FEATURES].head(10)
    real = fastpath.FastTransform.transform
    monkeypatch.setattr(fastpath.FastTransform, "transform", lambda self, X: real(self, X) + 1e-12)
    assert fast_transform(model, frame) is None
    monkeypatch.setattr(fastpath.FastTransform, "transform", real)
    assert fast_transform(model, frame) is None  # off for good
    assert fast_transform(fitted(titanic), frame) is not None  # another model is unaffected
