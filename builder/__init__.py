"""Your own videos as a data set: build an eccv16-format h5 from raw videos and labels
(build_dataset.py) and score any method's predictions on it under this project's protocol (score.py).

Above evaluation/ (user summaries from score labels are made by its knapsack) and beside summarize/,
whose streaming decode, frame embedder and KTS routes it shares."""
