"""The local web page (python app.py): summarise a video and look inside predictions, in the browser.

The page is a thin layer over the commands: a summary is generate_video.py run on the same options
(summary_job), the scores are those builder/ and evaluation/ compute for score.py (predictions).
Gradio is an optional extra (pip install -e '.[app]'); only webapp.page and webapp.serve import it.
"""
