"""The web console for operators and staff (DESIGN.md, Console): server-rendered pages over a
typed JSON API, mounted by ``linli serve`` under ``/console``.

Feature modules (conversations, corrections, and others added later) each expose
``router(ctx: ConsoleContext) -> APIRouter``; :mod:`console.app` includes the ones listed in
``FEATURES``. Every route declares the roles it needs through :mod:`console.security`.
"""
