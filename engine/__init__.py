"""Training and evaluation loops that tie the model, the data and the protocol together."""
