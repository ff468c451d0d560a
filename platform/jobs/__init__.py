"""Running submissions' jobs: the queue's state machine, scoring and tracking.

Workers (the embedded threads today, separate processes later) call these; each state change
is a conditional UPDATE committed on its own, so a job is claimed by one worker and recorded
once whatever runs it.
"""
