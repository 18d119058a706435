"""The shared core: the document model, the corpus, the Label Studio export's model, reader and writer, tokens,
and the small helpers every path uses (addresses, atomic files, intervals)."""
