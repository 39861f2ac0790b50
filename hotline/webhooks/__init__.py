"""What carriers call: Twilio's SMS and status webhooks, its voice webhooks and their TwiML,
and Alibaba Cloud SMS's pushes (replies and delivery reports)."""
