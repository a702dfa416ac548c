"""Each page's view state and its URL: one codec, one frozen dataclass per page, cross-page links."""
