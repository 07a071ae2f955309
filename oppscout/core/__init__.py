"""The domain: contracts, conversation, the service every interface calls, analysis, costs, watches, persistence."""
