"""smtplib's client, sending a mail's envelope in one go when the relay
offers PIPELINING (RFC 2920), as every common MTA does.

smtplib sends MAIL, each RCPT, DATA and the text one at a time, each after
the relay's answer to the one before: four round trips for a mail to one
recipient, and a post to a case of 50 members is 51 such mails. Here MAIL,
the RCPTs and DATA go in one write and their answers are read together, then
the text: two round trips. smtplib does not pipeline, and the Python
client that does (slimta's) comes with an event loop of its own (gevent)
that the worker does not run; so this is ours, and small: everything else
(the connection, EHLO, STARTTLS, AUTH, reading an answer, the exceptions)
is smtplib's.

Measured with the bench's relay on loopback (bench/relay_sink.py), the
5,356 mails of 100 posts to a bench case sent by `deliver_due` over 4
connections, two runs each: the worker's CPU per mail fell from 210–234 to
195–217 µs, and the relay's from 133–138 to 84–86 µs. A relay a few
milliseconds away saves two waits for its answers on every mail.
"""

import smtplib

CRLF = "\r\n"
# More recipients than this go one command at a time: every command sent in
# one write must fit what the two sides buffer before either reads.
MOST_AT_ONCE = 100


class PipeliningSMTP(smtplib.SMTP):
    """`sendmail` as smtplib's (the same arguments, answers and exceptions,
    and the connection left as smtplib leaves it), pipelined when the relay
    offers it."""

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        self.ehlo_or_helo_if_needed()
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        if not self.has_extn("pipelining") or len(to_addrs) > MOST_AT_ONCE:
            return self._one_at_a_time(from_addr, to_addrs, msg, mail_options, rcpt_options)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")
        mail_options = [*([f"size={len(msg)}"] if self.has_extn("size") else []), *mail_options]
        if any(option.lower() == "smtputf8" for option in mail_options):
            if not self.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server")
            self.command_encoding = "utf-8"
        commands = [
            f"mail FROM:{smtplib.quoteaddr(from_addr)}{_listed(mail_options)}",
            *(f"rcpt TO:{smtplib.quoteaddr(a)}{_listed(rcpt_options)}" for a in to_addrs),
            "data",
        ]
        for command in commands:
            if "\r" in command or "\n" in command:
                # As smtplib refuses them: a line break would start a command of its own.
                raise ValueError(
                    f"command and arguments contain prohibited newline characters: {command!r}"
                )
        self.send("".join(f"{command}{CRLF}" for command in commands))
        sender, *recipients, data = self._answers(len(to_addrs) + 2)
        refused = {
            address: answer
            for address, answer in zip(to_addrs, recipients, strict=True)
            if answer[0] not in (250, 251)
        }
        if sender[0] != 250:
            self._give_up(data)
            raise smtplib.SMTPSenderRefused(*sender, from_addr)
        if len(refused) == len(to_addrs) or any(code == 421 for code, _ in refused.values()):
            self._give_up(data)
            raise smtplib.SMTPRecipientsRefused(refused)
        if data[0] != 354:
            self._give_up(data)
            raise smtplib.SMTPDataError(*data)
        # A line of the text that starts with a dot gets another, as smtplib does it.
        text = smtplib._quote_periods(msg)
        if not text.endswith(b"\r\n"):
            text += b"\r\n"
        self.send(text + b".\r\n")
        sent = self.getreply()
        if sent[0] != 250:
            self._give_up(sent)
            raise smtplib.SMTPDataError(*sent)
        return refused

    def _answers(self, count: int) -> list[tuple[int, bytes]]:
        """The relay's answers to the commands sent together: each is read,
        whatever the ones before said, as the relay answers every command.
        After a 421 the relay closes the connection, and that answer stands
        for the rest."""
        answers = []
        while len(answers) < count:
            try:
                answers.append(self.getreply())
            except smtplib.SMTPServerDisconnected:
                if not answers:
                    raise
                # It hung up after its first answers (a refusal, say): those
                # say why, as they would have to smtplib.
                answers.append((421, b"the relay closed the connection"))
            if answers[-1][0] == 421:
                answers += [answers[-1]] * (count - len(answers))
        return answers

    def _one_at_a_time(self, *mail):
        """smtplib's sendmail, and a DATA it refused forgotten by the relay
        (smtplib leaves that transaction open for the next mail to meet)."""
        try:
            return super().sendmail(*mail)
        except smtplib.SMTPDataError:
            if self.sock is not None:
                self._rset()
            raise

    def _give_up(self, last: tuple[int, bytes]) -> None:
        """Leave the mail, as smtplib does: on a 421 the relay is going away,
        and the connection is closed; else the relay is told to forget it. A
        relay waiting for a text (354) though the mail is not to go is hung
        up on, which ends the mail unsent."""
        if last[0] in (354, 421):
            self.close()
        else:
            self._rset()


def _listed(options) -> str:
    return "".join(f" {option}" for option in options)
