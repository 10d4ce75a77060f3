"""aereduce.tables: reading the CSVs real users have, exact values and exact one-line errors.

Fixtures are small hand-written files in tmp_path, shaped like the public data sets that went
wrong (Palmer penguins, R's msleep, mtcars, Cars93, iris, diamonds).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import string
import sys
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from aereduce.errors import InputError, ModelFileError, OptionError
from aereduce.tables import (
    MissingValues,
    Table,
    TableWriter,
    default_output,
    format_of,
    iter_tables,
    output_frame,
    read_table,
    totals_rows,
    TotalsWatch,
    write_table,
)

PENGUINS = """species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year
Adelie,Torgersen,39.1,18.7,181,3750,male,2007
Adelie,Torgersen,NA,NA,NA,NA,NA,2007
Adelie,Torgersen,40.3,18,195,3250,female,2007
Gentoo,Biscoe,46.1,13.2,211,4500,female,2007
"""

MSLEEP = '''"name","genus","vore","order","conservation","sleep_total","sleep_rem","brainwt","bodywt"
"Cheetah","Acinonyx","carni","Carnivora","lc",12.1,NA,NA,50
"Owl monkey","Aotus","omni","Primates",NA,17,1.8,0.0155,0.48
"Cow","Bos","herbi","Artiodactyla","domesticated",4,0.7,0.423,600
'''

MTCARS = '''"","mpg","cyl","disp"
"Mazda RX4",21,6,160
"Datsun 710",22.8,4,108
"Hornet 4 Drive",21.4,6,258
'''

CARS93 = """Manufacturer,Model,Type,Cylinders,EngineSize,Price
Acura,Integra,Small,4,1.8,15.9
Mazda,RX-7,Sporty,rotary,1.3,32.5
Audi,90,Compact,6,2.8,29.1
"""


def write(tmp_path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(text)
    return str(path)


def raises(match_start: str, func, *args, **kwargs) -> str:
    """Call and check an InputError whose one-line message starts as given."""
    with pytest.raises(InputError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert type(info.value) is InputError
    assert "\n" not in message
    assert message.startswith(match_start), message
    return message


# -- columns -----------------------------------------------------------------------------------

def test_penguins_text_columns_are_skipped_and_reported(tmp_path):
    path = write(tmp_path, "penguins.csv", PENGUINS)
    table = read_table(path, missing="drop")
    assert table.feature_names == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    assert table.skipped_columns == ["species", "island", "sex"]
    np.testing.assert_array_equal(table.X[0], [39.1, 18.7, 181, 3750, 2007])
    assert np.isnan(table.X[1, :4]).all() and table.X[1, 4] == 2007
    assert table.row_numbers.tolist() == [2, 3, 4, 5]
    assert table.missing_counts() == {"bill_length_mm": 1, "bill_depth_mm": 1, "flipper_length_mm": 1, "body_mass_g": 1}


def test_penguins_missing_under_error_names_row_and_column(tmp_path):
    path = write(tmp_path, "penguins.csv", PENGUINS)
    message = raises(f"{path}: row 3, column 'bill_length_mm' is missing", read_table, path)
    assert message.endswith("(and 3 more missing values); fill it, or pass nan='drop', nan='zero' or nan='mean'")


def test_penguins_label_column_is_not_a_feature(tmp_path):
    path = write(tmp_path, "penguins.csv", PENGUINS)
    table = read_table(path, missing="zero", label_column="species", exclude=["year"])
    assert table.labels.tolist() == ["Adelie", "Adelie", "Adelie", "Gentoo"]
    assert table.label_name == "species"
    assert table.skipped_columns == ["island", "sex"]  # the label and excluded columns are not 'skipped'
    assert "year" not in table.feature_names


def test_msleep_quoted_names_and_r_na(tmp_path):
    path = write(tmp_path, "msleep.csv", MSLEEP)
    table = read_table(path, missing="mean", id_column="name")
    assert table.feature_names == ["sleep_total", "sleep_rem", "brainwt", "bodywt"]
    assert table.skipped_columns == ["genus", "vore", "order", "conservation"]
    assert table.ids.tolist() == ["Cheetah", "Owl monkey", "Cow"]
    np.testing.assert_array_equal(table.X[2], [4, 0.7, 0.423, 600])
    assert np.isnan(table.X[0, 1]) and np.isnan(table.X[0, 2])


def test_mtcars_unnamed_row_name_column(tmp_path):
    path = write(tmp_path, "mtcars.csv", MTCARS)
    table = read_table(path)
    assert table.feature_names == ["mpg", "cyl", "disp"]
    # R's row names, under an empty header cell, are the rows' ids without being asked.
    assert table.skipped_columns == [] and table.row_labels_as_ids and table.id_name == "Unnamed: 0"
    assert table.ids.tolist() == ["Mazda RX4", "Datsun 710", "Hornet 4 Drive"]
    np.testing.assert_array_equal(table.X[:, 0], [21, 22.8, 21.4])
    named = read_table(path, id_column="Unnamed: 0")
    assert named.ids.tolist() == table.ids.tolist() and not named.row_labels_as_ids
    # Left out by --exclude or taken as the labels, it is not made the id column.
    assert read_table(path, exclude=["Unnamed: 0"]).ids is None
    assert read_table(path, label_column="Unnamed: 0").ids is None


def test_cars93_rotary_cell_under_error(tmp_path):
    path = write(tmp_path, "Cars93.csv", CARS93)
    message = raises(f"{path}: non-numeric values in numeric columns: 'Cylinders' (row 3: 'rotary'); ", read_table, path)
    assert message.endswith("read them as missing with --nan mean (or drop, zero), or leave the columns out "
                            "with --exclude Cylinders")


def test_cars93_rotary_is_missing_under_mean(tmp_path):
    path = write(tmp_path, "Cars93.csv", CARS93)
    table = read_table(path, missing="mean")
    assert table.feature_names == ["Cylinders", "EngineSize", "Price"]
    assert table.skipped_columns == ["Manufacturer", "Model", "Type"]  # Model holds '90' once, but is mostly text
    assert table.non_numeric_counts == {"Cylinders": 1}
    assert np.isnan(table.X[1, 0]) and table.X[0, 0] == 4
    missing = MissingValues("mean")
    X, encodable = missing.fit_apply(table)
    assert X[1, 0] == 5.0 and encodable.all()
    assert missing.summary() == "filled 1 missing value with the training means (Cylinders: 1)"


def test_every_bad_column_is_listed_in_one_error(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c\n1,2,3\nx,5,?\n7,8,9\n")
    message = raises(f"{path}: non-numeric values in numeric columns: 'a' (row 3: 'x'), 'c' (row 3: '?'); ", read_table, path)
    assert message.endswith("--exclude a,c")


def test_a_column_is_numeric_when_most_cells_are_numbers(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c\n1,x,1\n2,y,?\n3,4,2\n")  # b: 1 number of 3; c: 2 of 3
    raises(f"{path}: non-numeric values in numeric columns: 'c' (row 3: '?'); ", read_table, path)
    table = read_table(path, missing="zero")
    assert table.feature_names == ["a", "c"] and table.skipped_columns == ["b"]
    assert table.non_numeric_counts == {"c": 1}


def test_requested_text_columns_are_an_error_naming_them(tmp_path):
    path = write(tmp_path, "iris.csv", "sepal_length,species,genus\n5.1,setosa,Iris\n4.9,setosa,Iris\n")
    raises(f"{path}: columns 'species', 'genus' from --columns are not numeric (row 2 of 'species' holds 'setosa'); "
           "leave them out, or use one with --label-column or --id-column",
           read_table, path, columns=["sepal_length", "species", "genus"])


def test_requested_columns_keep_their_order(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c\n1,2,3\n4,5,6\n")
    table = read_table(path, columns=["c", "a"])
    assert table.feature_names == ["c", "a"]
    assert table.X.tolist() == [[3, 1], [6, 4]]


@pytest.mark.parametrize("option, message", [
    ({"columns": ["a", "zz"]}, "{path}: no column 'zz' (from --columns); columns are a, b, s"),
    ({"exclude": ["zz"]}, "{path}: no column 'zz' (from --exclude); columns are a, b, s"),
    ({"id_column": "zz"}, "{path}: no column 'zz' for --id-column; columns are a, b, s"),
    ({"label_column": "zz"}, "{path}: no column 'zz' for --label-column; columns are a, b, s"),
])
def test_unknown_column_names(tmp_path, option, message):
    path = write(tmp_path, "d.csv", "a,b,s\n1,2,x\n")
    assert raises("", read_table, path, **option) == message.format(path=path)


def test_no_numeric_column_left(tmp_path):
    path = write(tmp_path, "d.csv", "name,kind\nx,y\nz,w\n")
    assert raises("", read_table, path) == (f"{path}: no numeric feature columns (text columns skipped: name, kind); "
                                            "check --columns, --exclude, --id-column and --label-column")


def test_duplicate_column_names_are_an_error_not_a_rename(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,a\n1,2,3\n")
    assert raises("", read_table, path) == (f"{path}: the header names column 'a' twice (columns 1 and 3); "
                                            "rename one so that every column has its own name")


def test_duplicate_names_after_stripping_spaces(tmp_path):
    path = write(tmp_path, "d.csv", "x, y,y \n1,2,3\n")
    # the spaces said, as 'Price' and 'Price ' look alike (trial 44)
    raises(f"{path}: the header names column 'y' twice (columns 2 and 3, written 'y' and 'y ')", read_table, path)


def test_header_names_are_stripped(tmp_path):
    path = write(tmp_path, "d.csv", "a, b , c\n1, 2, 3\n")
    table = read_table(path)
    assert table.feature_names == ["a", "b", "c"]
    assert table.X.tolist() == [[1, 2, 3]]


@pytest.mark.parametrize("cells, expected", [
    (("TRUE", "FALSE", "TRUE"), [1, 0, 1]),
    (("True", "False", "NA"), [1, 0, np.nan]),
    (("true", "1", "0"), [1, 1, 0]),
])
def test_boolean_columns_are_numeric(tmp_path, cells, expected):
    path = write(tmp_path, "d.csv", "x,flag\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells)))
    table = read_table(path, missing="zero")
    assert table.feature_names == ["x", "flag"]
    np.testing.assert_array_equal(table.X[:, 1], expected)


def test_an_all_empty_column_stays_numeric(tmp_path):
    path = write(tmp_path, "d.csv", "a,b\n1,\n2,\n")
    table = read_table(path, missing="drop")
    assert table.feature_names == ["a", "b"] and table.skipped_columns == []
    assert np.isnan(table.X[:, 1]).all()
    raises(f"{path}: column 'b' has no values, so it has no mean to fill with; leave it out with --exclude b",
           MissingValues("mean").fit, table)
    # dropping rows cannot help either: --exclude is named at once, not after "no row is left" (trial 12)
    raises(f"{path}: column 'b' has no values; leave it out with --exclude b", MissingValues("drop").fit, table)
    # zeros too: a constant column carries nothing to reduce (and numpy warned of its empty mean)
    raises(f"{path}: column 'b' has no values; leave it out with --exclude b", MissingValues("zero").fit, table)
    # read under the default policy: the empty column, not its first cell, whose advice (--nan drop) failed next
    raises(f"{path}: column 'b' has no values; leave it out with --exclude b", read_table, path)
    # every column empty: not "--exclude" of them all (trial 22)
    empty = write(tmp_path, "e.csv", "a,b\n,\n,\n")
    raises(f"{empty}: every feature column (a, b) is empty: there are no numbers to fit on; check that the file "
           "holds them, and the delimiter (--sep) and decimal mark (--decimal)", read_table, empty)


@pytest.mark.parametrize("policy, why", [("error", ""), ("drop", ""), ("zero", ""),
                                         ("mean", ", so it has no mean to fill with")])
def test_a_column_with_no_values_is_refused_under_every_policy(tmp_path, policy, why):
    """A trial's fit --nan zero took an empty column, and numpy's 'Mean of empty slice' reached the user."""
    path = write(tmp_path, "d.csv", "a,allnan,b\n1,,2\n3,,5\n4,,4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # quietly: no numpy warning on the way
        expected = f"{path}: column 'allnan' has no values{why}; leave it out with --exclude allnan"
        assert raises("", MissingValues(policy).fit, read_table(path, missing="drop")) == expected
        if policy == "error":  # the reader refuses it first under "error", in the same words
            assert raises("", read_table, path) == expected
    # one that is empty in the training rows only is no such column: zeros and means fill it on new data
    missing = MissingValues("zero").fit(read_table(write(tmp_path, "t.csv", "a,b\n1,2\n3,4\n")))
    assert missing.apply(np.array([[np.nan, 1.0]]))[0].tolist() == [[0.0, 1.0]]


def test_id_column_is_read_as_text(tmp_path):
    path = write(tmp_path, "d.csv", "zip,a\n00501,1\n02134,2\n")
    table = read_table(path, id_column="zip")
    assert table.ids.tolist() == ["00501", "02134"] and table.id_name == "zip"
    assert table.feature_names == ["a"]


def test_ids_and_labels_are_read_as_written(tmp_path):
    # Namibia's code and North America's region are 'NA'; 'None' and 'null' are names too.
    path = write(tmp_path, "d.csv", "country,region,a,b\nNA,NA,1,NA\nNone,EU,2,3\nnull,,3,4\n")
    table = read_table(path, id_column="country", label_column="region", missing="mean")
    assert table.ids.tolist() == ["NA", "None", "null"]
    assert table.labels[:2].tolist() == ["NA", "EU"] and pd.isna(table.labels[2])
    # In the features 'NA' is still R's missing number.
    assert np.isnan(table.X[0, 1]) and table.non_numeric_counts == {}


def test_numeric_labels_come_back_as_written_and_are_numbers_for_analysis(tmp_path):
    from aereduce.tables import label_values

    path = write(tmp_path, "d.csv", "y,a\n1,1\nNA,2\n3,3\n,4\n")
    labels = read_table(path, label_column="y").labels
    assert labels[:3].tolist() == ["1", "NA", "3"] and pd.isna(labels[3])  # written back as read
    values = label_values(labels)
    assert values.dtype == np.float64 and values[[0, 2]].tolist() == [1.0, 3.0] and np.isnan(values[[1, 3]]).all()
    assert label_values(np.array(["1", "2"], dtype=object)).tolist() == [1, 2]
    assert label_values(np.array(["NA", "EU"], dtype=object)).tolist() == ["NA", "EU"]  # a two-letter code
    # else R's missing factor level (trial 42: Hitters' positions, 20 of them scored as a class "NA")
    assert label_values(np.array(["NA", "1B", "OF", None], dtype=object)).tolist() == [None, "1B", "OF", None]


def test_infinite_value_is_an_error(tmp_path):
    path = write(tmp_path, "d.csv", "a,b\n1,2\n3,-inf\n")
    assert raises("", read_table, path, missing="mean") == f"{path}: row 3, column 'b' is infinite; fix or remove that value"
    # named by its id too, as a missing value is (trial 42: USArrests' Utah was "row 45")
    path = write(tmp_path, "e.csv", "state,a,b\nOhio,1,2\nUtah,3,-inf\n")
    assert raises("", read_table, path, missing="mean", id_column="state") == (
        f"{path}: row 3 (id 'Utah'), column 'b' is infinite; fix or remove that value")


def test_a_value_too_large_to_scale_is_refused_by_fit_alone(tmp_path):
    """Trial 37: one cell of 1e300 failed the fit as "MSE nan ... lower --lr", advice that could not help.
    The reader reads it (a round trip of numbers must not lose it); fit refuses it by row and column."""
    from aereduce.usecases import ReadOptions, read_for_fit

    path = write(tmp_path, "d.csv", "a,b\n1,2\n3,1e300\n4,5\n")
    assert read_table(path).X[1, 1] == 1e300
    assert raises("", read_for_fit, path, ReadOptions()) == (
        f"{path}: row 3, column 'b' holds 1e+300, too large to scale (beyond 1e+150); fix or remove that value")


# -- missing values ----------------------------------------------------------------------------

def test_missing_values_mean_uses_training_means_on_new_data():
    missing = MissingValues("mean").fit(np.array([[1.0, 10.0], [3.0, np.nan], [5.0, 30.0]]))
    X, encodable = missing.apply(np.array([[np.nan, np.nan], [7.0, 8.0]]))
    assert X.tolist() == [[3.0, 20.0], [7.0, 8.0]]
    assert encodable.tolist() == [True, True]
    assert missing.counts_ == {"x0": 1, "x1": 1}


def test_missing_values_zero():
    X, encodable = MissingValues("zero").fit_apply(np.array([[np.nan, 2.0], [1.0, 3.0]]))
    assert X.tolist() == [[0.0, 2.0], [1.0, 3.0]] and encodable.tolist() == [True, True]


def test_missing_values_drop_marks_rows_and_keeps_them():
    missing = MissingValues("drop")
    X, encodable = missing.fit_apply(np.array([[1.0, 2.0], [np.nan, 4.0], [5.0, 6.0]]))
    assert encodable.tolist() == [True, False, True]
    assert X[0].tolist() == [1.0, 2.0] and np.isnan(X[1, 0])
    assert missing.summary() == "1 of 3 rows has missing values (x0: 1) and was not encoded; its output row is empty"


def test_the_columns_that_miss_most_come_first_and_dropping_most_rows_says_what_to_do():
    missing = MissingValues("drop")
    X = np.array([[np.nan, 1.0, 2.0], [1.0, np.nan, 2.0], [1.0, np.nan, 2.0], [1.0, np.nan, 2.0], [1.0, 1.0, 2.0]])
    missing.fit_apply(X, ["a", "b", "c"])
    assert missing.summary("were left out of training") == (
        "4 of 5 rows have missing values (b: 3, a: 1) and were left out of training; that is most rows: --nan mean "
        "fills the gaps instead, or --exclude b leaves out the column with most of them (3)")
    filled = MissingValues("mean")
    filled.fit_apply(X[:3], ["a", "b", "c"])
    assert filled.summary() == "filled 3 missing values with the training means (b: 2, a: 1)"


def test_a_missing_value_in_a_chunk_counts_the_others_of_the_rows_read_so_far(tmp_path):
    from aereduce.tables import iter_tables

    path = write(tmp_path, "gaps.csv", "a,b\n" + "".join(f"{i},{'' if i % 2 else i}\n" for i in range(10)))
    message = raises(path, lambda p: list(iter_tables(p, 4)), path)
    assert message == (f"{path}: row 3, column 'b' is missing (and 1 more missing value in rows 2-5, the part of the "
                       "file read so far); fill it, or pass nan='drop', nan='zero' or nan='mean'")
    assert raises(path, read_table, path) == (f"{path}: row 3, column 'b' is missing (and 4 more missing values); "
                                              "fill it, or pass nan='drop', nan='zero' or nan='mean'")


def test_missing_values_error_names_the_file_row_of_a_table(tmp_path):
    path = write(tmp_path, "d.csv", "a,b\n1,2\n\n3,\n")
    table = read_table(path, missing="drop")
    assert raises("", MissingValues("error").fit, table) == (
        f"{path}: row 4, column 'b' is missing; fill it, or pass nan='drop', nan='zero' or nan='mean'")


def test_missing_values_error_on_an_array():
    assert raises("", MissingValues("error").fit, np.array([[1.0], [np.nan]]), ["height"]) == (
        "data: row 2, column 'height' is missing; fill it, or pass nan='drop', nan='zero' or nan='mean'")


def test_missing_values_counts_add_up_over_chunks():
    missing = MissingValues("zero").fit(np.zeros((1, 2)), ["a", "b"])
    missing.apply(np.array([[np.nan, 1.0]]))
    missing.apply(np.array([[np.nan, np.nan], [1.0, 1.0]]))
    assert missing.counts_ == {"a": 2, "b": 1} and missing.n_rows_ == 3
    assert missing.summary() == "filled 3 missing values with 0 (a: 2, b: 1)"
    assert MissingValues("zero").fit(np.zeros((1, 1))).summary() is None


def test_missing_values_round_trip_through_json():
    missing = MissingValues("mean").fit(np.array([[1.0, 2.0], [2.0, np.nan]]), ["a", "b"])
    again = MissingValues.from_dict(json.loads(json.dumps(missing.to_dict())))
    assert again.policy == "mean" and again.feature_names_ == ["a", "b"]
    assert again.fill_values_.tolist() == [1.5, 2.0]
    X, _ = again.apply(np.array([[np.nan, np.nan]]))
    assert X.tolist() == [[1.5, 2.0]]


@pytest.mark.parametrize("record", [
    {"policy": "median", "feature_names": None, "fill_values": None},
    {"policy": "mean", "feature_names": ["a"], "fill_values": [1.0, 2.0]},
    {"policy": "mean", "feature_names": ["a"], "fill_values": None},
    {"feature_names": None},
])
def test_missing_values_from_a_bad_record(record):
    with pytest.raises(ModelFileError, match=r"^not a valid missing-value record \("):
        MissingValues.from_dict(record)


def test_missing_values_checks_the_columns_of_new_tables(tmp_path):
    missing = MissingValues("zero").fit(read_table(write(tmp_path, "a.csv", "a,b\n1,2\n")))
    other = read_table(write(tmp_path, "b.csv", "b,a\n1,2\n"))
    raises(f"{other.source}: column 'b' is not where the missing-value settings expect it; give the columns a, b in that order",
           missing.apply, other)
    raises("data: has 3 feature columns; the missing-value settings were learnt on 2", missing.apply, np.zeros((1, 3)))


def test_counts_of_one_are_singular(tmp_path):
    """A trial's note read 'filled 1 missing values'."""
    for policy, how in (("zero", "0"), ("mean", "the training means")):
        missing = MissingValues(policy)
        missing.fit_apply(np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]]), ["a", "b"])
        assert missing.summary() == f"filled 1 missing value with {how} (b: 1)"
        missing.apply(np.array([[np.nan, np.nan]]))
        assert missing.summary() == f"filled 3 missing values with {how} (b: 2, a: 1)"
    one = MissingValues("zero").fit(np.zeros((1, 2)), ["a", "b"])
    raises("data: has 1 feature column; the missing-value settings were learnt on 2", one.apply, np.zeros((1, 1)))
    path = write(tmp_path, "b.csv", "b\n1\n2\n")
    assert raises("", read_table, path, columns=["a"], columns_from="the model's columns") == (
        f"{path}: no column 'a', which the model was trained on; the model expects 1 column; if the file's one column "
        "is the model's, pass --columns b")


