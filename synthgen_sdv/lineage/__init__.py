"""Executed ETL lineage with labeled faults: the pipeline runs, its faults, and their proof.

Entry points (import from the modules; this package stays light to import):
``runner.run_lineage(tables, spec, seed) -> LineageRun``; ``writer.write_lineage(run,
metadata_dir, extra_sections=...)``, ``writer.lineage_labels(run)``, ``writer.write_lineage_data``
and ``writer.run_for_output(out_dir, seed)`` (all of it over an output folder);
``verify.verify_lineage(out_dir)``; ``graph.export_graph(out_dir)`` and ``graph.to_pyg(prefix)``.
``models`` holds the lineage.yml models and ``spec.load_lineage_spec`` loads and checks them.
Plug-ins: ``operations.OPERATIONS`` (SQL-building ETL operations) and ``faults.FAULTS`` (a
package: the contract in ``faults.base``, the fault families in ``writes``, ``joins``, ``values``).
"""
