"""The content-team portal: editors hand in lessons (resumable uploads), see them checked,
start runs, follow progress, read the deviation report, preview, publish and bundle.

Mounted beside the review pages by the app factory (``flows.app``), with the same sessions,
CSRF and headers; it uses review's public pieces (accounts, ``web_common``), review knows
nothing of it. Routes in ``web`` (pages), ``web_actions`` (forms) and ``web_upload`` (the
tus endpoints and the one small script); ``store`` and ``tables`` (editors and portal
lessons, with their own ``migrations``), ``strings`` (its messages), ``uploads``
(resumable uploads on disk), ``lessons`` (lesson folders and outputs).
"""

from pipeline.core.i18n import register_catalogue
from pipeline.portal.strings import PORTAL

register_catalogue("portal", PORTAL)
