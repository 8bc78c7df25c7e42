"""Province-scale analysis on Dask distributed, with results identical to one process.

``layers``: the polygons the area is split by (``--partition-by``) and who owns each resident;
``plan``: snapping once over the whole network, halos and the part of the network per partition;
``tasks``: what a worker receives and computes; ``run``: :func:`run.analyze_partitioned` and the
merge; ``cluster``: a LocalCluster or an existing cluster; ``cli``: the command-line options of
``python -m planning analyze|export``.
"""
