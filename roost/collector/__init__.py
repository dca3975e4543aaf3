"""The collector: the hourly snapshot pass over every tracked X user, the timeline pass that archives their
posts, and the runner loop (heartbeat, clean stop). Work is claimed through `roost.store.queue`."""
