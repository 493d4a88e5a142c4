"""``make nlu-report``: how well the NLU understands, measured three ways.

- ``cv``: ``rasa test nlu --cross-validation`` on ``data/nlu`` with ``config.yml``
  (folds from ``NLU_FOLDS``, seeded so two pipelines see the same folds);
- ``heldout``: the independent ``tests/nlu/test_set.yml`` and ``tests/nlu/out_of_scope.yml``
  parsed in-process by one loaded model (never trained on);
- ``metrics``: the pure functions behind the figures (tested in ``tests/nlu_report``).
"""