def test_unknown_missing_value_policy():
    assert raises("", MissingValues, "median") == "unknown missing-value policy 'median'; use one of error, drop, zero, mean"
    raises("unknown missing-value policy 'nope'", iter_tables, "x.csv", None, missing="nope")


def test_carried_columns_can_be_optional(tmp_path):
    path = write(tmp_path, "d.csv", "a,b\n1,2\n3,4\n")
    table = read_table(path, id_column="id", label_column="y", carried_optional=True)
    assert table.ids is None and table.labels is None and table.X.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(InputError, match="no column 'id' for --id-column"):
        read_table(path, id_column="id")


# -- outputs aligned with inputs ---------------------------------------------------------------

def test_output_frame_leaves_rows_that_could_not_be_encoded_empty(tmp_path):
    path = write(tmp_path, "d.csv", "id,a\nr1,1\nr2,\nr3,3\n")
    table = read_table(path, id_column="id", missing="drop")
    X, encodable = MissingValues("drop").fit_apply(table)
    frame = output_frame(X[encodable] * 10, ["z"], table, encodable)
    assert frame["id"].tolist() == ["r1", "r2", "r3"]
    assert frame["z"].tolist()[0] == 10 and np.isnan(frame["z"].tolist()[1]) and frame["z"].tolist()[2] == 30


def test_output_frame_takes_values_for_every_row_and_adds_row_numbers(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "a\n1\n\n2\n"))
    frame = output_frame(np.array([[5.0], [6.0]]), ["z"], table, np.array([False, True]), row_column="row")
    assert list(frame.columns) == ["row", "z"]
    assert frame["row"].tolist() == [2, 4] and np.isnan(frame["z"][0]) and frame["z"][1] == 6.0
    with pytest.raises(ValueError, match="3 result rows for a table of 2 rows"):
        output_frame(np.zeros((3, 1)), ["z"], table)


def test_writing_text_ids_to_npy_is_an_error_and_leaves_nothing(tmp_path):
    out = tmp_path / "codes.npy"
    frame = pd.DataFrame({"id": ["a", "b"], "z": [1.0, 2.0]})
    raises(f"{out}: a .npy file holds numbers only, and column 'id' is text; write .npz (which keeps it), .csv or "
           ".parquet, or leave the column out", write_table, str(out), frame)
    assert list(tmp_path.iterdir()) == []


def test_npz_keeps_text_ids_and_reads_back(tmp_path):
    out = str(tmp_path / "codes.npz")
    write_table(out, pd.DataFrame({"id": ["a", None], "z0": [1.0, 2.0], "z1": [3.0, 4.0]}))
    with np.load(out) as npz:
        assert npz["id"].tolist() == ["a", ""] and npz["columns"].tolist() == ["z0", "z1"]
    table = read_table(out, id_column="id")
    assert table.feature_names == ["z0", "z1"] and table.ids.tolist() == ["a", ""]
    assert table.X.tolist() == [[1, 3], [2, 4]]


def test_table_writer_streams_gzip_csv_in_chunks(tmp_path):
    out = str(tmp_path / "codes.csv.gz")
    with TableWriter(out) as writer:
        writer.write(pd.DataFrame({"z": [1.0]}))
        writer.write(pd.DataFrame({"z": [2.0]}))
    assert gzip.decompress((tmp_path / "codes.csv.gz").read_bytes()) == b"z\n1.0\n2.0\n"
    assert read_table(out).X.tolist() == [[1.0], [2.0]]


def test_a_table_writer_whose_file_fails_to_close_leaves_nothing(tmp_path, monkeypatch):
    """Closing writes gzip's trailer (or Parquet's footer) and can fail on a full disk: the temporary
    file was left behind and the signal handlers stayed replaced."""
    import signal

    from aereduce import _files

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(OSError, match="No space left"):
        with TableWriter(str(tmp_path / "codes.csv.gz")) as writer:
            writer.write(pd.DataFrame({"z": [1.0]}))

            def full_disk():
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(writer._handle, "close", full_disk)
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before and _files._signal_depth == 0


def test_an_empty_folder_named_as_parquet_is_refused_by_name(tmp_path):
    folder = tmp_path / "x.parquet"
    folder.mkdir()
    raises(f"{folder}: the folder holds no .parquet or .pq files; give a Parquet file, or a folder of them",
           read_table, str(folder))


# -- delimiters, decimals, headers -------------------------------------------------------------

