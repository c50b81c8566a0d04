"""`secdesk serve`, `secdesk web`, `secdesk worker`: running secdesk."""

import os


def _problems() -> list[dict]:
    from django.core.checks import ERROR, run_checks

    from secdesk.checks import TAG

    return [
        {
            "id": found.id,
            "level": "error" if found.level >= ERROR else "warning",
            "message": found.msg,
            "hint": found.hint or "",
        }
        for found in run_checks(tags=[TAG])
    ]


def _line(problem: dict) -> str:
    hint = f"\n  {problem['hint']}" if problem["hint"] else ""
    return f"{problem['level']}: {problem['message']} [{problem['id']}]{hint}"


def starting(out):
    """Before a long-running command starts: files it makes are private whatever
    the umask it inherited, what an older version left readable is made private,
    and the deployment checks run. A warning is printed; an error stops the start."""
    from secdesk.checks import private_paths
    from secdesk.errors import Refused
    from secdesk.lib import private

    os.umask(private.UMASK)
    private.tighten(private_paths())
    problems = _problems()
    for problem in problems:
        out.err.print(f"secdesk: {_line(problem)}", markup=False)
    errors = sum(problem["level"] == "error" for problem in problems)
    if errors:
        raise Refused(f"not started: {errors} error(s) above (`secdesk check` lists them)")


def _migrate():
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _first_admin(email: str):
    """The administrator to print a login link for: created on the first start;
    on a later start the first one again, as long as no one has ever logged in
    (the printed link may have expired or been lost). Otherwise None:
    `secdesk admin login-link EMAIL` gives a link when one is needed."""
    from django.contrib.auth import get_user_model

    from secdesk.teams.actions import do_create_admin
    from secdesk.teams.models import Person

    users = get_user_model().objects
    if not users.filter(is_superuser=True).exists():
        return do_create_admin(email)
    if users.filter(last_login__isnull=False).exists():
        return None
    return (
        Person.objects.filter(user__is_superuser=True, user__is_active=True)
        .order_by("user__pk")
        .first()
    )


def _listen(value: str):
    from secdesk.errors import BadInput
    from secdesk.lib.env import ConfigError, host_port

    try:
        return host_port("--web", value)
    except ConfigError as err:
        raise BadInput(str(err)) from None


def _setup_django_for(args):
    """The settings read what serve's options decide (see settings.py), and are
    not changed once Django has started."""
    from secdesk.cli.main import _setup_django

    os.environ["SECDESK_LISTEN"] = args.web
    if args.demo:
        os.environ["SECDESK_DEMO"] = "yes"
    _setup_django()


def serve(args, out):
    from waitress import create_server

    from secdesk.cli.mail import mail_address, start_intake
    from secdesk.lib.ports import must_be_free

    host, port = _listen(args.web)
    # Both addresses are checked before anything is created, so that a taken
    # port leaves no half-made site behind (an admin without a printed link).
    must_be_free(host, port, "--web")
    must_be_free(*mail_address(args.smtp), "--smtp")
    _setup_django_for(args)
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    starting(out)
    _migrate()
    admin = _first_admin(args.admin or settings.FIRST_ADMIN_EMAIL)
    if args.demo:
        from secdesk.demo import load_demo

        load_demo()
    server = create_server(get_wsgi_application(), host=host, port=port, threads=8, ident="secdesk")
    out.console.print(f"secdesk: data in {settings.DATA_DIR}", markup=False)
    listening = f"http://{host}:{server.effective_port}"
    out.console.print(f"secdesk: web on {listening}/", markup=False)
    if listening != settings.SITE_URL:
        out.console.print(
            f"secdesk: links and advisories name {settings.SITE_URL} (SECDESK_SITE_URL)",
            markup=False,
        )
    mail_server, mail_where = start_intake(args.smtp)
    out.console.print(f"secdesk: mail (smtp) on {mail_where}", markup=False)
    _print_login(out, admin, listening)
    _run_with_worker(out, server, mail_server)


def _print_login(out, admin, listening):
    from secdesk.teams.login_links import issue_login_link

    if admin is not None:
        # For whoever reads this console: the address this process answers on.
        link = issue_login_link(admin.user, site=listening)
        out.console.print(
            f"secdesk: first administrator {admin.email}; log in once with:", markup=False
        )
        out.console.print(link, markup=False, soft_wrap=True)
    else:
        out.console.print(
            "secdesk: a login link for a person: secdesk admin login-link EMAIL", markup=False
        )


def _run_with_worker(out, server, mail_server):
    import threading

    from secdesk import worker

    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
    thread.start()
    out.console.print("secdesk: worker running; press Ctrl-C to stop", markup=False)
    out.console.file.flush()
    try:
        server.run()
    finally:
        stop.set()
        server.close()
        mail_server.stop()


def web(args, out):
    from django.core.wsgi import get_wsgi_application
    from waitress import serve as waitress_serve

    from secdesk.lib.ports import must_be_free

    host, port = _listen(args.web)
    must_be_free(host, port, "--web")
    starting(out)
    out.console.print(f"secdesk: web on http://{host}:{port}/", markup=False)
    waitress_serve(
        get_wsgi_application(), host=host, port=port, threads=args.threads, ident="secdesk"
    )


def worker(args, out):
    import signal
    import threading

    from secdesk import worker as background

    starting(out)
    if args.once:
        result = background.tick()
        out.emit(result, f"worker: {len(result['expired'])} embargo(es) expired")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.console.print("secdesk: worker running; press Ctrl-C to stop", markup=False)
    try:
        background.run(stop, interval=args.interval)
    except KeyboardInterrupt:
        stop.set()


def migrate(args, out):
    _migrate()
    out.emit({"migrated": True}, "database up to date")


def check(args, out):
    problems = _problems()
    out.emit(
        problems,
        "\n".join(_line(problem) for problem in problems) or "no problems found",
    )
    return 1 if any(problem["level"] == "error" for problem in problems) else 0
