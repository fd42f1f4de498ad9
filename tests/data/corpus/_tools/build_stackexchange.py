"""Build corpus/stackexchange from a Stack Exchange site's public data dump (XML).

Source: the dump of bicycles.meta.stackexchange.com (dated 2023-08) as committed in
https://github.com/woodstock-dev/code-challenge-10-18-2023 (commit
7399398f756abd45523d51a8bf8679a28959971e), folder data/: Users, Posts, Comments, Votes,
Badges, PostHistory, PostLinks, Tags.

Subset by question (the root of a thread): the questions asked from 2013 on, with their answers
and every row of Comments, Votes, PostHistory and PostLinks about those posts (a PostLinks row
needs both its posts); the posts that are neither questions nor answers (tag wikis and their
excerpts) are kept whole, and so are Users, Badges and Tags. Each <row> becomes a CSV row;
the columns are the attributes in order of first appearance (an attribute a row lacks is
NULL, which is how the dump writes NULL). Values as written (XML entities decoded; HTML
bodies kept as text). The dump leaves out deleted posts
and users but keeps rows that refer to them: a nullable reference to a row that is not in the
dump is written as NULL, and a row whose non-null reference (Votes.PostId, Comments.PostId,
PostHistory.PostId, PostLinks.PostId/RelatedPostId) names a missing post is dropped; both are
counted when the script runs.

Keys: the schema documentation of the dump and the Stack Exchange Data Explorer
(meta.stackexchange.com/questions/2677): every table's key is Id; the references below.

usage: python build_stackexchange.py path/to/data   (the folder holding the eight XML files)
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = (
    "bicycles.meta.stackexchange.com data dump (2023-08) as committed in "
    "https://github.com/woodstock-dev/code-challenge-10-18-2023, commit "
    "7399398f756abd45523d51a8bf8679a28959971e, data/*.xml"
)
LICENCE = (
    "CC BY-SA (user contributions on Stack Exchange are licensed CC BY-SA 2.5, 3.0 or 4.0, as "
    "each post's ContentLicense says; the data dump is published under CC BY-SA 4.0)"
)
TABLES = ["Users", "Posts", "Comments", "Votes", "Badges", "PostHistory", "PostLinks", "Tags"]
# (child, column, parent, required): required references drop the row when dangling.
REFS = [
    ("Posts", "OwnerUserId", "Users", False),
    ("Posts", "LastEditorUserId", "Users", False),
    ("Posts", "ParentId", "Posts", False),
    ("Posts", "AcceptedAnswerId", "Posts", False),
    ("Comments", "PostId", "Posts", True),
    ("Comments", "UserId", "Users", False),
    ("Votes", "PostId", "Posts", True),
    ("Votes", "UserId", "Users", False),
    ("Badges", "UserId", "Users", True),
    ("PostHistory", "PostId", "Posts", True),
    ("PostHistory", "UserId", "Users", False),
    ("PostLinks", "PostId", "Posts", True),
    ("PostLinks", "RelatedPostId", "Posts", True),
    ("Tags", "ExcerptPostId", "Posts", False),
    ("Tags", "WikiPostId", "Posts", False),
]
ABSENT = [
    ("Posts", "PostTypeId", "PostTypes"),
    ("Votes", "VoteTypeId", "VoteTypes"),
    ("PostHistory", "PostHistoryTypeId", "PostHistoryTypes"),
    ("PostLinks", "LinkTypeId", "LinkTypes"),
    ("Users", "AccountId", "Accounts"),
]


def read(path: Path) -> tuple[list[str], list[dict]]:
    rows = [dict(e.attrib) for e in ET.parse(path).getroot().iter("row")]
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    return list(cols), rows


FIRST_YEAR = "2013"
POST_CHILDREN = [
    ("Comments", "PostId"),
    ("Votes", "PostId"),
    ("PostHistory", "PostId"),
    ("PostLinks", "PostId"),
    ("PostLinks", "RelatedPostId"),
]


def subset(data: dict) -> None:
    """Keep the questions asked from FIRST_YEAR on, their answers and the rows about them."""
    cols, posts = data["Posts"]
    questions = {
        r["Id"] for r in posts if r["PostTypeId"] == "1" and r["CreationDate"] >= FIRST_YEAR
    }
    kept = [
        r
        for r in posts
        if r["Id"] in questions
        or r.get("ParentId") in questions
        or r["PostTypeId"] not in ("1", "2")
    ]
    data["Posts"] = (cols, kept)
    ids = {r["Id"] for r in kept}
    for child, col in POST_CHILDREN:
        cols, rows = data[child]
        data[child] = (cols, [r for r in rows if r.get(col) is None or r[col] in ids])


def main(src):
    src, out = Path(src), CORPUS / "stackexchange"
    data = {t: read(src / f"{t}.xml") for t in TABLES}
    subset(data)
    ids = {t: {r["Id"] for r in data[t][1]} for t in ("Users", "Posts")}
    refs = [r for r in REFS if r[1] in data[r[0]][0]]
    for child, col, _, _ in sorted(set(REFS) - set(refs)):
        print(f"{child}.{col}: not in the dump (no row has it), not declared")
    for child, col, parent, required in refs:
        cols, rows = data[child]
        dangling = [r for r in rows if r.get(col) is not None and r[col] not in ids[parent]]
        if required:
            gone = {id(r) for r in dangling}
            data[child] = (cols, [r for r in rows if id(r) not in gone])
            print(f"{child}.{col}: {len(dangling)} rows dropped ({parent} row not in the dump)")
        else:
            for r in dangling:
                del r[col]
            print(f"{child}.{col}: {len(dangling)} references set to NULL")
    for t in TABLES:
        cols, rows = data[t]
        n = write_table(out, t, cols, ([r.get(c) for c in cols] for r in rows))
        print(f"{t:12s} {n:6d}")
    write_keys(
        out,
        SOURCE,
        LICENCE,
        dict.fromkeys(TABLES, "Id"),
        sorted((c, col, p, "Id") for c, col, p, _ in refs),
        absent_parents=ABSENT,
    )


if __name__ == "__main__":
    main(sys.argv[1])
