"""Frame features from raw video: preprocessing, the ImageNet trunk and its exact batched route.

Below summarize/ (generate_video) and the data-set tools (the VideoXum extractor, the data-set
builder), which all share one embedder; above video/ and models/.
"""
