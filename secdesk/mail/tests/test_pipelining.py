"""A mail's envelope goes to a relay that offers PIPELINING in one write, and
every answer the relay gives is read as smtplib would read it: the same
refusals, the same exceptions, and the connection ready for the next mail."""

import smtplib
import socketserver
import threading

import pytest
from aiosmtpd.controller import Controller

from secdesk.mail.pipelining import PipeliningSMTP
from secdesk.mail.tests.conftest import Sink, _free_port

TEXT = b"From: a@libvirt.example\r\nSubject: a post\r\n\r\nHere is the fix.\r\n"


class Scripted(socketserver.ThreadingTCPServer):
    """A relay that answers nothing of an envelope until its DATA has come:
    a client that waits for the answer to MAIL before sending RCPT never gets
    one. `answers` gives the answer to each verb (RCPT by address, and "."
    for the text), "!" before one to hang up after it; each envelope and text
    it took is kept."""

    daemon_threads = allow_reuse_address = True

    def __init__(self, answers: dict):
        self.answers = {"MAIL": "250 OK", "DATA": "354 go on", ".": "250 OK", **answers}
        self.envelopes, self.texts = [], []
        super().__init__(("127.0.0.1", 0), _Conversation)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server_address[1]


class _Conversation(socketserver.StreamRequestHandler):
    def handle(self):
        answers = self.server.answers
        self.wfile.write(b"220 relay.example ESMTP\r\n")
        held = []
        while line := self.rfile.readline().decode():
            verb, _, rest = line.strip().partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(b"250-relay.example\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n")
            elif verb in ("RSET", "NOOP"):
                self.wfile.write(b"250 OK\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            elif verb == "MAIL":
                held = [(line, answers["MAIL"])]
            elif verb == "RCPT":
                address = rest.partition("<")[2].partition(">")[0]
                held.append((line, answers.get(address, "250 OK")))
            elif verb == "DATA":
                held.append((line, answers["DATA"]))
                self.server.envelopes.append([command.strip() for command, _ in held])
                for _, answer in held:
                    self.wfile.write(f"{answer.lstrip('!')}\r\n".encode())
                    if answer.startswith(("!", "421")):
                        return  # hangs up
                if answers["DATA"].startswith("354"):
                    self._text(answers["."])

    def _text(self, answer: str):
        text = b""
        while (line := self.rfile.readline()) != b".\r\n":
            if not line:
                return  # hung up on: no text
            text += line
        self.server.texts.append(text)
        self.wfile.write(f"{answer}\r\n".encode())


@pytest.fixture
def scripted():
    servers = []

    def start(**answers):
        servers.append(Scripted(answers))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _client(port):
    return PipeliningSMTP("127.0.0.1", port, timeout=5)


def test_the_envelope_and_data_go_together_before_any_answer(scripted):
    relay = scripted()
    with _client(relay.port) as smtp:
        refused = smtp.sendmail("a@libvirt.example", ["b@x.example", "c@y.example"], TEXT)
    assert refused == {}
    [commands] = relay.envelopes
    assert [c.split(":")[0] for c in commands] == ["mail FROM", "rcpt TO", "rcpt TO", "data"]
    assert relay.texts == [TEXT]


def test_a_refused_recipient_is_named_and_the_others_get_the_mail(scripted):
    relay = scripted(**{"c@y.example": "550 5.1.1 no such user"})
    with _client(relay.port) as smtp:
        refused = smtp.sendmail("a@libvirt.example", ["b@x.example", "c@y.example"], TEXT)
        assert refused == {"c@y.example": (550, b"5.1.1 no such user")}
        assert smtp.sendmail("a@libvirt.example", ["d@z.example"], TEXT) == {}
    assert relay.texts == [TEXT, TEXT]


def test_when_every_recipient_is_refused_no_text_is_sent_and_the_next_mail_goes(scripted):
    relay = scripted(**{"b@x.example": "550 no", "DATA": "554 5.5.1 no valid recipients"})
    with _client(relay.port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("a@libvirt.example", ["b@x.example"], TEXT)
        assert refused.value.recipients == {"b@x.example": (550, b"no")}
        relay.answers["DATA"] = "354 go on"
        assert smtp.sendmail("a@libvirt.example", ["c@y.example"], TEXT) == {}
    assert relay.texts == [TEXT]


def test_a_relay_that_says_go_on_with_no_recipient_is_hung_up_on(scripted):
    relay = scripted(**{"b@x.example": "550 no"})
    smtp = _client(relay.port)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp.sendmail("a@libvirt.example", ["b@x.example"], TEXT)
    assert smtp.sock is None
    assert relay.texts == []


def test_a_refused_sender_raises_as_smtplib_does_and_the_connection_stays_in_step(scripted):
    relay = scripted(MAIL="553 5.7.1 not yours", DATA="503 5.5.1 no sender")
    with _client(relay.port) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("a@libvirt.example", ["b@x.example"], TEXT)
        assert refused.value.smtp_code == 553 and refused.value.sender == "a@libvirt.example"
        relay.answers.update(MAIL="250 OK", DATA="354 go on")
        assert smtp.sendmail("a@libvirt.example", ["b@x.example"], TEXT) == {}
    assert relay.texts == [TEXT]


def test_a_refused_text_raises_a_data_error(scripted):
    relay = scripted(**{".": "554 5.7.1 spam"})
    with _client(relay.port) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("a@libvirt.example", ["b@x.example"], TEXT)
        assert (refused.value.smtp_code, refused.value.smtp_error) == (554, b"5.7.1 spam")
        assert smtp.noop()[0] == 250


def test_a_relay_going_away_closes_the_connection_whatever_it_was_answering(scripted):
    relay = scripted(**{"b@x.example": "421 4.3.2 going away"})
    smtp = _client(relay.port)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.sendmail("a@libvirt.example", ["b@x.example", "c@y.example"], TEXT)
    assert refused.value.recipients["b@x.example"][0] == 421
    assert smtp.sock is None
    assert relay.texts == []


@pytest.mark.parametrize(
    ("answers", "raised", "code"),
    [
        ({"MAIL": "!554 5.7.1 go away"}, smtplib.SMTPSenderRefused, 554),
        ({"b@x.example": "!550 5.1.1 no such user"}, smtplib.SMTPRecipientsRefused, 550),
    ],
)
def test_a_refusal_before_the_relay_hangs_up_is_raised_as_smtplib_does(
    scripted, answers, raised, code
):
    relay = scripted(**answers)
    smtp = _client(relay.port)
    with pytest.raises(raised) as refused:
        smtp.sendmail("a@libvirt.example", ["b@x.example"], TEXT)
    said = refused.value.recipients["b@x.example"] if code == 550 else refused.value.args
    assert said[0] == code
    assert smtp.sock is None and relay.texts == []


def test_lines_that_start_with_a_dot_arrive_as_written(scripted):
    relay = scripted()
    text = b"Subject: dots\r\n\r\n.\r\n.hidden\r\n..two\r\nno line end"
    with _client(relay.port) as smtp:
        smtp.sendmail("a@libvirt.example", ["b@x.example"], text)
    assert relay.texts == [b"Subject: dots\r\n\r\n..\r\n..hidden\r\n...two\r\nno line end\r\n"]


def test_a_line_break_in_a_command_is_refused_before_anything_is_sent(scripted):
    relay = scripted()
    with _client(relay.port) as smtp:
        with pytest.raises(ValueError, match="newline"):
            smtp.sendmail(
                "a@libvirt.example", ["b@x.example"], TEXT, rcpt_options=["NOTIFY=NEVER\r\nRSET"]
            )
        assert smtp.noop()[0] == 250
    assert relay.envelopes == []


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_real_relay_gets_each_mail_once_pipelined_or_not(pipelining):
    handler = Sink()
    handler.pipelining = pipelining
    handler.refuse_rcpt = {"c@y.example": "550 5.1.1 no such user"}
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), enable_SMTPUTF8=True)
    controller.start()
    try:
        with _client(controller.port) as smtp:
            assert smtp.has_extn("pipelining") is False  # not asked yet
            for n in range(3):
                refused = smtp.sendmail(
                    "a@libvirt.example",
                    ["b@x.example", "c@y.example", "jürgen@uni.example"],
                    TEXT.replace(b"a post", f"post {n}".encode()),
                    mail_options=["SMTPUTF8", "BODY=8BITMIME"],
                )
                assert list(refused) == ["c@y.example"]
            assert smtp.has_extn("pipelining") is pipelining
    finally:
        controller.stop()
    assert [rcpts for rcpts, _ in handler.messages] == [["b@x.example", "jürgen@uni.example"]] * 3
    assert [m["Subject"] for _, m in handler.messages] == ["post 0", "post 1", "post 2"]
