"""Drafting a dataset folder from a raw file, for an organizer to review and finish."""

from odx.datasets.draft.dataset import Decision, DraftColumn, DraftResult, draft_dataset

__all__ = ["Decision", "DraftColumn", "DraftResult", "draft_dataset"]
