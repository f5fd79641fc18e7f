"""Rendering a console page: the account's language, the CSRF token, the page's own CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from console.context import ConsoleContext
from console.i18n import choose_language, translator
from console.security import Principal

#: Pages load only the console's own CSS and script; nothing inline, nothing from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def asset_response(path: Path, media_type: str) -> FileResponse:
    """One of the console's own scripts or style sheets: checked again on each load."""
    return FileResponse(path, media_type=media_type,
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def root(request: Request) -> str:
    """The console's URL prefix ("/console" when mounted by ``linli serve``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(ctx: ConsoleContext, request: Request, template: str, who: Principal | None,
           status: int = 200, **values: Any) -> HTMLResponse:
    language = request.query_params.get("lang") if request.query_params.get("lang") in (
        "zh", "en") else (who.language if who else choose_language(
            request.headers.get("accept-language")))
    assert language is not None
    t = translator(language)
    menu = [(root(request) + item.path, t(item.label)) for item in ctx.menu
            if who is not None and who.has(*item.roles)]
    context = {"request": request, "who": who, "root": root(request), "lang": language,
               "t": t, "csrf": who.csrf if who else "", "extra_menu": menu, **values}
    response = ctx.templates.TemplateResponse(request, template, context, status_code=status,
                                              headers=PAGE_HEADERS)
    assert isinstance(response, HTMLResponse)
    return response
