"""The arguments of `secdesk serve`, `secdesk web`, `secdesk worker`: running secdesk."""

import os


def register(commands):
    p = commands.add_parser(
        "serve", help="everything in one process: web and worker (embedded default)"
    )
    p.add_argument("--web", default="127.0.0.1:8000", metavar="HOST:PORT", help="the web interface")
    p.add_argument(
        "--smtp", default="127.0.0.1:8025", metavar="HOST:PORT", help="the mail intake (SMTP)"
    )
    p.add_argument("--demo", action="store_true", help="fill a sample project with cases")
    p.add_argument(
        "--admin",
        default=os.environ.get("SECDESK_ADMIN_EMAIL", "admin@localhost"),
        metavar="EMAIL",
        help="the first administrator's address (first start only)",
    )
    p.set_defaults(handler="run:serve")

    p = commands.add_parser("web", help="the web interface alone (production)")
    p.add_argument("--web", default="127.0.0.1:8000", metavar="HOST:PORT", help="the web interface")
    p.add_argument("--threads", type=int, default=8, help="requests served at once (default: 8)")
    p.set_defaults(handler="run:web")

    p = commands.add_parser("worker", help="the worker alone (production)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
    p.add_argument("--once", action="store_true", help="one tick, then exit")
    p.set_defaults(handler="run:worker")

    p = commands.add_parser("migrate", help="apply database migrations")
    p.set_defaults(handler="run:migrate")

    p = commands.add_parser(
        "check",
        help="check the deployment: private data, site address, CSRF origins, proxies, relay; "
        "exit 1 on an error",
    )
    p.set_defaults(handler="run:check")