@pytest.mark.parametrize("decimal", [None, ","])
def test_a_column_of_lone_groups_in_a_file_of_decimal_commas_is_read_as_thousands(tmp_path, decimal):
    """Trials 35 and 44: a German export's body mass (3.750 g, 3750) and town sizes (51.216 people)
    were read as 3.75 and 51.216 beside lengths of 39,1: where the file writes decimals with a comma
    (or --decimal , says so), a point can only group thousands."""
    lone = write(tmp_path, "de.csv", "species;length;mass\nAdelie;39,1;3.750\nGentoo;46,5;5.000\nChinstrap;49,0;3.800\n")
    table = read_table(lone, decimal=decimal, label_column="species")
    assert table.X[:, 1].tolist() == [3750.0, 5000.0, 3800.0] and table.point_read_columns == {}
    assert table.lone_groups == {"mass": True}  # the model keeps the reading for its later files
    # read on the file's other columns alone: said (a review: a wrong reading, 1000x off, had no word)
    from aereduce.usecases import table_notes

    assert table_notes(table, MissingValues("error").fit(table))[0] == (
        "mass holds numbers like 3.750, read with '.' grouping thousands (3750) as the decimal mark is ','; if '.' is a "
        "decimal mark there, write those numbers with ','")
    # a column of its own decimal points and comma groups (a review): thousands, as the file's points say
    mixed = write(tmp_path, "m.csv", "weight;n\n" + "".join(f"{w};{i}\n" for i, w in
                                                           enumerate(["1,500", "2,250", "3.5", "1.5", "2.75", "1,250"])))
    table = read_table(mixed)
    assert table.X[:, 0].tolist() == [1500, 2250, 3.5, 1.5, 2.75, 1250] and table.grouped_by_the_file == {"weight": "1,500"}


def test_a_column_of_lone_groups_where_nothing_shows_the_decimal_mark_is_read_as_decimals_and_said(tmp_path):
    """Trial 35: a German export's body mass, 3.750 (3750 g) in every row, was read as 3.75 without a
    word; where no cell shows the decimal mark (1,250 may group thousands too), the cells cannot tell,
    so the reading stands and a note names the column."""
    from aereduce.usecases import table_notes

    lone = write(tmp_path, "de.csv", "species;length;width;mass\nAdelie;1,250;2,250;3.750\nGentoo;1,500;2,500;5.000\n"
                 "Chinstrap;1,750;2,750;3.800\n")
    table = read_table(lone, label_column="species")
    assert table.X[:, 2].tolist() == [3.75, 5.0, 3.8] and table.point_read_columns == {"mass": "3.750"}
    assert table_notes(table, MissingValues("error").fit(table))[0] == (
        "mass holds numbers like 3.750, read with '.' as a decimal point (3.75) as nothing in the column shows "
        "thousands grouped; if '.' groups thousands there (3750), pass --thousands .")
    # the note quotes the column's own cell (it gave 3.750 for every column)
    own = read_table(write(tmp_path, "own.csv", "a;c;b\n1,500;2,500;64.844\n2,500;1,500;-12.500\n"))
    assert table_notes(own, MissingValues("error").fit(own))[0].startswith(
        "b holds numbers like 64.844, read with '.' as a decimal point (64.844) as nothing in the column shows "
        "thousands grouped; if '.' groups thousands there (64844), pass")
    # a model that read 3.750 so reads a file of none without the note (it named 3.750 there too)
    none = write(tmp_path, "none.csv", "a;b\n1,5;4,25\n2,5;3,5\n")
    assert read_table(none, decimal=",", lone_groups={"b": False}).point_read_columns == {}
    grouped = write(tmp_path, "grouped.csv", "species;length;mass\nAdelie;39,1;3.750\nGentoo;46,5;950\n")
    table = read_table(grouped, decimal=",", label_column="species")  # 950 beside it: an export grouping thousands
    assert table.X[:, 1].tolist() == [3750.0, 950.0] and table.point_read_columns == {}
    points = write(tmp_path, "points.csv", "species;length;mass\nAdelie;39,1;3.750\nGentoo;46,5;1.5\n")
    table = read_table(points, decimal=",", label_column="species")  # 1.5: '.' is a decimal point here, no doubt
    assert table.X[:, 1].tolist() == [3.75, 1.5] and table.point_read_columns == {}


def test_thousands_reads_its_mark_as_grouping_wherever_it_groups_digits(tmp_path):
    """The note's advice for 3.750 (3750 g) under decimal commas: --thousands . reads lone groups as
    thousands, implies the decimal comma, and refuses a cell where the mark does not group threes."""
    lone = write(tmp_path, "de.csv", "species;length;mass\nAdelie;39,1;3.750\nGentoo;46,5;5.000\n"
                                     "Chinstrap;49,0;1.234.567,5\n")
    table = read_table(lone, thousands=".", label_column="species")
    assert table.X.tolist() == [[39.1, 3750.0], [46.5, 5000.0], [49.0, 1234567.5]]
    assert table.point_read_columns == {}
    points = write(tmp_path, "points.csv", "species;length;mass\nAdelie;39,1;3.750\nGentoo;46,5;4.1\n"
                                          "Chinstrap;49,0;3.800\n")
    raises(f"{points}: non-numeric values in numeric columns: 'mass' (row 3: '4.1'), as --thousands . reads '.' only "
           "between groups of three digits (3.750); read them as missing with --nan mean (or drop, zero), or leave the "
           "columns out with --exclude mass", read_table, points, thousands=".", label_column="species")
    english = write(tmp_path, "en.csv", "a,b\n\"1,250\",0.5\n\"12,000.5\",1.5\n7,2.5\n")
    assert read_table(english, thousands=",").X.tolist() == [[1250.0, 0.5], [12000.5, 1.5], [7.0, 2.5]]
    swiss = write(tmp_path, "ch.csv", "a;b\n1'250.5;2\n3;4\n")
    assert read_table(swiss, thousands="'").X.tolist() == [[1250.5, 2.0], [3.0, 4.0]]


def sorted_prices(tmp_path) -> str:
    """Trial 36's German diamonds sorted by price from the top: 60 prices like 60.804 (lone groups) and,
    only at the end, two under 1,000 whose plain integers show that '.' groups thousands. Its carats
    (1,250) do not show the decimal mark either, which 0,5 would (a decimal comma beyond doubt)."""
    prices = [*range(60804, 1000, -1000), 950, 400]
    return write(tmp_path, "sorted.csv", "id;price;carat\n" + "".join(
        f"r{i};{p // 1000}.{p % 1000:03d};{1 + i % 3},250\n" if p >= 1000 else f"r{i};{p};{1 + i % 3},250\n"
        for i, p in enumerate(prices)))


def test_chunks_read_lone_groups_as_the_whole_file_or_a_model_says(tmp_path):
    """Trial 36: read in chunks, the first chunk's lone groups alone were read as decimals (60.804),
    while the whole file (as fit reads it) shows thousands. The chunk whose integers overturn the
    decision says so (regrouped), and lone_groups given (a model's, a settled stream's) read every
    chunk as the whole file reads."""
    path = sorted_prices(tmp_path)
    whole = read_table(path, id_column="id")
    assert whole.X[[0, -1], 0].tolist() == [60804.0, 400.0] and whole.lone_groups == {"price": True}
    chunks = list(iter_tables(path, 25, id_column="id"))
    assert chunks[0].X[0, 0] == 60.804 and chunks[0].regrouped == [] and chunks[0].lone_groups == {"price": False}
    assert chunks[-1].regrouped == ["price"] and chunks[-1].lone_groups == {"price": True}
    fixed = list(iter_tables(path, 25, id_column="id", lone_groups=whole.lone_groups))
    assert np.array_equal(np.concatenate([t.X for t in fixed]), whole.X)
    assert all(t.regrouped == [] and t.point_read_columns == {} for t in fixed)


def test_numbers_that_may_group_thousands_are_named_with_the_options_that_read_them(tmp_path):
    """Trial 36: a German export of whole prices (42.000) in a ';' file of no decimal commas read as 42
    without a word; an American one ("42,000", all over 1,000) was told to pass --decimal , and read as
    42.0; decimal commas past the sniffed head were told to take --nan mean."""
    from aereduce.usecases import table_notes

    german = write(tmp_path, "de.csv", "price;rooms\n42.000;3\n38.500;2\n60.250;4\n")
    table = read_table(german)
    assert table.X[:, 0].tolist() == [42.0, 38.5, 60.25] and table.point_read_columns == {"price": "42.000"}
    assert table_notes(table, MissingValues("error").fit(table))[0].startswith(
        "price holds numbers like 42.000, read with '.' as a decimal point (42) as nothing in the column shows "
        "thousands grouped; if '.' groups thousands there (42000), pass --thousands .")
    assert read_table(german, thousands=".").point_read_columns == {}
    american = write(tmp_path, "us.csv", 'price,rooms,area\n"42,000",3,"1,5"\n"38,500",2,"2,5"\n"60,250",4,"3,5"\n')
    table = read_table(american)
    assert table.numbers_as_text == {"price": ("grouped", "42,000"), "area": ("comma", "1,5")}
    assert table_notes(table, MissingValues("error").fit(table))[0] == (
        "skipped 2 non-numeric columns: price, area; area holds numbers "
        "written with a decimal comma ('1,5'): pass --decimal , to read it; price holds numbers like '42,000': pass "
        "--thousands , if the comma groups thousands there (42000), or --decimal , if it is a decimal mark (42.0)")
    both = Table(X=np.ones((3, 2)), feature_names=["mass", "year"], skipped_columns=["length"],
                 numbers_as_text={"length": ("comma", "39,1")}, point_read_columns={"mass": "3.750", "year": "2.007"})
    assert table_notes(both, MissingValues("error").fit(both))[1] == (  # trial 37: German penguins, two notes apart
        "skipped 1 non-numeric column: length; length holds numbers written "
        "with a decimal comma ('39,1'): pass --decimal , (with --thousands . for mass, year) to read it")
    late = write(tmp_path, "late.csv", "id;a;b\n" + "".join(f"r{i};1;2\n" for i in range(10_100)) + "x;-1,67;3\n")
    raises(f"{late}: non-numeric values in numeric columns: 'a' (row 10102, id 'x': '-1,67'); pass --decimal , if the comma is "
           "their decimal mark, read them as missing with --nan mean (or drop, zero), or leave the columns out with "
           "--exclude a", read_table, late, id_column="id")


def test_a_models_reading_of_lone_groups_makes_a_column_of_them_numbers(tmp_path):
    """Review: a new file of prices all over 1,000 ("29,994") was text to the model that read them as
    thousands at fit, and transform refused the column."""
    path = write(tmp_path, "new.csv", 'price,w\n"29,994",1\n"18,204",2\n')  # nothing shows the decimal mark
    assert read_table(path, lone_groups={"price": True}).X.tolist() == [[29994.0, 1], [18204.0, 2]]
    assert read_table(path).skipped_columns == ["price"]


def test_lone_groups_past_the_sampled_rows_read_as_the_whole_column_shows(tmp_path):
    """Trial 37: 16,000 prices, the priciest first ("18,804"), the plain ones (327) past the first 10,000
    rows that choose the columns: price was skipped as text, while the same rows ascending kept it."""
    prices = [*range(60_000, 60_000 - 10_100 * 3, -3), 950, 327]
    path = write(tmp_path, "desc.csv", "price,w\n" + "".join(
        (f'"{p:,}"' if p >= 1000 else str(p)) + f",{i % 7}.5\n" for i, p in enumerate(prices)))
    table = read_table(path)
    assert table.skipped_columns == [] and table.X[:, 0].tolist() == [float(p) for p in prices]
    assert table.lone_groups["price"] is True


def test_plain_integers_beside_an_empty_cell_show_grouping(tmp_path):
    """Review: pandas reads a chunk of whole prices with an empty cell as floats, which showed no grouping,
    so the next chunk's 1.000 was read as 1.0."""
    path = write(tmp_path, "asc.csv", "preis;n\n100;1,5\n;2,5\n998;3,5\n1.000;4,5\n1.250;5,5\n")
    chunks = list(iter_tables(path, 3, missing="mean"))
    assert chunks[-1].X[:, 0].tolist() == [1000.0, 1250.0] and chunks[-1].lone_groups == {"preis": True}


def test_a_space_as_thousands_stands_for_no_break_spaces_too(tmp_path):
    path = write(tmp_path, "fr.csv", "prix;poids\n1\u202f234;1,5\n2\u00a0500;2,5\n3 750;3,5\n")
    assert read_table(path, thousands=" ").X[:, 0].tolist() == [1234.0, 2500.0, 3750.0]


def test_a_semicolon_file_whose_points_are_decimals_elsewhere_gets_no_thousands_note(tmp_path):
    path = write(tmp_path, "semi.csv", "preis;gewicht\n42.000;5.21\n38.500;4.9\n")
    assert read_table(path).point_read_columns == {}


def test_columns_written_with_leading_zeros_are_found_as_written(tmp_path):
    """ZIP codes and phone numbers lose their leading zeros as numbers; only the text shows them."""
    path = write(tmp_path, "codes.csv", 'zip,phone,month,count,mixed,quoted\n00512,0612345678,01,5,007,"02110"\n'
                                        "94110,0798765432,12,17,x,10001\n,NA,03,0,8,60601\n")
    table = read_table(path, missing="mean")
    assert table.X[:, 0].tolist()[:2] == [512.0, 94110.0]
    # months (01) are too short to be codes; 'mixed' is text; an id or a label is not a feature
    assert table.leading_zero_columns == {"zip": "00512", "phone": "0612345678", "quoted": "02110"}
    assert read_table(path, missing="mean", id_column="zip").leading_zero_columns == {"phone": "0612345678",
                                                                                       "quoted": "02110"}
    plain = write(tmp_path, "plain.csv", "a,b\n0,1.5\n10,0.25\n100,2\n")
    assert read_table(plain).leading_zero_columns == {}


