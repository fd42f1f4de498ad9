"""Build corpus/mimic_demo from the MIMIC-III Clinical Database Demo v1.4 (100 patients).

Source: a copy of PhysioNet's demo files on GitHub, https://github.com/tianxu08/mimic-iii-dataset
(commit 16908ad5c9699b34837131dfd595b11e82133e76), one CSV per table with upper-case headers
(the copier's convert.py upper-cased the header row). Two files of that copy were opened and
saved by a spreadsheet: ADMISSIONS' and PATIENTS' datetimes read `10/23/64 21:09` where the
other tables have `2164-10-23 21:10:15`. They are kept as they are: a real copy's mess.

Tables kept (19 of 26): every table small enough to commit (< 1.1 MB), NOTEEVENTS included
although it is empty (header only, as in the demo). Left out: CHARTEVENTS, LABEVENTS,
INPUTEVENTS_CV (over 4 MB, not in the snapshot), INPUTEVENTS_MV, DATETIMEEVENTS,
PRESCRIPTIONS, D_ICD_DIAGNOSES (1.3 to 3.4 MB each). No rows are dropped or changed.

Keys: MIT-LCP/mimic-code, buildmimic/postgres/postgres_create_tables.sql (every table's primary
key is ROW_ID; UNIQUE constraints on PATIENTS.SUBJECT_ID, ADMISSIONS.HADM_ID,
ICUSTAYS.ICUSTAY_ID, CAREGIVERS.CGID, D_ITEMS.ITEMID, D_LABITEMS.ITEMID, D_CPT.SUBSECTIONRANGE,
D_ICD_PROCEDURES.ICD9_CODE) and postgres_add_constraints.sql (foreign keys, which reference
those unique columns, not ROW_ID), plus the two ITEMID -> D_ITEMS links MIMIC-III's table
documentation gives for OUTPUTEVENTS and PROCEDUREEVENTS_MV.

usage: python build_mimic_demo.py path/to/mimic-iii-dataset   (a checkout of that commit)
"""

import csv
import sys
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = (
    "MIMIC-III Clinical Database Demo v1.4 (PhysioNet, doi:10.13026/C2HM2Q), as copied to "
    "https://github.com/tianxu08/mimic-iii-dataset/tree/16908ad5c9699b34837131dfd595b11e82133e76;"
    " keys from https://github.com/MIT-LCP/mimic-code buildmimic/postgres "
    "(postgres_create_tables.sql, postgres_add_constraints.sql)"
)
LICENCE = (
    "ODbL-1.0 (Open Data Commons Open Database License v1.0), the demo's licence on PhysioNet; "
    "the LICENSE.txt of the copy is the ODbL text"
)
TABLES = [
    "PATIENTS",
    "ADMISSIONS",
    "ICUSTAYS",
    "CALLOUT",
    "SERVICES",
    "TRANSFERS",
    "DIAGNOSES_ICD",
    "PROCEDURES_ICD",
    "DRGCODES",
    "CPTEVENTS",
    "MICROBIOLOGYEVENTS",
    "OUTPUTEVENTS",
    "PROCEDUREEVENTS_MV",
    "NOTEEVENTS",
    "CAREGIVERS",
    "D_ITEMS",
    "D_LABITEMS",
    "D_CPT",
    "D_ICD_PROCEDURES",
]
UNIQUE = {
    "PATIENTS": "SUBJECT_ID",
    "ADMISSIONS": "HADM_ID",
    "ICUSTAYS": "ICUSTAY_ID",
    "CAREGIVERS": "CGID",
    "D_ITEMS": "ITEMID",
    "D_LABITEMS": "ITEMID",
    "D_CPT": "SUBSECTIONRANGE",
    "D_ICD_PROCEDURES": "ICD9_CODE",
}
# child: the references postgres_add_constraints.sql declares (subject, admission, stay, cgid)
REFS = {
    "ADMISSIONS": ["SUBJECT_ID"],
    "CALLOUT": ["SUBJECT_ID", "HADM_ID"],
    "CPTEVENTS": ["SUBJECT_ID", "HADM_ID"],
    "DIAGNOSES_ICD": ["SUBJECT_ID", "HADM_ID"],
    "DRGCODES": ["SUBJECT_ID", "HADM_ID"],
    "ICUSTAYS": ["SUBJECT_ID", "HADM_ID"],
    "MICROBIOLOGYEVENTS": ["SUBJECT_ID", "HADM_ID"],
    "NOTEEVENTS": ["SUBJECT_ID", "HADM_ID", "CGID"],
    "OUTPUTEVENTS": ["SUBJECT_ID", "HADM_ID", "ICUSTAY_ID", "CGID"],
    "PROCEDUREEVENTS_MV": ["SUBJECT_ID", "HADM_ID", "ICUSTAY_ID", "CGID"],
    "PROCEDURES_ICD": ["SUBJECT_ID", "HADM_ID"],
    "SERVICES": ["SUBJECT_ID", "HADM_ID"],
    "TRANSFERS": ["SUBJECT_ID", "HADM_ID", "ICUSTAY_ID"],
}
PARENT = {
    "SUBJECT_ID": "PATIENTS",
    "HADM_ID": "ADMISSIONS",
    "ICUSTAY_ID": "ICUSTAYS",
    "CGID": "CAREGIVERS",
    "ITEMID": "D_ITEMS",
}
DOCUMENTED = [("OUTPUTEVENTS", "ITEMID"), ("PROCEDUREEVENTS_MV", "ITEMID")]


def main(src):
    src, out = Path(src), CORPUS / "mimic_demo"
    for t in TABLES:
        with open(src / f"{t}.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        n = write_table(out, t, rows[0], rows[1:])
        print(f"{t}: {n} rows")
    fks = [(c, col, PARENT[col], col) for c, cols in REFS.items() for col in cols]
    fks += [(c, col, PARENT[col], col) for c, col in DOCUMENTED]
    write_keys(
        out,
        SOURCE,
        LICENCE,
        {t: "ROW_ID" for t in TABLES},
        fks,
        extra={"unique": {t: [c] for t, c in UNIQUE.items()}},
    )


if __name__ == "__main__":
    main(sys.argv[1])
