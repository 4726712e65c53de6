"""The web app: the review pages and, beside them, the content-team portal.

The one place both are mounted (``pipeline.review`` knows nothing of the portal); the
options come from ``pipeline.steps.web_options``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from pipeline.core.languages import Registry
from pipeline.portal import web as portal_web
from pipeline.portal.context import PortalOptions
from pipeline.review import web as review_web
from pipeline.review.store import ReviewStore
from pipeline.review.web_common import WebOptions

__all__ = ["create_app"]


def create_app(store: ReviewStore, registry: Registry, opts: WebOptions,
               portal: PortalOptions | None = None) -> FastAPI:
    """The app over ``store``: the review pages, and the portal when ``portal`` is given
    (same sessions, CSRF, headers and page layout)."""
    app = FastAPI(title="Cầu Nối review", docs_url=None, redoc_url=None, openapi_url=None)
    # Pages are text: compressed they cost a fraction on 2G.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.middleware("http")(review_web.security_headers(review_web.CACHEABLE
                                                       + portal_web.CACHEABLE))
    ctx = review_web.install(app, store, registry, opts)
    if portal is not None:
        portal_web.install(app, ctx, portal)
    return app
