"""The messages payments handles and sends: its contracts, the consumer of its commands, and
the messages its events become (``outgoing``)."""