def test_errors_name_a_row_by_its_id_as_well_as_its_line(tmp_path):
    """Trial 39: 'row 6' is the file's line, which R's row names (airquality's 5) do not show."""
    path = write(tmp_path, "rn.csv", ',a,b\nMazda,1,2\nValiant,x,3\nDatsun,3,\n' + "".join(f"r{i},{i},{i % 3}\n"
                                                                                    for i in range(5)))
    raises(f"{path}: non-numeric values in numeric columns: 'a' (row 3, id 'Valiant': 'x'); read them as missing "
           "with --nan mean (or drop, zero), or leave the columns out with --exclude a", read_table, path)
    fixed = write(tmp_path, "fixed.csv", ',a,b\nMazda,1,2\nValiant,2,3\nDatsun,3,\n')
    with pytest.raises(InputError, match=r"row 4 \(id 'Datsun'\), column 'b' is missing;"):
        read_table(fixed)
    table = read_table(fixed, missing="mean")  # as a model's commands read: the policy is applied later
    with pytest.raises(InputError, match=r"row 4 \(id 'Datsun'\), column 'b' is missing"):
        MissingValues("error").fit(table)
    with pytest.raises(InputError, match=r"row 4 \(id 'Datsun'\), column 'b' is missing"):
        MissingValues("error").fit(read_table(write(tmp_path, "full.csv", ",a,b\nx,1,2\n"))).apply(table)
    # without an id column, the row alone
    raises(f"{path}: non-numeric values in numeric columns: 'a' (row 3: 'x'); read them as missing with --nan mean "
           "(or drop, zero), or leave the columns out with --exclude a", read_table, path, exclude=["Unnamed: 0"])


def test_comma_cells_that_may_be_thousands_are_told_both_options(tmp_path):
    # 100.500 may be 100500 too: nothing in the file shows the decimal mark
    path = write(tmp_path, "us.csv", "price,rooms\n" + "".join(f"{100 + i}.500,{i % 5}\n" for i in range(40)) + '"42,000",3\n')
    raises(f"{path}: non-numeric values in numeric columns: 'price' (row 42: '42,000'); pass --thousands , if the "
           "comma groups thousands there or --decimal , if it is their decimal mark, read them as missing with --nan "
           "mean (or drop, zero), or leave the columns out with --exclude price", read_table, path)
    text = write(tmp_path, "na.csv", "a;b\n" + "".join(f"{i}.000;{i}\n" for i in range(1, 40)) + "n.a.;3\n")
    with pytest.raises(InputError) as caught:
        read_table(text, thousands=".")
    assert "only between groups" not in str(caught.value)  # 'n.a.' is text, not a misread number


def test_advice_writes_a_comma_in_a_column_name_as_options_take_it(tmp_path):
    """Review: "--exclude Preis, EUR" was advised, and failed when followed (no column 'Preis')."""
    path = write(tmp_path, "cn.csv", '"Preis, EUR";a\nx;1\n' + "".join(f"{i};{i % 5}\n" for i in range(30)))
    raises(f"{path}: non-numeric values in numeric columns: 'Preis, EUR' (row 2: 'x'); read them as missing with --nan "
           "mean (or drop, zero), or leave the columns out with --exclude 'Preis\\, EUR'", read_table, path)


@pytest.mark.parametrize("thousands, decimal, message", [
    ("x", None, "--thousands must be one mark that groups digits (. , ' or a space), not 'x'"),
    ("..", None, "--thousands must be one mark that groups digits (. , ' or a space), not '..'"),
    (",", ",", "--thousands , is also the decimal mark (--decimal); the two must differ"),
])
def test_thousands_that_cannot_group_digits_is_refused(tmp_path, thousands, decimal, message):
    path = write(tmp_path, "t.csv", "a;b\n1;2\n")
    with pytest.raises(OptionError) as caught:
        read_table(path, thousands=thousands, decimal=decimal)
    assert str(caught.value) == f"{path}: {message}"


def test_numbers_with_thousands_separators_are_read_as_numbers(tmp_path):
    """Trial 13: a spreadsheet's export ('591.417,43' under decimal commas) lost the column as text."""
    european = write(tmp_path, "e.csv", "\ufeffname;price;depth\nh0;\"591.417,43\";102,8\nh1;\"1.234.017,5\";99,1\n"
                     "h2;1 204,5;98,0\nh3;48.137;97,5\n")
    table = read_table(european, id_column="name")
    assert table.feature_names == ["price", "depth"] and table.skipped_columns == []
    # a lone '.' group under decimal commas, in a column that groups thousands with '.'
    assert table.X[:, 0].tolist() == [591417.43, 1234017.5, 1204.5, 48137.0]
    english = write(tmp_path, "n.csv", 'a,b\n"1,234.5",1\n"1,234,567",2\n3.5,3\n')
    assert read_table(english).X[:, 0].tolist() == [1234.5, 1234567.0, 3.5]
    # '1,500' may be a decimal comma where nothing in the file shows the decimal mark: not taken for 1500
    ambiguous = write(tmp_path, "a.csv", 'a;b\n1,500;1\n2,250;2\n3.500;3\n1.250;4\n')
    assert read_table(ambiguous, missing="zero").skipped_columns == ["a"]  # half its cells are not numbers
    lone = write(tmp_path, "l.csv", 'a,b\n"1,500",1\n"2,250",2\n')  # nothing in the file says which
    assert read_table(lone, missing="zero").skipped_columns == ["a"]
    # decimal points beyond doubt in the file (trial 44's Caschool, "1,550" pupils beside 82.9 teachers)
    shown = write(tmp_path, "s.csv", 'a,b\n"1,500",1.5\n"2,250",2.5\n')
    assert read_table(shown).X[:, 0].tolist() == [1500.0, 2250.0]


@pytest.mark.parametrize("text, decimal, expected", [
    # diamonds as R or Excel writes it: thousands grouped and quoted, under decimal points
    ('carat,cut,price,x\n0.23,Ideal,326,3.95\n0.7,Good,"3,260",5.7\n1.01,Fair,"18,823",6.4\n', None,
     [326.0, 3260.0, 18823.0]),
    # a German export: decimal commas, thousands grouped with points
    ("carat;price;x\n0,23;564;3,95\n0,9;5.914;6,1\n1,1;2.562;6,6\n", None, [564.0, 5914.0, 2562.0]),
    ("carat;price;x\n0,23;564;3,95\n0,9;5.914;6,1\n1,1;2.562;6,6\n", ",", [564.0, 5914.0, 2562.0]),
])
def test_a_lone_thousands_group_beside_plain_integers_is_read_as_thousands(tmp_path, text, decimal, expected):
    """Trial 18: '3,260' read as 3.26 after the hint's --decimal ,, and '5.914' as 5.914, silently."""
    table = read_table(write(tmp_path, "d.csv", text), decimal=decimal)
    assert table.feature_names[-2] == "price" and table.X[:, -2].tolist() == expected


def test_every_chunk_reads_lone_thousands_groups_as_the_first_one_that_held_any(tmp_path):
    """Review: chunks decided by themselves, so a chunk of 5.000-5.005 alone read them as 5.0-5.005."""
    text = "a;price\n" + "".join(f"0,1;{300 + i}\n" for i in range(6)) + "".join(f"1,1;5.00{i}\n" for i in range(6))
    path = write(tmp_path, "d.csv", text)
    whole = read_table(path).X[:, 1]
    chunked = np.concatenate([t.X[:, 1] for t in iter_tables(path, 6)])
    assert whole.tolist() == chunked.tolist() == [300, 301, 302, 303, 304, 305, 5000, 5001, 5002, 5003, 5004, 5005]
    # A lone group first, with nothing beside it to say thousands: read as a decimal in every chunk.
    text = "a;price\n" + "".join(f"1,100;5.00{i}\n" for i in range(6)) + "".join(f"2,100;{300 + i}\n" for i in range(6))
    chunked = np.concatenate([t.X[:, 1] for t in iter_tables(write(tmp_path, "e.csv", text), 6)])
    assert chunked[:6].tolist() == [5.0, 5.001, 5.002, 5.003, 5.004, 5.005]
    # The file's decimal commas (1,1) say so from the first chunk on.
    text = "a;price\n" + "".join(f"1,1;5.00{i}\n" for i in range(6)) + "".join(f"0,1;{300 + i}\n" for i in range(6))
    chunked = np.concatenate([t.X[:, 1] for t in iter_tables(write(tmp_path, "f.csv", text), 6)])
    assert chunked[:6].tolist() == [5000, 5001, 5002, 5003, 5004, 5005]


def test_a_lone_group_beside_the_other_mark_as_a_decimal_is_not_thousands(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "a;b\n1.5;1\n2;2\n1.250;3\n"), decimal=",")
    assert table.X[:, 0].tolist() == [1.5, 2.0, 1.25]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, sep):
    path = write(tmp_path, "d.csv", sep.join(["name", "a", "b"]) + "\n" + sep.join(["x y", "1.5", "2"]) + "\n")
    table = read_table(path)
    assert table.feature_names == ["a", "b"] and table.X.tolist() == [[1.5, 2.0]]


def test_a_comma_file_of_mostly_quoted_decimal_commas_is_refused_with_the_option(tmp_path):
    """Trial 44: LibreOffice's German export to CSV quotes every decimal ("0,00632"); 11 of Boston's 14
    columns were skipped as text and the fit went on with 3. Quoted pairs (a score, "2,1") are no
    decimals (a review), so the file is not read so unasked."""
    path = write(tmp_path, "q.csv", '"a","b","c","n"\n' + "".join(f'"{i},5","0,{i:03d}","{i},25",{i}\n' for i in range(1, 9)))
    assert raises("", read_table, path) == (
        f"{path}: 3 of its 4 columns of numbers write them with a decimal comma (a: '1,5'), which were skipped as "
        "text: pass --decimal , to read them (decimal=',' in Python)")
    assert read_table(path, decimal=",").X[:2].tolist() == [[1.5, 0.001, 1.25, 1], [2.5, 0.002, 2.25, 2]]
    # every number so, no whole number beside them (a review: "no numeric feature columns", without the option)
    assert raises("", read_table, path, exclude=["n"]).endswith("which were skipped as text: pass --decimal , to "
                                                                "read them (decimal=',' in Python)")
    # scores beside as many columns of numbers: skipped, with the note's advice
    scores = write(tmp_path, "s.csv", "n,m,score,half\n" + "".join(f'{i},{2 * i},"{i % 4},{i % 3}","0,{i % 2}"\n'
                                                                   for i in range(20)))
    assert read_table(scores).skipped_columns == ["score", "half"]


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = write(tmp_path, "de.csv", "Name;Gewicht;Größe\nAnna;61,5;1,72\nBen;80;1,85\n")
    table = read_table(path)
    assert table.feature_names == ["Gewicht", "Größe"]
    assert table.X.tolist() == [[61.5, 1.72], [80.0, 1.85]]


def test_explicit_sep_and_decimal_override_the_sniffer(tmp_path):
    path = write(tmp_path, "d.txt", "a|b\n1,5|2\n")
    assert read_table(path, sep="|", decimal=",").X.tolist() == [[1.5, 2.0]]
    raises(f"{path}: the delimiter must be one character, not '||'", read_table, path, sep="||")


def test_a_sep_that_leaves_the_lines_whole_is_refused_naming_their_delimiter(tmp_path):
    """Trial 35: `--sep ';'` on a comma-separated file read its header as one text column, and the
    error spoke of no numeric columns."""
    path = write(tmp_path, "d.csv", "species,mass,length\nAdelie,3750,39.1\nGentoo,5000,46.5\n")
    with pytest.raises(OptionError) as info:
        read_table(path, sep=";")
    assert str(info.value) == (f"{path}: --sep ';' leaves each line one field, but the lines are separated by ','; "
                               "leave --sep out (it is sniffed), or give --sep ','")
    one = write(tmp_path, "one.csv", "mass\n3750\n5000\n")  # one column: any --sep leaves it whole, rightly
    assert read_table(one, sep=";").X.tolist() == [[3750.0], [5000.0]]
    # nor is a comma in one column's header a delimiter, nor a decimal comma (review)
    named = write(tmp_path, "named.csv", "weight, g\n3750\n5000\n4100\n")
    assert read_table(named, sep=";").X.tolist() == [[3750.0], [5000.0], [4100.0]]
    decimals = write(tmp_path, "decimals.csv", "3,5\n4,25\n5,0\n")
    assert read_table(decimals, sep=";", decimal=",", header=False).X.tolist() == [[3.5], [4.25], [5.0]]


def test_tsv_suffix_prefers_tabs(tmp_path):
    path = write(tmp_path, "d.tsv", "a\tb,c\n1\t2\n")  # a comma inside a name does not make it a CSV
    assert read_table(path).feature_names == ["a", "b,c"]


def test_quoted_fields_with_delimiters_and_crlf(tmp_path):
    path = write(tmp_path, "diamonds.csv", 'carat,cut,"price, usd"\r\n0.23,"Ideal, very",326\r\n0.21,"Premium",326\r\n')
    table = read_table(path)
    assert table.feature_names == ["carat", "price, usd"] and table.skipped_columns == ["cut"]
    assert table.X.tolist() == [[0.23, 326], [0.21, 326]] and table.row_numbers.tolist() == [2, 3]


def test_headerless_numbers(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "1,2\n3,4\n"))
    assert table.feature_names == ["x0", "x1"] and table.X.tolist() == [[1, 2], [3, 4]]
    assert table.row_numbers.tolist() == [1, 2]


def test_headerless_with_a_text_id_first(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "r1,1,2\nr2,3,4\n"), id_column="x0")
    assert table.ids.tolist() == ["r1", "r2"] and table.X.tolist() == [[1, 2], [3, 4]]


def test_header_over_a_text_id_column(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "id,x,y\nr1,1,2\nr2,3,4\n"))
    assert table.feature_names == ["x", "y"] and table.X.tolist() == [[1, 2], [3, 4]]


def test_single_headerless_row_is_data(tmp_path):
    assert read_table(write(tmp_path, "d.csv", "5,6,7\n")).X.tolist() == [[5, 6, 7]]


