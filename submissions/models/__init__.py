"""Model submissions: an uploaded MLflow model checked, then run only inside a sandbox.

Nothing here loads a participant's model in the calling process: ``archive`` and
``requirements`` read text files, and ``sandbox`` hands the model to ``runner`` in a
bubblewrap sandbox.
"""
