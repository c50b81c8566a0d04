"""Whether an address can be listened on, asked before a server creates anything."""

import errno
import socket

from secdesk.errors import Refused


def must_be_free(host: str, port: int, option: str) -> None:
    """Refuse, naming the address and the option that chooses another, unless a
    listening socket could be bound to HOST:PORT just now. The socket is closed
    at once: the server binds its own moments later."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As the servers do: a port left in TIME_WAIT by a stopped
            # secdesk is free, one another program listens on is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
            probe.listen()
    except socket.gaierror as err:
        raise Refused(
            f"cannot listen on {where}: {err.strerror}; choose another with {option} HOST:PORT"
        ) from None
    except OSError as err:
        why = "already in use" if err.errno == errno.EADDRINUSE else err.strerror
        raise Refused(
            f"cannot listen on {where}: {why}; choose another with {option} HOST:PORT"
        ) from None