def test_pandas_integer_header_over_decimals(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "0,1\n0.5,1.5\n2.5,3.5\n"))
    assert table.feature_names == ["0", "1"] and table.X.tolist() == [[0.5, 1.5], [2.5, 3.5]]


def test_pandas_integer_header_over_whole_number_and_decimal_columns(tmp_path):
    """Trial 38: USArrests written with pandas' 0,1,2,3 header; its whole-number Assault and UrbanPop
    made the header a data row, fitted on and written out as a 51st row."""
    table = read_table(write(tmp_path, "d.csv", "0,1,2,3\n13.2,236,58,21.2\n10.0,263,48,44.5\n8.1,294,80,31.0\n"))
    assert table.feature_names == ["0", "1", "2", "3"] and len(table.X) == 3
    # data as before: no column of decimals, or whole numbers that are not 0, 1, 2, ...
    assert read_table(write(tmp_path, "e.csv", "0,1,2\n13,236,58\n10,263,48\n")).feature_names == ["x0", "x1", "x2"]
    assert read_table(write(tmp_path, "f.csv", "2,3,4\n13.2,236,58\n10.5,263,48\n")).feature_names == ["x0", "x1", "x2"]


def test_columns_named_by_year_over_decimals_are_a_header(tmp_path):
    # trial 21: read as a data row, 1990..1994 became an outlier whose code was 100 times the others'
    table = read_table(write(tmp_path, "d.csv", "1990,1995,2000\n0.5,1.5,-0.25\n2.5,3.5,1e-3\n"))
    assert table.feature_names == ["1990", "1995", "2000"] and table.X.tolist() == [[0.5, 1.5, -0.25],
                                                                                    [2.5, 3.5, 1e-3]]
    # data as before: not increasing, or whole numbers below too
    assert read_table(write(tmp_path, "e.csv", "1995,1990\n0.5,1.5\n")).feature_names == ["x0", "x1"]
    assert read_table(write(tmp_path, "f.csv", "1990,1995\n3,1.5\n")).feature_names == ["x0", "x1"]


@pytest.mark.parametrize("text, names, rows", [
    # pandas' to_csv of a DataFrame with unnamed columns: the index's empty header cell, then 0, 1, 2
    (",0,1,2\n0,0.5,1.5,2.5\n1,3.5,4.5,5.5\n", ["0", "1", "2"], [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]),
    # R's occupationalStatus: whole-number counts under whole-number names
    (",1,2,3\n1,50,19,26\n2,16,40,34\n", ["1", "2", "3"], [[50, 19, 26], [16, 40, 34]]),
    # R's USPersonalExpenditure: row names, then columns named by year
    (",1940,1945,1950\nFood,22.2,44.5,59.6\nMedical,3.53,5.76,9.71\n", ["1940", "1945", "1950"],
     [[22.2, 44.5, 59.6], [3.53, 5.76, 9.71]]),
])
def test_a_written_index_over_numbered_columns_is_a_header(tmp_path, text, names, rows):
    """Trial 27: these headers were read as a data row (the index's header cell empty), and the
    output had one more row than the input."""
    table = read_table(write(tmp_path, "d.csv", text))
    assert table.feature_names == names and table.X.tolist() == rows
    assert table.row_labels_as_ids and table.row_numbers.tolist() == [2, 3]


def test_a_first_row_of_empty_cells_is_data(tmp_path):
    table = read_table(write(tmp_path, "d.csv", ",\n1,2\n"), missing="drop")
    assert table.feature_names == ["x0", "x1"] and table.row_numbers.tolist() == [1, 2]
    assert np.isnan(table.X[0]).all() and table.X[1].tolist() == [1, 2]


def test_excel_sep_line(tmp_path):
    path = write(tmp_path, "excel.csv", "sep=;\r\nName;Wert\r\nA;1,5\r\nB;2\r\nC;3;4\r\n")
    raises(f"{path}: row 5 has 3 fields but the header has 2", read_table, path)
    path = write(tmp_path, "excel.csv", "sep=;\r\nName;Wert\r\nA;1,5\r\nB;2\r\n")
    table = read_table(path)
    assert table.feature_names == ["Wert"] and table.X.ravel().tolist() == [1.5, 2.0]
    assert table.row_numbers.tolist() == [3, 4]


def test_header_can_be_forced(tmp_path):
    path = write(tmp_path, "d.csv", "1,2\n3,4\n")
    assert read_table(path, header=True).feature_names == ["1", "2"]
    assert read_table(path, header=False).X.tolist() == [[1, 2], [3, 4]]


# -- malformed rows ----------------------------------------------------------------------------

def test_row_names_without_a_header_name(tmp_path):
    path = write(tmp_path, "mtcars.csv", '"mpg","cyl"\n"Mazda RX4",21,6\n"Datsun 710",22.8,4\n')
    assert raises("", read_table, path) == (
        f"{path}: row 2 has 3 fields but the header has 2; if the first field is a row name, give it a column name "
        "in the header (e.g. 'id') and pass --id-column")


def test_a_later_row_with_an_extra_field(tmp_path):
    path = write(tmp_path, "d.csv", "a,b\n1,2\n3,4,5\n")
    raises(f"{path}: row 3 has 3 fields but the header has 2; remove the extra fields", read_table, path)


@pytest.mark.parametrize("bad, fields", [("7,8,9", 3), ("7,8,9,10", 4)])
def test_an_extra_field_far_below_the_head_is_caught(tmp_path, bad, fields):
    lines = ["a,b", *(f"{i},{i}" for i in range(3000)), bad, "1,1"]
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    raises(f"{path}: row 3002 has {fields} fields but the header has 2; remove the extra field",
           lambda: list(iter_tables(path, 500)))


def test_trailing_comma_on_every_row(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "a,b,\n1,2,\n3,4,\n"))
    assert table.feature_names == ["a", "b"] and table.X.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("chunk", [None, 500])
def test_several_trailing_delimiters_on_every_row(tmp_path, chunk):
    """Excel writes a,b,c,, for cells once formatted: the empty columns are not the table's."""
    path = write(tmp_path, "d.csv", "a,b,c,,\n" + "".join(f"{i},{i},{i},,\n" for i in range(3000)))
    tables = [read_table(path)] if chunk is None else list(iter_tables(path, chunk))
    assert {tuple(t.feature_names) for t in tables} == {("a", "b", "c")}
    assert np.vstack([t.X for t in tables]).tolist() == [[i, i, i] for i in range(3000)]


@pytest.mark.parametrize("row, fields", [("1,1,1,,5,", 5), ("1,1,1,,,,", 7)])
def test_a_value_past_several_trailing_delimiters_is_reported(tmp_path, row, fields):
    lines = ["a,b,c,,,", *(f"{i},{i},{i},,," for i in range(100_000))]
    lines[90_000] = row  # past the head that sets the columns (a value there would name one)
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    assert raises("", lambda: list(iter_tables(path, 20_000))).startswith(
        f"{path}: row 90001 has {fields} fields but the header has 3; remove the extra field")


def test_trailing_comma_on_data_rows_only(tmp_path):
    assert read_table(write(tmp_path, "d.csv", "a,b\n1,2,\n3,4,\n")).X.tolist() == [[1, 2], [3, 4]]


SHORT_ROW_FIX = "its values would land in the wrong columns: write an empty field for each missing value (e.g. 1,,3)"


@pytest.mark.parametrize("missing", ["error", "mean", "drop"])
def test_a_short_row_is_an_error_not_shifted_values(tmp_path, missing):
    # USArrests with Alaska's Assault cut out: pandas would read UrbanPop's 48 as Assault.
    path = write(tmp_path, "d.csv", "state,Murder,Assault,UrbanPop\nAlabama,13.2,236,58\nAlaska,10,48\nArizona,8.1,294,80\n")
    assert raises("", read_table, path, id_column="state", missing=missing) == (
        f"{path}: row 3 has 3 fields but the header has 4; {SHORT_ROW_FIX}")


def test_a_single_field_row_is_short(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c\n1,2,3\n4\n")
    assert raises("", read_table, path) == f"{path}: row 3 has 1 field but the header has 3; {SHORT_ROW_FIX}"


def test_empty_fields_are_missing_values_not_short_rows(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c\n1,2,3\n4,,\n\n5,6,7\n")
    table = read_table(path, missing="drop")
    assert table.X[[0, 2]].tolist() == [[1, 2, 3], [5, 6, 7]] and table.row_numbers.tolist() == [2, 3, 5]
    assert table.X[1, 0] == 4 and np.isnan(table.X[1, 1:]).all()


@pytest.mark.parametrize("header", [True, False])
def test_a_short_row_far_below_the_head_is_caught_in_chunks(tmp_path, header):
    lines = ["a,b,c"] * header + [f"{i},{i},{i}" for i in range(5000)]
    lines[4000] = "7,8"
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    what = "the header has" if header else "the first row has"
    assert raises("", lambda: list(iter_tables(path, 500, missing="mean"))) == (
        f"{path}: row 4001 has 2 fields but {what} 3; {SHORT_ROW_FIX}")


def test_a_short_row_among_quoted_fields_that_hold_delimiters_and_line_breaks(tmp_path):
    good = 'name,x,y\n"Smith, J.",1,2\n"two\nlines, here",3,4\n'
    assert read_table(write(tmp_path, "good.csv", good), id_column="name").X.tolist() == [[1, 2], [3, 4]]
    path = write(tmp_path, "d.csv", good + '"Doe, A.",5\n"x",6,7\n')
    assert raises("", read_table, path, id_column="name", missing="mean") == (
        f"{path}: row 5 has 2 fields but the header has 3; {SHORT_ROW_FIX}")


@pytest.mark.parametrize("chunk", [None, 2])
def test_rows_below_a_quoted_line_break_keep_their_editor_line_numbers(tmp_path, chunk):
    """Trial 18: R's write.csv quotes a name holding a line break; rows below it were numbered one too low."""
    text = '"state","Assault","Rape"\n"Alabama",236,21.2\n"Alaska\n(AK)",263,44.5\n"Arizona",294,31\n"Arkansas",190,19.5\n'
    path = write(tmp_path, "d.csv", text)
    rows = np.concatenate([t.row_numbers for t in iter_tables(path, chunk, id_column="state")])
    assert rows.tolist() == [2, 3, 5, 6]
    bad = write(tmp_path, "bad.csv", text.replace("294", "abc"))
    assert "'Assault' (row 5, id 'Arizona': 'abc')" in raises("", read_table, bad, id_column="state")


def test_the_first_malformed_row_in_the_file_is_reported(tmp_path):
    """Trial 18: a long row 9 was reported before a short row 3."""
    lines = ["a,b,c", *(f"{i},{i},{i}" for i in range(8))]
    lines[2], lines[8] = "1,2", "1,2,3,4"
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    assert raises("", read_table, path).startswith(f"{path}: row 3 has 2 fields but the header has 3")
    far = ["a,b,c", *(f"{i},{i},{i}" for i in range(5000))]
    far[3000], far[3005] = "1,2", "1,2,3,4"  # beyond the head: pandas meets the long row in the same block
    path = write(tmp_path, "far.csv", "\n".join(far) + "\n")
    assert raises("", read_table, path).startswith(f"{path}: row 3001 has 2 fields but the header has 3")
    far[3000], far[3005] = "1,2,3,4", "1,2"
    path = write(tmp_path, "far2.csv", "\n".join(far) + "\n")
    assert raises("", read_table, path).startswith(f"{path}: row 3001 has 4 fields but the header has 3")


EXTRA_FIELD_FIX = "remove the extra fields, or quote fields that contain the delimiter"


@pytest.mark.parametrize("missing", ["error", "mean"])
def test_an_extra_na_field_far_below_the_head_is_caught(tmp_path, missing):
    """The fuzzer: pandas took the extra 'NA' for a missing value and the row's values shifted."""
    lines = ["id,a,b,c", *(f"r{i},1,2,3" for i in range(20000))]
    lines[15001] = "r15000,9,1,2,NA"
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    assert raises("", read_table, path, id_column="id", missing=missing).startswith(
        f"{path}: row 15002 has 5 fields but the header has 4; remove the extra field")


@pytest.mark.parametrize("far", [False, True])
def test_one_row_ending_in_a_delimiter_is_an_extra_field_unless_the_file_is_written_so(tmp_path, far):
    """The fuzzer: '9,4,5,' (a stray 9 before 4,5,empty) was read as 9,4,5."""
    body = [f"{i},{i},{i}" for i in range(3000 if far else 3)]
    body[-2] = "9,4,5,"
    path = write(tmp_path, "d.csv", "a,b,c\n" + "\n".join(body) + "\n")
    row = len(body)  # the header is row 1
    assert raises("", read_table, path, missing="mean") == f"{path}: row {row} has 4 fields but the header has 3; {EXTRA_FIELD_FIX}"
    written_so = write(tmp_path, "t.csv", "a,b,c\n" + "\n".join(f"{i},{i},{i}," for i in range(3000 if far else 3)) + "\n")
    assert read_table(written_so).X.shape == (3000 if far else 3, 3)


def test_an_extra_field_in_a_file_written_with_trailing_delimiters_is_reported(tmp_path):
    """The fuzzer: 4,9,5,6, under a,b,c, became an 'Unnamed: 3' column."""
    path = write(tmp_path, "d.csv", "a,b,c,\n1,2,3,\n4,9,5,6,\n7,8,9,\n")
    assert raises("", read_table, path, missing="mean") == f"{path}: row 3 has 5 fields but the header has 3; {EXTRA_FIELD_FIX}"
    named_later = write(tmp_path, "n.csv", "a,b,\n1,2,\n3,4,note\n")  # an unnamed last column with a value: kept
    assert read_table(named_later, missing="mean").skipped_columns == ["Unnamed: 2"]


def test_the_row_of_a_parser_error_counts_quoted_line_breaks_above_it(tmp_path):
    """The fuzzer: pandas' own line count leaves out a quoted field's line breaks."""
    lines = ["id,a,b,", *(f"r{i},1,2," for i in range(20000))]
    lines[12001] = '"two\nlines",1,2,'
    lines[15001] = "r15000,1,2,3,"
    path = write(tmp_path, "d.csv", "\n".join(lines) + "\n")
    assert raises("", read_table, path, id_column="id").startswith(f"{path}: row 15003 has 5 fields but the header has 3")


def test_quoted_records_across_read_blocks_are_not_taken_for_short_rows(tmp_path):
    # 40,000 two-line records of 10 characters, read by pandas in blocks of 256 KiB cut at line
    # ends: the first block ends inside a record, whose first line alone has one field.
    body = '"a\nb",1,2\n' * 40_000
    path = write(tmp_path, "good.csv", "note,x,y\n" + body)
    assert read_table(path, id_column="note").n_rows == 40_000
    path = write(tmp_path, "d.csv", "note,x,y\n" + body + '"c",5\n')
    assert raises("", read_table, path, id_column="note", missing="mean") == (
        f"{path}: row 80002 has 2 fields but the header has 3; {SHORT_ROW_FIX}")


def test_unbalanced_quote(tmp_path):
    path = write(tmp_path, "d.csv", 'a,b\n1,2\n3,"4\n5,6\n')
    assert raises("", read_table, path) == f'{path}: the quoted field starting in row 3 never ends; close its quote (")'


def test_blank_lines_are_skipped_but_counted(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "\na,b\n1,2\n\n  \n3,4\n"))
    assert table.X.tolist() == [[1, 2], [3, 4]] and table.row_numbers.tolist() == [3, 6]


def test_a_line_of_tabs_in_a_tsv_is_a_row_of_missing_values(tmp_path):
    table = read_table(write(tmp_path, "d.tsv", "a\tb\n1\t2\n\t\n3\t4\n"), missing="drop")
    assert table.row_numbers.tolist() == [2, 3, 4] and np.isnan(table.X[1]).all()


@pytest.mark.parametrize("text, message", [
    ("", "{path}: the file is empty; give a table with one row per sample"),
    ("\n \n", "{path}: the file is empty; give a table with one row per sample"),
    ("a,b\n", "{path}: has a header but no data rows; give a file with rows of data under its header"),
    ("a,b\n\n", "{path}: has a header but no data rows; give a file with rows of data under its header"),
])
def test_empty_files(tmp_path, text, message):
    path = write(tmp_path, "d.csv", text)
    assert raises("", read_table, path) == message.format(path=path)
    # read in chunks, as transform reads it (with a model's columns): the same one line, not an empty output
    assert raises("", lambda: list(iter_tables(path, 2, columns=["a", "b"], columns_from="the model's columns"))) == (
        message.format(path=path))


# -- encodings and compression -----------------------------------------------------------------

def test_undecodable_bytes_name_the_row_and_encoding(tmp_path):
    path = write(tmp_path, "d.csv", "name,a\nok,1\n".encode() + "Zoë,2\n".encode("latin-1"))
    assert raises("", read_table, path) == (
        f"{path}: row 3 is not valid utf-8 text (byte 0xeb); give the file's encoding, e.g. --encoding latin-1 "
        "(encoding='latin-1' in Python; cp1252 for files from Excel on Windows)")


def test_encoding_argument(tmp_path):
    path = write(tmp_path, "d.csv", "name,Größe\nZoë,2\n".encode("latin-1"))
    table = read_table(path, encoding="latin-1", id_column="name")
    assert table.feature_names == ["Größe"] and table.ids.tolist() == ["Zoë"]
    raises(f"{path}: unknown encoding 'klingon'", read_table, path, encoding="klingon")


def test_utf16_is_recognised_by_its_byte_order_mark(tmp_path):
    path = write(tmp_path, "d.csv", "name,a\nZoë,1\n".encode("utf-16"))
    assert raises("", read_table, path) == (f"{path}: is not utf-8 text: it starts with a UTF-16 byte-order mark; "
                                            "pass --encoding utf-16 (encoding='utf-16' in Python)")
    assert read_table(path, encoding="utf-16").X.tolist() == [[1.0]]


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
NOT_TEXT = ("is not a text file (it holds NUL bytes); give a CSV or TSV table (from a spreadsheet, save it as CSV), "
            "or a Parquet or NumPy file named .parquet, .npy or .npz")


@pytest.mark.parametrize("name, content, encoding", [
    ("data.csv", PNG, "utf-8"),
    ("data.csv", PNG, "latin-1"),  # which reads any byte: the advice the trial was given
    ("data.tsv", PNG, "utf-8"),
    ("data.csv.gz", gzip.compress(PNG), "utf-8"),
    ("book.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + b"[Content_Types].xml" + b"\x00" * 40, "utf-8"),  # an .xlsx
], ids=["png", "png-latin-1", "png-tsv", "png-gzip", "xlsx"])
def test_a_binary_file_is_not_a_text_table(tmp_path, name, content, encoding):
    """A trial's PNG named data.csv was told to try --encoding latin-1."""
    path = write(tmp_path, name, content)
    assert raises("", read_table, path, encoding=encoding) == f"{path}: {NOT_TEXT}"
    assert raises("", lambda: list(iter_tables(path, 2, encoding=encoding))) == f"{path}: {NOT_TEXT}"


def test_a_binary_file_on_stdin_is_not_a_text_table(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PNG)))
    assert raises("", read_table, "-") == f"-: {NOT_TEXT}"


