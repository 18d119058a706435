"""syria-news-spans: corpus + Label Studio export -> document model -> validated tables -> Parquet + card."""
