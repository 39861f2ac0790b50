"""Bulk service SMS: composing a campaign, choosing its audience, sending it in chunks under a
throttle, controlling and reporting it, and the replies and delivery reports it gets back."""
