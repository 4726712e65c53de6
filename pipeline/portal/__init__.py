"""The content-team portal: editors hand in lessons (resumable uploads), see them checked,
start runs, follow progress, read the deviation report, preview, publish and bundle.

Same web app and security as the review pages (``pipeline.review.web``): routes in
``web`` (pages) and ``web_upload`` (the tus endpoints and the one small script),
``uploads`` (resumable uploads on disk), ``lessons`` (lesson folders and outputs),
``registry`` (which team a lesson belongs to).
"""