@pytest.mark.parametrize("order", ["le", "be"])
def test_utf16_without_a_byte_order_mark_is_named(tmp_path, order):
    path = write(tmp_path, "d.csv", "name,a\nZoë,1\n".encode(f"utf-16-{order}"))
    assert raises("", read_table, path) == (
        f"{path}: is not utf-8 text: it looks like UTF-16 without a byte-order mark (a NUL byte beside each "
        f"character); pass --encoding utf-16-{order} (encoding='utf-16-{order}' in Python)")
    assert read_table(path, encoding=f"utf-16-{order}", id_column="name").X.tolist() == [[1.0]]


def test_binary_formats_named_by_their_suffix_are_still_read(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    frame.to_parquet(tmp_path / "d.parquet")
    np.save(tmp_path / "d.npy", frame.to_numpy())
    np.savez(tmp_path / "d.npz", X=frame.to_numpy(), columns=np.asarray(["a", "b"]))
    for name in ("d.parquet", "d.npy", "d.npz"):
        assert read_table(str(tmp_path / name)).X.tolist() == [[1.0, 3.0], [2.0, 4.0]], name


def test_old_mac_line_endings(tmp_path):
    table = read_table(write(tmp_path, "d.csv", "a,b\r1,2\r\r3,4\r"))
    assert table.X.tolist() == [[1, 2], [3, 4]] and table.row_numbers.tolist() == [2, 4]


def test_byte_order_mark_is_dropped(tmp_path):
    table = read_table(write(tmp_path, "d.csv", b"\xef\xbb\xbfa,b\n1,2\n"))
    assert table.feature_names == ["a", "b"]


@pytest.mark.parametrize("name, text", [("d.csv.gz", "a,b\n1,2\n"), ("d.tsv.gz", "a\tb\n1\t2\n")])
def test_gzip_text(tmp_path, name, text):
    assert read_table(write(tmp_path, name, gzip.compress(text.encode()))).X.tolist() == [[1, 2]]


def test_truncated_gzip(tmp_path):
    path = write(tmp_path, "d.csv.gz", gzip.compress(b"a,b\n" + b"1,2\n" * 1000)[:-8])
    raises(f"{path}: not a readable gzip file (", read_table, path)


# -- streams: pipes, stdin, chunks -------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_opened_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    payload = "id,a,b\n" + "".join(f"r{i},{i},{2 * i}\n" for i in range(5000))

    def feed():
        with open(fifo, "w") as f:  # a second open by the reader would block forever
            f.write(payload)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = {}
    reader = threading.Thread(target=lambda: result.update(tables=list(iter_tables(str(fifo), 2000, id_column="id"))),
                              daemon=True)
    reader.start()
    reader.join(20)
    assert not reader.is_alive(), "the reader blocked: the FIFO was opened twice"
    tables = result["tables"]
    assert [t.n_rows for t in tables] == [2000, 2000, 1000]
    assert tables[2].row_numbers[[0, -1]].tolist() == [4002, 5001] and tables[2].ids[-1] == "r4999"
    assert default_output(str(fifo), "codes") == "-"


class _Trickle(io.RawIOBase):
    """A stdin that makes its lines on demand and counts the bytes handed out."""

    def __init__(self, n_rows: int) -> None:
        self.lines = iter(["a,b\n", *(f"{i},{i % 7}\n" for i in range(n_rows))])
        self.pending = b""
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer):
            line = next(self.lines, None)
            if line is None:
                break
            self.pending += line.encode()
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        self.given += n
        return n


def test_stdin_is_streamed_in_chunks(monkeypatch):
    raw = _Trickle(300_000)  # about 2.9 MB
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw)))
    chunks = iter_tables("-", 1000)
    first = next(chunks)
    assert first.row_numbers[[0, -1]].tolist() == [2, 1001]
    assert raw.given < 1_000_000  # not all of stdin before the first chunk
    assert sum(t.n_rows for t in chunks) == 299_000


def test_chunks_keep_the_first_chunks_columns_and_count_rows_on(tmp_path):
    path = write(tmp_path, "d.csv", "name,a\nx,1\ny,2\n\nz,3\n7,4\n")
    tables = list(iter_tables(path, 2, missing="zero"))
    assert [t.skipped_columns for t in tables] == [["name"], ["name"]]
    assert [t.row_numbers.tolist() for t in tables] == [[2, 3], [5, 6]]
    assert tables[1].X.tolist() == [[3], [4]]


def test_read_table_of_stdin_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a;b\n1,5;2\n")))
    assert read_table("-").X.tolist() == [[1.5, 2.0]]


# -- binary formats ----------------------------------------------------------------------------

@pytest.mark.parametrize("array, message", [
    (np.ones((2, 2), dtype=complex), "holds complex numbers (complex128); save the real and imaginary parts"),
    (np.array([["1", "a"]]), "holds <U1 values, not numbers"),
    (np.ones(3), "holds an array of shape (3,); give a 2-D array (rows x features)"),
    (np.ones((0, 3)), "has no data rows"),
])
def test_npy_that_is_not_a_real_matrix(tmp_path, array, message):
    path = str(tmp_path / "x.npy")
    np.save(path, array)
    raises(f"{path}: {message}", read_table, path)


def test_npy_of_objects_is_refused(tmp_path):
    path = str(tmp_path / "x.npy")
    np.save(path, np.array([[1, "a"]], dtype=object), allow_pickle=True)
    raises(f"{path}: holds Python objects (dtype object), which are not loaded for safety", read_table, path)


def test_npy_chunks_and_columns(tmp_path):
    path = str(tmp_path / "x.npy")
    np.save(path, np.arange(10, dtype=np.int32).reshape(5, 2))
    tables = list(iter_tables(path, 2, columns=["x1"]))
    assert [t.X.ravel().tolist() for t in tables] == [[1, 3], [5, 7], [9]]
    assert tables[2].row_numbers.tolist() == [5]


def test_parquet_types(tmp_path):
    path = str(tmp_path / "p.parquet")
    pd.DataFrame({"a": [1.5, None], "n": pd.array([1, None], dtype="Int64"), "ok": [True, False],
                  "s": ["x", "y"], "when": pd.to_datetime(["2020-01-01", "2021-01-01"])}).to_parquet(path)
    table = read_table(path, missing="drop", id_column="s")
    assert table.feature_names == ["a", "n", "ok"] and table.skipped_columns == ["when"]
    np.testing.assert_array_equal(table.X, [[1.5, 1, 1], [np.nan, np.nan, 0]])
    assert table.row_numbers.tolist() == [1, 2] and table.ids.tolist() == ["x", "y"]


# -- names of files ----------------------------------------------------------------------------

@pytest.mark.parametrize("path, fmt", [("a.csv", "csv"), ("a.TSV", "tsv"), ("a.csv.gz", "csv"), ("a.tsv.gz", "tsv"),
                                       ("/dev/fd/63", "csv"), ("-", "csv"), ("a.pq", "parquet")])
def test_format_of(path, fmt):
    assert format_of(path) == fmt


def test_unknown_suffixes():
    assert raises("", format_of, "a.xlsx") == "a.xlsx: unknown file type '.xlsx'; use .csv, .tsv, .csv.gz, .parquet, .npy or .npz"
    assert raises("", format_of, "m.AER") == ("m.AER: .aer is an aereduce model's suffix, and a table is meant here; "
                                              "use .csv, .tsv, .csv.gz, .parquet, .npy or .npz")
    raises("a.parquet.gz: only text tables (.csv.gz, .tsv.gz) are read compressed", format_of, "a.parquet.gz")


@pytest.mark.parametrize("data, expected", [("d/data.csv", "d/data.codes.csv"), ("data.csv.gz", "data.codes.csv.gz"),
                                            ("data", "data.codes.csv"), ("-", "-")])
def test_default_output(data, expected):
    assert default_output(data, "codes") == expected


def test_missing_file_and_folder(tmp_path):
    assert raises("", read_table, str(tmp_path / "nope.csv")) == f"{tmp_path / 'nope.csv'}: no such file"
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    assert raises("", read_table, str(folder)) == f"{folder}: is a folder, not a data file"


# -- fuzzing -----------------------------------------------------------------------------------

