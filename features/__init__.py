"""Frame features from raw video: preprocessing, the ImageNet trunk and its exact batched route, and
the one analysis pass over a video with the shots either --segmentation route finds in it.

Below summarize/ (generate_video) and the data-set tools (the VideoXum extractor, the data-set
builder), which all share one embedder and one segmentation; above video/, kts/ and models/.
"""
