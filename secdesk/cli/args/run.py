"""The arguments of `secdesk serve`, `secdesk web`, `secdesk worker`: running secdesk."""


def serve(p):
    p.add_argument("--web", default="127.0.0.1:8000", metavar="HOST:PORT", help="the web interface")
    p.add_argument(
        "--smtp", default="127.0.0.1:8025", metavar="HOST:PORT", help="the mail intake (SMTP)"
    )
    p.add_argument("--demo", action="store_true", help="fill a sample project with cases")
    p.add_argument(
        "--admin",
        metavar="EMAIL",
        help="the first administrator's address (first start only; "
        "default: $SECDESK_ADMIN_EMAIL or admin@localhost)",
    )
    # serve fixes the settings its options decide before it starts Django.
    p.set_defaults(handler="run:serve", needs_django=False)


def web(p):
    p.add_argument("--web", default="127.0.0.1:8000", metavar="HOST:PORT", help="the web interface")
    p.add_argument("--threads", type=int, default=8, help="requests served at once (default: 8)")
    p.set_defaults(handler="run:web")


def worker(p):
    p.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
    p.add_argument("--once", action="store_true", help="one tick, then exit")
    p.set_defaults(handler="run:worker")


def migrate(p):
    p.set_defaults(handler="run:migrate")


def check(p):
    p.set_defaults(handler="run:check")
