"""What a batch run does, as plain functions: reading a batch (``read``), checking it
(``check``), re-checking a stored one (``reconcile``) and publishing it (``publish``).

The layer under the flows: ``process_batch``, ``reconcile_batch`` and the bench's run
without Prefect all call these, so a batch is read, checked and published one way. Nothing
here imports Prefect; where a flow runs a step as a task (retries, several at once, on a
cluster) or shows progress, it hands in how (a reader, a ``Steps``, a callback).
"""
