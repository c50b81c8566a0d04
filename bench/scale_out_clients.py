"""The load of bench/scale_out.py, each client a process of its own (run as
`python scale_out_clients.py mail|web FILE`): MTAs delivering over LMTP, and
people at their browsers. Each spreads its work over both `secdesk mail` or
both `secdesk web` processes, as a load balancer without affinity would: a
person logs in on one web process and goes on through the other.

A client reads its work from FILE, prints "ready", waits for a line on
stdin, works, and prints what happened as one line of JSON.
"""

import json
import smtplib
import sys
import time
from pathlib import Path

RETRIES = 5


def _lmtp(port: int):
    return smtplib.LMTP("127.0.0.1", port, timeout=120)


def mail_client(work: dict) -> dict:
    """Deliver each message to the mail processes in turn, retrying a 4xx
    (or a lost connection) later, as an MTA does; the token of each message
    that got its 250."""
    ports = work["ports"]
    connections = [_lmtp(port) for port in ports]
    print("ready", flush=True)
    sys.stdin.readline()
    accepted, refused, retried = [], [], 0
    for n, (mail_from, rcpt, raw, token) in enumerate(work["messages"]):
        for attempt in range(RETRIES):
            which = (n + attempt) % len(ports)
            try:
                connections[which] = connections[which] or _lmtp(ports[which])
                connections[which].sendmail(mail_from, [rcpt], raw.encode("latin-1"))
            except smtplib.SMTPResponseException as err:
                if err.smtp_code >= 500:
                    refused.append(token)
                    break
            except (smtplib.SMTPException, OSError):
                connections[which] = None
            else:
                accepted.append(token)
                break
            retried += 1
            time.sleep(0.5)
        else:
            refused.append(token)
    for connection in filter(None, connections):
        connection.quit()
    return {"accepted": accepted, "refused": refused, "retried": retried}


class Browser:
    """One person's session, through whichever web process comes next."""

    def __init__(self, ports: list[int]):
        import requests

        self.session = requests.Session()
        self.bases = [f"http://127.0.0.1:{port}" for port in ports]
        self.turn = 0

    def _base(self) -> str:
        self.turn += 1
        return self.bases[self.turn % len(self.bases)]

    def get(self, path: str):
        return self.session.get(self._base() + path, allow_redirects=False, timeout=120)

    def post(self, path: str, data: dict):
        data = {**data, "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", "")}
        return self.session.post(self._base() + path, data=data, allow_redirects=False, timeout=120)

    def log_in(self, email: str, password: str, totp_key: str) -> None:
        from django_otp.oath import totp

        self.get("/login/")
        answer = self.post("/login/", {"username": email, "password": password, "next": "/"})
        if answer.status_code != 302:
            raise SystemExit(f"bench: {email} could not log in ({answer.status_code})")
        code = f"{totp(bytes.fromhex(totp_key)):06d}"
        answer = self.post("/account/second-factor/", {"code": code, "next": "/"})
        if answer.status_code != 302:
            raise SystemExit(f"bench: {email}'s second factor refused ({answer.status_code})")
        if self.get("/").status_code != 200:
            raise SystemExit(f"bench: {email}'s session is not known to both web processes")


def web_client(work: dict) -> dict:
    """Log in, then do each action: a reply ("reply", case, token) or a move of
    a report ("move", case, step). What each answered: 302 done, 400 refused."""
    browser = Browser(work["ports"])
    browser.log_in(work["email"], work["password"], work["totp_key"])
    print("ready", flush=True)
    sys.stdin.readline()
    done = []
    for kind, reference, what in work["actions"]:
        path = f"/cases/{reference.replace('#', '/')}/{kind}/"
        if kind == "reply":
            data = {"body": f"Patch attached, please review.\nbench-token-{what}\n"}
        else:
            data = {"step": what, "reason": ""}
        answer = browser.post(path, data)
        done.append([kind, reference, what, answer.status_code])
    return {"done": done}


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    work = json.loads(Path(path).read_text())
    result = mail_client(work) if kind == "mail" else web_client(work)
    print(json.dumps(result), flush=True)
