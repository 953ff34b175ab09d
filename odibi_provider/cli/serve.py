"""``odibi-provider serve-stories PROJECT``: the project's story root over HTTP, read-only, until Ctrl-C.

Point Dagster at it with ``story_base_url`` (``OdibiResource``, the component) or ``$ODIBI_STORY_BASE_URL``
so the ``odibi/story_url`` metadata link is an http URL a browser opens from the Dagster UI.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import OdibiError
from ..plan.cache import load_plan
from ..runner.context import RunContext
from ..story.links import STORY_BASE_URL_ENV
from ..story.server import StoryServer
from .style import Style


def serve_stories(args: argparse.Namespace, style: Style, vars: dict[str, str]) -> int:
    """Serve the story root of the project at ``args.path`` on ``args.host:args.port``."""
    plan = load_plan(args.path, env=args.env, vars=vars or None)
    root = RunContext(plan=plan, run_id="serve-stories").story_store
    try:
        server = StoryServer(root, args.host, args.port)
    except OSError as exc:
        raise OdibiError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                         "choose another --port (0 picks a free one)") from exc
    print(style(f"Serving the stories of {plan.project} from {root.uri}", "bold"))
    print(f"  {server.url}/   (read-only; Ctrl-C stops)")
    print(style(f"  Dagster: export {STORY_BASE_URL_ENV}={server.url}   or story_base_url: {server.url}", "dim"))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
