"""The labels of a run, collected in chunk order: rows each anomaly touched, hidden entity links."""

from __future__ import annotations

from typing import Any

from synthgen_sdv.schema.plan import Plan


class LabelCollector:
    """Keys touched per anomaly and entity links, added chunk by chunk in the main process."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._touched: dict[int, list[Any]] = {}
        self._links: list[dict[str, Any]] = []

    def add(
        self,
        table: str,
        chunk: int,
        touched: dict[int, list[Any]],
        links: dict[str, tuple[list[Any], list[Any]]],
    ) -> None:
        """One chunk's labels of ``table`` (chunks arrive in order)."""
        for i, rows in touched.items():
            self._touched.setdefault(i, []).extend(rows)
        for col, (keys, targets) in links.items():
            target = self.plan.tables[table].columns[col].foreign_key_target
            self._links.extend(
                {"table": table, "key": k, "links_to": {"table": target, "key": t}, "via": col}
                for k, t in zip(keys, targets, strict=True)
            )

    def anomalies(self) -> list[dict[str, Any]]:
        """Every configured anomaly with the primary keys of the rows it touched."""
        out = []
        for i, anomaly in enumerate(self.plan.anomalies):
            tp = self.plan.tables[anomaly.table]
            out.append(
                {
                    "id": f"{anomaly.table}.{anomaly.kind}.{i}",
                    "kind": anomaly.kind,
                    "table": anomaly.table,
                    "column": anomaly.column,
                    "primary_key": tp.primary_key,
                    "rows": self._touched.get(i, []),
                    "params": anomaly.params(),
                    "description": anomaly.description
                    or type(anomaly).__doc__.strip().splitlines()[0],
                }
            )
        return out

    def entity_links(self) -> list[dict[str, Any]]:
        """Rows of ``ground_truth`` lookups and the row each one is secretly linked to."""
        return self._links
