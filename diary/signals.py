"""What the diary tells other apps, without importing them.

`notifications` listens (notifications/apps.py); `diary` never imports it.
"""

from django.dispatch import Signal

# Sent once a raised flag has committed, with `flag_id`. Only an accelerator:
# the flag row itself is the outbox, and a flag without its fan-out is picked
# up by the minute-ly notifications sweep whatever happened to this signal.
flag_raised = Signal()

# Sent inside the transaction that closes a patient's account, with `user_id`:
# whatever the other apps keep for that login (push tokens) goes with it.
account_closed = Signal()