_NAMES = st.text(alphabet=string.ascii_letters, min_size=1, max_size=5).map(lambda s: "c" + s)
_NUMBERS = st.one_of(st.none(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
_TEXTS = st.one_of(st.none(), st.from_regex(r"[xyz][xyz ,;|\t\"']{0,5}", fullmatch=True))


@st.composite
def _csv_tables(draw):
    n_rows, n_cols = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    names = draw(st.lists(_NAMES, min_size=n_cols, max_size=n_cols, unique_by=str.lower))
    kinds = draw(st.lists(st.sampled_from(["number", "text"]), min_size=n_cols, max_size=n_cols))
    cells = [[draw(_NUMBERS if kind == "number" else _TEXTS) for kind in kinds] for _ in range(n_rows)]
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = draw(st.sampled_from([".", ","])) if sep != "," else "."
    header = draw(st.booleans()) or "text" in kinds
    return names, kinds, cells, sep, decimal, header


def _cell_text(value, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).replace(".", decimal)
    return str(value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_csv_tables())
def test_fuzz_csv_round_trip(tmp_path, data):
    names, kinds, cells, sep, decimal, header = data
    first_numbers = [_cell_text(v, ".") for v in cells[0]]
    # A headerless first row of increasing whole numbers (pandas' 0,1,...,n-1, years) over decimals
    # reads as a header; by design.
    # So is one after an empty first cell, as pandas writes its index's (',0,1' over '0,,': a row of gaps).
    names_cells = first_numbers[1:] if len(first_numbers) >= 3 and first_numbers[0] == "" else first_numbers
    increasing = len(names_cells) >= 2 and all(re.fullmatch(r"\d+", c) for c in names_cells) and all(
        int(a) < int(b) for a, b in zip(names_cells, names_cells[1:]))
    assume(header or not increasing)
    # One column with decimal commas and no header: '0,5' could as well be two columns; by nature.
    assume(header or len(names) > 1 or decimal == ".")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    if header:
        writer.writerow(names)
    for row in cells:
        writer.writerow([_cell_text(v, decimal) for v in row])
    path = write(tmp_path, "fuzz.csv", buffer.getvalue())
    numeric = [j for j, kind in enumerate(kinds) if kind == "number" or all(row[j] is None for row in cells)]
    try:
        table = read_table(path, missing="drop")
    except InputError:
        event("InputError")
        # Only where the file itself is ambiguous: one column (no delimiter to sniff), no numbers,
        # or (without a header) nothing but delimiters and white space.
        assert (len(names) == 1 or not [j for j, kind in enumerate(kinds) if kind == "number"]
                or not header and all(v is None for row in cells for v in row))
        return
    expected = np.array([[np.nan if row[j] is None else float(row[j]) for j in numeric] for row in cells], dtype=float)
    assert table.feature_names == ([names[j] for j in numeric] if header else [f"x{j}" for j in numeric])
    np.testing.assert_array_equal(table.X, expected)
    assert table.row_numbers.tolist() == list(range(2 if header else 1, len(cells) + (2 if header else 1)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.lists(st.sampled_from(list('ab1.2,;\t|"\n\r -eE') + ["NA", "TRUE", "inf", "é"]),
                                  max_size=40).map("".join),
                         st.binary(max_size=40)),
       policy=st.sampled_from(["error", "drop"]), chunksize=st.sampled_from([None, 1, 3]))
def test_fuzz_anything_reads_or_raises_input_error(tmp_path, content, policy, chunksize):
    path = write(tmp_path, "chaos.csv", content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a pandas warning about lost data would be a silent failure
        try:
            tables = list(iter_tables(path, chunksize, missing=policy))
        except InputError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(path)
            return
    assert all(isinstance(t, Table) and t.X.dtype == np.float64 and t.X.shape[1] >= 1 for t in tables)
    rows = np.concatenate([t.row_numbers for t in tables])
    assert (np.diff(rows) > 0).all() and rows[0] >= 1


def test_a_misspelt_column_names_the_likeliest_one_meant(tmp_path):
    names = ["Unnamed: 0", "npreg", "glu", "bp", "skin", "bmi", "ped", "age", "type"]
    path = write(tmp_path, "pima.csv", (",".join(names) + "\n" + ",".join(["1"] * 9) + "\n").encode())
    message = raises("", read_table, path, label_column="Type")  # the 9th column, past the 8 listed
    assert message == (f"{path}: no column 'Type' for --label-column; did you mean 'type'? columns are Unnamed: 0 "
                       "(the unnamed first column), npreg, glu, bp, skin, bmi, ped, age, ... (9 in all)")
    assert "did you mean 'skin'" in raises("", read_table, path, exclude=["skn"])
    assert "did you mean" not in raises("", read_table, path, id_column="zzz")


def usage_error(func, *args, **kwargs) -> str:
    """Call and return the one-line message of an OptionError: options that contradict each other
    (the command line exits 2 for them, as for any usage error)."""
    with pytest.raises(OptionError) as info:
        func(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_column_named_twice_in_columns_is_a_usage_error(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,s\n1,2,x\n")
    assert usage_error(read_table, path, columns=["a", "b", "a"]) == (
        f"{path}: column 'a' is named twice in --columns; name each column once")


def test_a_column_is_a_feature_an_id_or_a_label_not_two_of_them(tmp_path):
    path = write(tmp_path, "judges.csv", b"judge,CONT,INTG,DMNR\na,1,2,3\nb,4,5,6\n")
    assert usage_error(read_table, path, columns=["CONT", "INTG", "DMNR"], label_column="CONT") == (
        f"{path}: 'CONT' is in --columns and is the --label-column; a column is a feature or the label column, "
        "not both")
    assert usage_error(read_table, path, id_column="judge", label_column="judge") == (
        f"{path}: 'judge' is both --id-column and --label-column; name different columns")
    assert read_table(path, columns=["INTG", "DMNR"], label_column="CONT").feature_names == ["INTG", "DMNR"]


def test_a_parquet_files_stored_index_is_read_as_row_labels_or_a_named_column(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 7.0]}, index=["x", "y", "z"])
    frame.to_parquet(tmp_path / "rows.parquet")
    table = read_table(str(tmp_path / "rows.parquet"))
    assert table.ids.tolist() == ["x", "y", "z"] and table.row_labels_as_ids and table.feature_names == ["a", "b"]
    frame.rename_axis("car").to_parquet(tmp_path / "named.parquet")
    table = read_table(str(tmp_path / "named.parquet"), id_column="car")
    assert table.ids.tolist() == ["x", "y", "z"] and table.feature_names == ["a", "b"]
    frame.reset_index(drop=True).to_parquet(tmp_path / "plain.parquet")  # a RangeIndex is stored as metadata
    assert read_table(str(tmp_path / "plain.parquet")).ids is None


def test_text_columns_of_numbers_are_told_why_they_are_text():
    """Trial 38: '$ 37.13' and '8%' were skipped as ids or labels; so were 39.6 under --thousands ."""
    from aereduce.tables import _numbers_as_text

    for cells, first in ((["$ 37.13", "$1,200"], "$ 37.13"), (["8%", "-12.5%"], "8%"), (["12 kg", "3kg"], "12 kg"),
                         (["EUR 1.5", "EUR 20"], "EUR 1.5"), (["3 m/s", "4 m/s"], "3 m/s"), (["21°C", "20 °C"], "21°C"),
                         (["5 €", "6 €"], "5 €"), (["10 cm²", "3 m²"], "10 cm²")):
        assert _numbers_as_text(pd.Series(cells + [None, ""]), ".", None) == ("unit", first), cells
    assert _numbers_as_text(pd.Series(["$5.00", "-$3.20", "($3.20)"]), ".", None) == ("unit", "$5.00")
    # dates, times, ordinals, ids (a review: '22 Jan', '8 pm', 'UAL 802' were told to drop their "units")
    for cells in (["Adelie", "Gentoo"], ["12B", "13C"], ["A12", "B13"], ["2018-01-02", "2019-03-01"], ["12", "13"],
                  ["M", "F"], ["8%", "n/a", "x", "y"], ["22 Jan", "30 Oct"], ["8 pm", "12 am"], ["1st", "12th"],
                  ["UAL 802", "ABC 123"], ["12:30", "A-12"]):
        assert _numbers_as_text(pd.Series(cells), ".", None) is None, cells
    assert _numbers_as_text(pd.Series(["80,2", "1,5"]), ".", None) == ("comma", "80,2")
    assert _numbers_as_text(pd.Series(["42,000", "1,500"]), ".", None) == ("grouped", "42,000")
    assert _numbers_as_text(pd.Series(["80,2", "1,5"]), ",", None) is None  # read with the comma: not text
    assert _numbers_as_text(pd.Series(["39.6", "-40.25"]), ",", ".") == ("thousands", "39.6")
    assert _numbers_as_text(pd.Series(["39.6", "-40.25"]), ",", None) is None
    for cells in (["22.01.2023", "23.01.2023"], ["1.2.3", "1.2.4"], ["192.168.0.1", "10.0.0.1"]):  # a review
        assert _numbers_as_text(pd.Series(cells), ",", ".") is None, cells


def test_a_title_line_and_a_units_line_are_named_as_such(tmp_path):
    """Trial 39: a report's title above the table was "row 2 has 3 fields but the header has 1; remove
    the extra fields", and a units line under the header was advised --nan mean, which made it a row."""
    title = write(tmp_path, "t.csv", "Sales report generated 2023-01-05\na,b,c\n1,2,3\n4,5,7\n")
    raises(f"{title}: row 2 has 3 fields but the header has 1; if line 1 is a title above the table, delete it so "
           "that the header comes first", read_table, title)
    units = write(tmp_path, "u.csv", "u,w,k\nkg,cm,count\n1,2,3\n4,5,7\n2,2,1\n")
    raises(f"{units}: non-numeric values in numeric columns: 'u' (row 2: 'kg'), 'w' (row 2: 'cm'), 'k' (row 2: "
           "'count'); row 2 holds text in every numeric column: if it is a second header line (units, say), delete "
           "it; else read them as missing with --nan mean (or drop, zero), or leave the columns out with --exclude "
           "u,w,k", read_table, units)
    # Excel writes a title cell as a full row (Title,,), and a blank line under it (trial 44 was listed every cell)
    excel = write(tmp_path, "e.csv", "Sales report,,\n\na,b,c\n1,2,3\n4,5,7\n")
    assert raises("", read_table, excel) == (
        f"{excel}: the first line names one column ('Sales report'), and row 3 holds text in every column ('a', 'b', "
        "'c', ...), as a header does: if line 1 is a title above the table, delete the lines above row 3 so that the "
        "header comes first")


def test_columns_of_decimal_commas_read_with_a_point_are_named_with_the_fix(tmp_path):
    from aereduce.tables import MissingValues
    from aereduce.usecases import table_notes

    path = write(tmp_path, "eu.csv", "name;a;b;c\nx;80,2;1,5;3\ny;81,3;2,5;4\nz;70,1;NA;6\n")
    table = read_table(path, sep=";", decimal=".", missing="mean")
    assert table.skipped_columns == ["name", "a", "b"]
    assert table.numbers_as_text == {"a": ("comma", "80,2"), "b": ("comma", "1,5")}
    assert table_notes(table, MissingValues("mean").fit(table))[0] == (
        "skipped 3 non-numeric columns: name, a, b (use them with --id-column or --label-column); a, b hold "
        "numbers written with a decimal comma ('80,2', '1,5'): pass --decimal , to read them")
    assert read_table(path, sep=";", missing="mean").feature_names == ["a", "b", "c"]  # sniffed: read as numbers


def test_a_column_in_both_columns_and_exclude_is_refused(tmp_path):
    path = write(tmp_path, "d.csv", "a,b,c\n1,2,3\n4,5,6\n")
    assert usage_error(read_table, path, columns=["a", "b"], exclude=["b"]) == (
        f"{path}: 'b' is in both --columns and --exclude; name it in one of them")


# -- random files against the csv module ---------------------------------------------------------

def random_csv(rng: np.random.Generator) -> tuple[str, list[list[float]], list[str], list[int], int]:
    """A valid CSV of an id column (quoted text with delimiters, doubled quotes and line breaks,
    or a quote inside a plain field) and numeric columns, with CRLF, blank lines or a delimiter
    at every row's end at random: its text, values, ids, each row's first line, and the width."""
    n_rows, n_numbers = int(rng.integers(3, 60)), int(rng.integers(1, 5))
    end = "\r\n" if rng.random() < 0.3 else "\n"
    trailing = "," if rng.random() < 0.2 else ""
    lines = ["id," + ",".join(f"v{j}" for j in range(n_numbers)) + trailing]
    values, ids, starts = [], [], []
    for i in range(n_rows):
        if rng.random() < 0.1:
            lines.append("")  # a blank line
        kind = rng.random()
        ident = (f'x{i}, "quoted"\nover lines' if kind < 0.3 else f'{i}" pizza' if kind < 0.4 else f"r{i}")
        cell = '"' + ident.replace('"', '""') + '"' if kind < 0.3 else ident
        row = [float(np.round(rng.normal() * 100, 3)) if rng.random() > 0.1 else float("nan") for _ in range(n_numbers)]
        starts.append(sum(line.count("\n") + 1 for line in lines) + 1)
        lines.append(cell + "," + ",".join("" if np.isnan(v) else repr(v) for v in row) + trailing)
        values.append(row)
        ids.append(ident)
    return end.join(line.replace("\n", end) for line in lines) + end, values, ids, starts, n_numbers + 1


@pytest.mark.parametrize("seed", range(40))
def test_random_valid_files_read_as_the_csv_module_reads_them_and_a_bad_row_is_named(tmp_path, seed):
    rng = np.random.default_rng(seed)
    text, values, ids, starts, width = random_csv(rng)
    path = write(tmp_path, "d.csv", text)
    for chunk in (None, 1, 7):
        tables = list(iter_tables(path, chunk, id_column="id", missing="mean", header=True))
        np.testing.assert_allclose(np.concatenate([t.X for t in tables]), np.array(values), equal_nan=True)
        assert np.concatenate([t.ids for t in tables]).tolist() == [i.replace("\n", "\r\n") if "\r\n" in text else i for i in ids]
        assert np.concatenate([t.row_numbers for t in tables]).tolist() == starts
    # One row with a field cut out, or one added: named by its first line, under every policy.
    lines = text.split("\r\n" if "\r\n" in text else "\n")
    bad = int(rng.integers(len(starts)))
    target = starts[bad] - 1 + ids[bad].count("\n")  # the record's last line holds the numbers
    trailing = lines[0].endswith(",")
    fields = lines[target].split(",")[: -1 if trailing else None]
    fields = fields[:-1] if rng.random() < 0.5 else [*fields, "7"]
    lines[target] = ",".join(fields + [""] * trailing)
    path = write(tmp_path, "bad.csv", ("\r\n" if "\r\n" in text else "\n").join(lines))
    message = raises("", read_table, path, id_column="id", missing="mean", header=True)
    assert message.startswith(f"{path}: row {starts[bad]} has "), message


def test_a_quote_inside_a_field_does_not_open_a_quoted_one(tmp_path):
    """Review: 12" pizza was taken to open a quoted field, and a valid file was refused."""
    path = write(tmp_path, "d.csv", 'a,b,c\n12" pizza,1,2\n3,4,5\n1,"a\nb",2\n6,7,8\n')
    table = read_table(path, missing="mean")
    assert table.row_numbers.tolist() == [2, 3, 4, 6] and table.X[:, 2].tolist() == [2, 5, 2, 8]
    two = read_table(write(tmp_path, "e.csv", 'a,b,c\n12" x,5" y,3\n4,5,6\n'))
    assert two.feature_names == ["c"] and two.X.ravel().tolist() == [3, 6]


def test_a_signal_as_read_returns_is_an_interrupt_not_a_malformed_file(tmp_path, monkeypatch):
    """Trial 32: Ctrl-C delivered as the read() pandas' C parser called returned left no trace in the
    source, and came back once as "not a well-formed CSV file (... Calling read(nbytes) on source failed)"."""
    import os
    import signal

    import aereduce.tables as tables

    path = write(tmp_path, "big.csv", "a,b\n" + "".join(f"{i},{i % 7}.5\n" for i in range(200_000)))
    calls = {"n": 0}
    read = tables._TextSource.read

    def signalled_read(self, size=-1):
        calls["n"] += 1
        text = read(self, size)
        if calls["n"] == 5:  # inside pandas' parser, past the sniffed head
            os.kill(os.getpid(), signal.SIGINT)
        return text

    monkeypatch.setattr(tables._TextSource, "read", signalled_read)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # pytest-xdist's workers ignore it
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in iter_tables(str(path), 10_000):
                pass
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_while_pandas_reads_is_an_interrupt_not_a_malformed_file(tmp_path, monkeypatch):
    """Trial 22: Ctrl-C inside the read() pandas' C parser calls came back as its ParserError ("Calling
    read(nbytes) on source failed"), reported as a malformed CSV with exit status 1 instead of 130."""
    import aereduce.tables as tables

    path = write(tmp_path, "big.csv", "a,b\n" + "".join(f"{i},{i % 7}.5\n" for i in range(200_000)))
    calls = {"n": 0}
    fill = tables._TextSource._fill

    def interrupted_fill(self):
        calls["n"] += 1
        if calls["n"] > 20:  # well past the sniffed head: inside pandas' parser
            raise KeyboardInterrupt
        fill(self)

    monkeypatch.setattr(tables._TextSource, "_fill", interrupted_fill)
    with pytest.raises(KeyboardInterrupt):
        for _ in iter_tables(str(path), 10_000):
            pass
    # as the trial saw it: pandas' C parser reporting the failed read() as its own error
    from pandas.io.parsers.readers import TextFileReader

    next_chunk = TextFileReader.__next__

    def wrapped_next(self):
        try:
            return next_chunk(self)
        except KeyboardInterrupt:
            raise pd.errors.ParserError("Error tokenizing data. C error: Calling read(nbytes) on source failed. "
                                        "Try engine='python'.") from None

    monkeypatch.setattr(TextFileReader, "__next__", wrapped_next)
    calls["n"] = 0
    with pytest.raises(KeyboardInterrupt):
        for _ in iter_tables(str(path), 10_000):
            pass


def test_a_column_of_mixed_types_read_whole_raises_no_pandas_warning(tmp_path):
    """Trial 22: 'Columns (4: f3) have mixed types. Specify dtype option on import or set low_memory=False'
    reached a command-line user, who can do neither; the cell is read as missing and counted instead."""
    n = 300_000
    path = write(tmp_path, "mixed.csv", "a,b\n" + "".join(f"{i},{i % 5}\n" for i in range(n - 5)) + "1,oops\n" * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read_table(path, missing="drop")
    assert table.non_numeric_counts == {"b": 5}


def test_a_gzip_output_names_itself_not_its_temporary_file(tmp_path):
    """Trial 24: the header named '.x.csv.gz.aereduce-...tmp', which `gunzip -N` would restore."""
    import gzip as gzip_module

    from aereduce.tables import write_table

    out = tmp_path / "codes.csv.gz"
    write_table(str(out), pd.DataFrame({"a": [1, 2]}))
    raw = out.read_bytes()
    assert raw[3] & 0x08  # FNAME: the header carries a name
    name = raw[10 : raw.index(b"\0", 10)]
    assert name == b"codes.csv"
    assert gzip_module.decompress(raw).decode() == "a\n1\n2\n"


def test_near_name_hints_never_offer_one_column_twice_nor_the_id_or_label_for_columns():
    """Review: 'score' was offered for both score1 and score2; --columns was told to list the label column."""
    from aereduce.tables import _near_hint, _renamed_hint

    assert _near_hint(["score1", "score2", "x"], ["score", "x"]) == ""
    assert _near_hint(["score1", "y", "x"], ["score", "x"]) == "; did you mean 'score'? rename it 'score1' in the file"
    assert _renamed_hint(["a", "b", "c"], ["lab", "p", "q"], (None, "lab")) == ""
    assert _renamed_hint(["a", "b", "c"], ["lab", "p", "q", "r"], (None, "lab")) == (
        "; if the file's 3 columns are the model's in its order, pass --columns p,q,r")


def _units_over_time(tmp_path, times: dict[str, np.ndarray], n_units: int, unit: str = "Subject") -> str:
    rng = np.random.default_rng(0)
    n_times = len(next(iter(times.values())))
    frame = pd.DataFrame({unit: np.repeat([f"s{i}" for i in range(n_units)], n_times),
                          **{name: np.tile(values, n_units) for name, values in times.items()},
                          "y": rng.normal(size=n_units * n_times)})
    path = tmp_path / "panel.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("times, found", [
    ({"Days": np.arange(10)}, ("Days",)),  # R's sleepstudy: subjects over days of a study, no date part
    ({"Time": np.arange(0, 24, 2)}, ("Time",)),  # ChickWeight, dietox
    # year and month together: neither alone names each unit once
    ({"year": np.repeat([2001, 2002, 2003], 12), "month": np.tile(np.arange(1, 13), 3)}, ("year", "month")),
])
def test_units_over_a_time_count_or_over_year_and_month_are_a_panel(tmp_path, times, found):
    assert read_table(_units_over_time(tmp_path, times, n_units=18)).panel_units == ("Subject", found, 18)


def test_blank_rows_do_not_hide_a_panel(tmp_path):
    """A review: two rows of empty fields were one unit twice at one time, and Produc's note went."""
    path = _units_over_time(tmp_path, {"year": np.arange(2000, 2010)}, n_units=12)
    with open(path, "a") as f:
        f.write(",,\n,,\n")
    assert read_table(path).panel_units == ("Subject", ("year",), 12)


def test_a_time_shared_by_chance_is_no_panel(tmp_path):
    """R's gehan: 21 pairs of patients and their survival times, a few of which two patients share."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"pair": np.repeat(np.arange(21), 2), "time": rng.integers(1, 30, size=42),
                          "y": rng.normal(size=42)})
    path = tmp_path / "gehan.csv"
    frame.to_csv(path, index=False)
    assert read_table(str(path)).panel_units is None


def test_totals_rows_are_rows_that_hold_the_sums_of_the_others():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, size=(50, 6)).round(2)
    totals = X.sum(axis=0).round(0)  # written rounded, as a spreadsheet shows a sum
    totals[5] = X[:, 5].mean()  # a column averaged, not summed
    with_totals = np.vstack([X, totals])
    rows = np.ones(51, dtype=bool)
    assert totals_rows(with_totals, rows) == {50: 5}
    assert totals_rows(with_totals, rows & (np.arange(51) != 50)) == {}  # a row left out already is not one
    assert totals_rows(X, np.ones(50, dtype=bool)) == {}
    averages = np.vstack([X, X.mean(axis=0)])  # an averages row is a plausible sample: kept
    assert totals_rows(averages, np.ones(51, dtype=bool)) == {}
    zeros = np.vstack([np.zeros((5, 3)), [[0, 0, 1]]])  # 0 is the sum of zeros, not a total
    assert totals_rows(zeros, np.ones(6, dtype=bool)) == {}
    # a review: in a sparse table of 0/1 answers, a row's 1s matched the others' by chance (two smokers)
    survey = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 0, 1], *[[0, 0, 1, i % 2] for i in range(7)]], dtype=float)
    assert totals_rows(survey, np.ones(10, dtype=bool)) == {}


def test_a_watch_over_chunks_finds_the_totals_rows_the_whole_table_shows():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.uniform(1, 5, size=(300, 4)), np.zeros((1, 4))])
    X[-1] = X[:-1].sum(axis=0)
    X[17, 2] = np.nan  # a missing value counts as none in the sums
    X[-1, 2] = np.nansum(X[:-1, 2])
    watch = TotalsWatch()
    for start in range(0, 301, 70):
        watch.add(X[start:start + 70], np.arange(start, min(start + 70, 301)) + 2)
    assert watch.found() == {302: 4}
    again = TotalsWatch()
    again.add(X[:-1], np.arange(300) + 2)
    assert again.found() == {}


def test_a_database_export_s_null_is_a_missing_value(tmp_path):
    """Trial 44: MySQL's and PostgreSQL's text exports write NULL as \\N, which was a non-numeric cell."""
    path = write(tmp_path, "n.csv", "a,b\n1,2\n\\N,3\n4,5\n")
    assert raises("", read_table, path) == f"{path}: row 3, column 'a' is missing; fill it, or pass nan='drop', nan='zero' or nan='mean'"
    assert read_table(path, missing="mean").non_numeric_counts == {}


def test_a_measurement_named_as_a_time_does_not_hide_year_and_month(tmp_path):
    """A review: rain in mm named 'days' beside year and month made the three together no panel time."""
    rng = np.random.default_rng(0)
    n_units, n_times = 10, 36
    frame = pd.DataFrame({"station": np.repeat([f"s{i}" for i in range(n_units)], n_times),
                          "year": np.tile(np.repeat([2001, 2002, 2003], 12), n_units),
                          "month": np.tile(np.arange(1, 13), 3 * n_units),
                          "days": rng.integers(0, 20, size=n_units * n_times)})
    path = tmp_path / "rain.csv"
    frame.to_csv(path, index=False)
    assert read_table(str(path)).panel_units == ("station", ("year", "month"), 10)


def test_a_carried_column_takes_a_free_name_beside_the_results():
    from aereduce.tables import free_name, names_beside

    assert free_name("species", "label", {"ae0", "ae1"}) == "species"
    assert free_name("ae0", "label", {"ae0", "ae1"}) == "ae0_label"
    assert free_name("ae0", "label", {"ae0", "ae0_label", "ae0_label2"}) == "ae0_label3"
    # the id first, then the label beside it too; the row column of --top is taken as well
    assert names_beside("row", "row_id", ["score"], row_column="row") == {"row": "row_id", "row_id": "row_id_label"}
    assert names_beside(None, "outlier", ["anomaly_score", "outlier"]) == {"outlier": "outlier_label"}


@pytest.mark.parametrize("nan", ["mean", "drop", "zero"])
def test_a_header_repeated_inside_the_file_is_refused_under_every_nan_policy(tmp_path, nan):
    """Trial 52: two CSVs joined with cat put a header line mid-file, which --nan mean read as a row of
    means with the id 'id', in the fit and in transform's output."""
    from aereduce.errors import InputError
    from aereduce.tables import read_table

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=list("abc"))
    frame.insert(0, "id", [f"u{i}" for i in range(30)])
    frame.to_csv(tmp_path / "half.csv", index=False)
    (tmp_path / "cat.csv").write_text((tmp_path / "half.csv").read_text() * 2)
    with pytest.raises(InputError, match=r"cat.csv: row 32 repeats the header line \('a', 'b', 'c', \.\.\.\) inside "
                                         r"the file \(files joined with cat, say\): delete it"):
        read_table(tmp_path / "cat.csv", id_column="id", missing=nan)
    # a row of '?' in every cell (missing values in UCI's files) is no header: read as missing, as before (a review)
    (tmp_path / "q.csv").write_text((tmp_path / "half.csv").read_text() + "r_q,?,?,?\n")
    table = read_table(tmp_path / "q.csv", id_column="id", missing=nan)
    assert table.X.shape == (31, 3) and (np.isnan(table.X[-1]).all() or nan == "zero")
    frame["a"] = frame["a"].astype(object)
    frame.loc[5, "a"] = "oops"  # one text cell is a missing value under these policies, as before
    frame.to_csv(tmp_path / "one.csv", index=False)
    assert read_table(tmp_path / "one.csv", id_column="id", missing=nan).X.shape == (30, 3)
