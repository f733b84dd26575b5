"""The messages inventory handles and sends: its contracts, the consumer of its commands, and
the messages its events become (``outgoing``)."""
