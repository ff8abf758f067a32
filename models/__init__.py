"""The models: CSTA (every variant of the reference's options, models/csta.py), PGL-SUM, CA-SUM, their
attention CNNs, checkpoint handling, and what differs between methods (models/methods.py).

The package imports nothing itself: import its modules directly. models/methods.py in particular
loads torch only when a model is built, so that scripts resolve a method's defaults and refuse bad
options before loading torch.
"""
