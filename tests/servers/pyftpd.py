#!/usr/bin/python3
"""Threaded pyftpdlib FTP server for the ftpfs tests.

Run with Debian's interpreter (it has python3-pyftpdlib):

    /usr/bin/python3 tests/servers/pyftpd.py --root DIR --port-file FILE \
        [--host 127.0.0.1] [--port 0] [--user NAME --password PW] \
        [--anonymous] [--writable] [--latency-ms N] [--rate-bps N] \
        [--max-cons N] [--idle-timeout S] [--fix-0o-mode] [--log FILE] \
        [--max-file-bytes N [--quota-code CODE]] [--readonly-subdir REL]... \
        [--hash right|wrong]

The server listens (port 0: the kernel picks a free port), writes the port
number to --port-file atomically (temp file + rename) once the listening
socket accepts connections, and serves until SIGTERM/SIGINT, then exits 0.

Works around these problems of pyftpdlib 1.5.7 (Debian 12) in
ThreadedFTPServer mode:

* Passive ports: PassiveDTP with a configured ``passive_ports`` range sets
  SO_REUSEADDR and bind()s a randomly picked port of the range; on Linux two
  SO_REUSEADDR sockets may both bind() the same port as long as neither
  listens yet, so two sessions (threads) picking the same port at once make
  the second listen() fail with EADDRINUSE -> the session gets an error.  We
  never set ``passive_ports``, and PassiveDTP is replaced by a subclass that
  always binds port 0 (the kernel hands out unique ports atomically) without
  SO_REUSEADDR, even if someone sets a range.
* Timers on the wrong loop: FTPHandler.__init__ and handle() run in the main
  (accepting) thread, so the control connection's idle timer is scheduled on
  the *main* IOLoop's scheduler, then reset() from the worker thread on every
  command (an unsynchronised heap shared by all threads), and fires in the
  main thread.  We cancel that timer and re-arm it on the worker's IOLoop.
* The 220 banner is also pushed from the main thread through the main IOLoop;
  we defer it to the worker thread (which is also where --latency-ms and
  --max-cons are applied, so one slow session never stalls accept()).
* max_cons in threaded mode counts worker *threads* (including finished,
  not yet joined ones, and with an off-by-one: it accepts N+1).  We count
  live control connections ourselves under a lock and answer 421 beyond N.
* unicode_errors='replace' turns non-UTF-8 bytes in names into U+FFFD; we
  use 'surrogateescape' both ways so any byte name round-trips.
* MLSD/MLST "unix.mode" is written with Python 3's oct(): "unix.mode=0o644"
  instead of the "0644" every other server (and RFC 3659 practice) uses.
  We keep that stock output by default, since it is what users' pyftpdlib
  servers send; --fix-0o-mode rewrites it to "0644".
* ThrottledDTPHandler's rate algorithm bursts and sleeps twice as long as
  needed; we use a simple "never ahead of rate * elapsed" pacing instead.

Latency model (--latency-ms N): every control connection behaves as if the
client were N ms of round trip away, with the delay put on the server side.
Each reply leaves no earlier than (arrival of the bytes that triggered it)
+ N ms, never before:

* the arrival time of a command is the kernel's receive timestamp of the
  bytes that completed its line (SO_TIMESTAMPNS on the control socket,
  converted to time.monotonic(); if the kernel gives none, the monotonic
  time they were read from the socket).  Commands that arrive together
  (pipelined: "TYPE I\r\nPASV\r\n" in one packet, or sent while the server
  was still delaying an earlier reply) share that arrival time, so their
  replies all go out at arrival + N: three pipelined commands cost one
  round trip, as on a WAN, not three;
* the 220 banner leaves at (connection accepted) + N;
* replies that no command triggered right then (150 sent when the passive
  data connection comes in, 226/426 at the end of a transfer, the 421 of
  the idle timeout) use the arrival time of the last command received,
  usually the RETR/STOR/LIST that started the transfer, so they normally
  wait no extra time.

* a passive data connection costs its TCP handshake, one round trip: on
  loopback the client's connect() returns at once, where on a WAN it
  returns one round trip later and whatever the client then sends (RETR,
  the first bytes of a STOR) costs its own round trip.  So the server
  hands an accepted data connection to pyftpdlib only 2 x N ms after the
  kernel completed it (TCP_INFO: the connection's age at accept()), and
  until then nothing moves on it: a RETR/LIST/MLSD's first byte leaves no
  earlier than max(command + N, connected + 2 x N), as on a WAN (SYN,
  SYN-ACK, ACK, first data segment), and a STOR's bytes are read from
  then on.  A RETR that arrived first is answered 150 and queued by
  pyftpdlib as usual.  Measured with ftplib at 100 ms (selftest.py
  latency): TYPE I + PASV + RETR of 4 KiB takes 0.4 s (it took 0.3 s when
  data connections were free).  Not modelled: the last data bytes' way
  to the client (the 226 of a STOR leaves as soon as the data is in,
  where on a WAN it would come half a round trip after the client's last
  byte arrived, plus half back), and active (PORT/EPRT) data
  connections, which are not delayed.

The wait is a sleep in the session's own worker thread (its IOLoop), so
other sessions never wait for it; the data connection's wait is a timer on
that IOLoop.  Bandwidth is not limited; use --rate-bps to cap it.

Knobs for the write tests:

* --max-file-bytes N: a quota.  A file opened for STOR/APPE (or STOR after
  REST) may not grow past N bytes: the write that would pass N stores the
  bytes up to N, then fails with OSError(ENOSPC); the data connection is
  closed and the transfer's final reply is --quota-code (default 552
  "Exceeded storage allocation", RFC 959; stock pyftpdlib would answer
  "426 No space left on device; transfer aborted.").  The partial file
  stays on disk, as on a real full disk.
* --hash right|wrong: FEAT offers "HASH SHA-256*" (draft-bryan-ftpext-hash)
  and HASH answers "213 SHA-256 0-<last> <hex> <name>" for a regular file
  ("550" otherwise; OPTS HASH accepts SHA-256 only, "504" for others).
  "wrong" answers the checksum of the file with one more byte: a server
  that lies, or a file damaged in transit (the verify_upload tests).
* --readonly-subdir REL (repeatable): the directory ROOT/REL and everything
  below it is read-only ("elr") for every user (authorizer.override_perm):
  STOR/APPE/MKD/DELE/RNFR/... there are answered "550 Not enough
  privileges."
"""

import argparse
import errno
import hashlib
import logging
import os
import signal
import socket
import struct
import sys
import threading
import time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler, PassiveDTP
from pyftpdlib.ioloop import (Acceptor, RetryError, _ERRNOS_DISCONNECTED,
                              _ERRNOS_RETRY, timer)
from pyftpdlib.servers import ThreadedFTPServer

logger = logging.getLogger("pyftpd")

FULL_PERMS = "elradfmwMT"
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)   # Linux value
READ_PERMS = "elr"


def established(sock):
    """time.monotonic() when the kernel completed this accepted
    connection's handshake: the session's thread may get to accept() late
    (it sleeps in respond() for the latency model).  From TCP_INFO's
    tcpi_last_data_sent, which for a connection that has sent nothing yet
    counts the ms since the kernel created it (jiffies: a few ms
    granularity); now if TCP_INFO cannot be read."""
    now = time.monotonic()
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        age_ms = struct.unpack_from("I", info, 8 + 9 * 4)[0]
    except (OSError, struct.error):
        return now
    return now - min(age_ms, 60000) / 1000.0


class KernelPortPassiveDTP(PassiveDTP):
    """PassiveDTP that always lets the kernel choose the data port.

    The upstream __init__ is mostly address/reply logic; we reimplement it
    for the AF_INET/AF_INET6 case with bind((ip, 0)) only.
    """

    def __init__(self, cmd_channel, extmode=False):
        self.cmd_channel = cmd_channel
        self.log = cmd_channel.log
        self.log_exception = cmd_channel.log_exception
        Acceptor.__init__(self, ioloop=cmd_channel.ioloop)

        local_ip = cmd_channel.socket.getsockname()[0]
        masq = cmd_channel.masquerade_address_map.get(local_ip) or \
            cmd_channel.masquerade_address
        af = cmd_channel.socket.family
        self.create_socket(af, socket.SOCK_STREAM)
        # No SO_REUSEADDR: port 0 gives a port nobody else holds.
        self.bind((local_ip, 0))
        self.listen(self.backlog or cmd_channel.server.backlog)

        port = self.socket.getsockname()[1]
        if not extmode:
            ip = masq or local_ip
            if ip.startswith("::ffff:"):
                ip = ip[7:]
            if ":" in ip:
                # PASV cannot express an IPv6 address.
                self.cmd_channel.respond(
                    "425 Can't use PASV with IPv6; use EPSV.")
                self.close()
                return
            cmd_channel.respond("227 Entering passive mode (%s,%d,%d)." % (
                ip.replace(".", ","), port // 256, port % 256))
        else:
            cmd_channel.respond(
                "229 Entering extended passive mode (|||%d|)." % port)
        if self.timeout:
            self.call_later(self.timeout, self.handle_timeout)

    def handle_accepted(self, sock, addr):
        """--latency-ms: the data connection's TCP handshake costs a round
        trip (see "Latency model" in the module docstring): the accepted
        connection is handed to pyftpdlib only 2 x latency after the kernel
        accepted it.  Until then a RETR/LIST/STOR that arrives is answered
        (150) and queued by pyftpdlib, and nothing moves on the
        connection."""
        lat = self.cmd_channel.latency
        if lat <= 0:
            return PassiveDTP.handle_accepted(self, sock, addr)
        due = established(sock) + 2 * lat
        # the listening socket is not needed any more (pyftpdlib takes one
        # connection per PASV/EPSV); stop watching it so a second connect
        # cannot come in during the wait
        try:
            self.del_channel()
        except Exception:
            pass

        def later():
            if not self.cmd_channel.connected or \
                    self.cmd_channel._dtp_acceptor is not self:
                # the session ended, or a new PASV/EPSV replaced us
                try:
                    sock.close()
                except OSError:
                    pass
                if not self._closed:
                    self.close()
                return
            PassiveDTP.handle_accepted(self, sock, addr)

        self.cmd_channel.ioloop.call_later(
            max(0.0, due - time.monotonic()), later,
            _errback=self.cmd_channel.handle_error)


class RateLimitedDTPHandler(DTPHandler):
    """Data channel paced to at most `rate` bytes/second in each direction.

    After each send()/recv() of at most one buffer, if the bytes moved so
    far are ahead of rate * elapsed, the channel is taken off the IOLoop
    until the schedule catches up.  The average never exceeds the rate by
    more than one buffer (kept at <= rate/10 bytes, min 512).
    """

    rate = 0  # bytes per second; set by configure()
    quota_code = 552  # final reply when --max-file-bytes is exceeded

    def __init__(self, sock, cmd_channel):
        self._pace_start = None
        self._pace_bytes = 0
        self._pace_timer = None
        if self.rate:
            chunk = max(512, min(65536, self.rate // 10))
            self.ac_in_buffer_size = chunk
            self.ac_out_buffer_size = chunk
        super().__init__(sock, cmd_channel)

    def use_sendfile(self):
        if self.rate:
            return False
        try:
            return super().use_sendfile()
        except ValueError:
            # the file is closed already: pyftpdlib asks this in the
            # repr() its debug log makes of a closing control channel
            # (a traceback in the soak's server log, 2026-12-02)
            return False

    def send(self, data):
        n = super().send(data)
        self._pace(n)
        return n

    def recv(self, buffer_size):
        data = super().recv(buffer_size)
        self._pace(len(data))
        return data

    def _pace(self, n):
        if not self.rate or n <= 0 or self._closed:
            return
        now = timer()
        if self._pace_start is None:
            self._pace_start = now
        self._pace_bytes += n
        due = self._pace_start + self._pace_bytes / float(self.rate)
        if due - now > 0.001:
            events = self.ioloop.READ if self.receive else self.ioloop.WRITE
            self.del_channel()

            def resume():
                self._pace_timer = None
                if not self._closed:
                    self.add_channel(events=events)

            if self._pace_timer is not None and not self._pace_timer.cancelled:
                self._pace_timer.cancel()
            self._pace_timer = self.ioloop.call_later(
                due - now, resume, _errback=self.handle_error)

    def handle_error(self):
        # Called by the IOLoop inside its `except`: the exception is current.
        # A write that hit --max-file-bytes raised QuotaExceeded, which
        # DTPHandler.handle_read wraps in _FileReadWriteError (from err).
        err = sys.exc_info()[1]
        cause = getattr(err, "__context__", None)
        if isinstance(cause, QuotaExceeded) or isinstance(err, QuotaExceeded):
            try:
                self._resp = ("%d Exceeded storage allocation (file larger "
                              "than %d bytes); transfer aborted."
                              % (self.quota_code, TestFS.max_file_bytes),
                              logging.getLogger("pyftpdlib").warning)
                self.close()
            except Exception:
                logger.exception("closing the data channel")
            return
        super().handle_error()

    def close(self):
        if self._pace_timer is not None and not self._pace_timer.cancelled:
            self._pace_timer.cancel()
        self._pace_timer = None
        super().close()


class QuotaExceeded(OSError):
    """Raised by QuotaFile.write: the file would pass --max-file-bytes."""


class QuotaFile:
    """A file object for STOR/APPE whose size may not pass `limit` bytes."""

    def __init__(self, f, limit):
        self._f = f
        self._limit = limit

    def write(self, data):
        pos = self._f.tell()
        room = self._limit - pos
        if len(data) > room:
            if room > 0:
                self._f.write(data[:room])
            self._f.flush()
            raise QuotaExceeded(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)


class TestFS(AbstractedFS):
    """AbstractedFS whose MLSD/MLST facts say unix.mode=0644, not 0o644,
    and whose files opened for writing obey --max-file-bytes."""

    fix_mode = True
    max_file_bytes = 0     # 0 = no quota
    list_tz_offset = 0     # seconds east of UTC for LIST times only
    _in_list = False

    def format_list(self, *args, **kwargs):
        # LIST in a server time zone (MLSD and MDTM stay UTC), as servers
        # that print local time in LIST do
        self._in_list = True
        try:
            for line in super().format_list(*args, **kwargs):
                yield line
        finally:
            self._in_list = False

    def _shift(self, st):
        if not (self._in_list and self.list_tz_offset):
            return st
        t = list(st)
        t[8] = int(st.st_mtime + self.list_tz_offset)   # st_mtime
        return os.stat_result(t)

    def stat(self, path):
        return self._shift(super().stat(path))

    def lstat(self, path):
        return self._shift(super().lstat(path))

    def open(self, filename, mode):
        f = super().open(filename, mode)
        if self.max_file_bytes and any(c in mode for c in "wa+"):
            if "a" in mode:
                f.seek(0, os.SEEK_END)
            return QuotaFile(f, self.max_file_bytes)
        return f

    def format_mlsx(self, *args, **kwargs):
        for line in super().format_mlsx(*args, **kwargs):
            if self.fix_mode:
                i = line.find(b" ")            # "facts; name": no space in facts
                if i > 0:
                    line = line[:i].replace(b"unix.mode=0o", b"unix.mode=0") \
                        + line[i:]
            yield line


class TestFTPHandler(FTPHandler):
    """FTPHandler that starts the session in its worker thread."""

    abstracted_fs = TestFS
    passive_dtp = KernelPortPassiveDTP
    dtp_handler = RateLimitedDTPHandler
    unicode_errors = "surrogateescape"
    banner = "pyftpd test server ready."
    latency = 0.0          # round trip, s: see "Latency model" above
    max_live = 0           # 0 = unlimited
    rnto_code = 0          # --rnto-code: refuse every RNTO with this reply
    _live_lock = threading.Lock()
    _live = 0

    def __init__(self, conn, server, ioloop=None):
        self._deferred_start = False
        self._counted = False
        # --latency-ms: monotonic arrival time of the last bytes received
        # (until the first command: the time the connection was accepted)
        self._rx_time = time.monotonic()
        if self.latency > 0:
            try:
                conn.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            except OSError:
                pass
        super().__init__(conn, server, ioloop=ioloop)
        # The idle timer was put on the main IOLoop; drop it (re-armed in
        # the worker, see _start_in_worker).
        if self._idler is not None and not self._idler.cancelled:
            self._idler.cancel()
        self._idler = None

    # Called by FTPServer.handle_accepted in the main thread.
    def handle(self):
        self._deferred_start = True

    # Called by _SpawnerBase._loop in the worker thread after it switched
    # self.ioloop to the worker's loop (also called from __init__ in the
    # main thread, where _deferred_start is still False).
    def add_channel(self, map=None, events=None):
        super().add_channel(map=map, events=events)
        if self._deferred_start and \
                threading.current_thread() is not threading.main_thread():
            self._deferred_start = False
            self._start_in_worker()

    def _start_in_worker(self):
        if self.timeout:
            self._idler = self.ioloop.call_later(
                self.timeout, self.handle_timeout, _errback=self.handle_error)
        cls = TestFTPHandler
        with cls._live_lock:
            if self.max_live and cls._live >= self.max_live:
                over = True
            else:
                over = False
                cls._live += 1
                self._counted = True
        if over:
            self.respond_w_warning(
                "421 Too many connections. Service temporarily unavailable.")
            self.close_when_done()
            return
        FTPHandler.handle(self)  # on_connect() + 220 banner

    def close(self):
        if self._counted:
            self._counted = False
            with TestFTPHandler._live_lock:
                TestFTPHandler._live -= 1
        super().close()

    def push(self, s):
        super(FTPHandler, self).push(s.encode("utf8", self.unicode_errors))

    def recv(self, buffer_size):
        """AsyncChat.recv, plus: note when these bytes arrived (the
        kernel's receive timestamp if there is one), see the latency model
        in the module docstring."""
        if self.latency <= 0:
            return super().recv(buffer_size)
        try:
            data, anc, _, _ = self.socket.recvmsg(buffer_size,
                                                  socket.CMSG_SPACE(16))
        except OSError as err:
            if err.errno in _ERRNOS_DISCONNECTED:
                self.handle_close()
                return b""
            if err.errno in _ERRNOS_RETRY:
                raise RetryError
            raise
        if not data:
            self.handle_close()
            return b""
        now = time.monotonic()
        arrival = now
        for level, kind, blob in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and \
                    len(blob) >= 16:
                sec, nsec = struct.unpack("qq", blob[:16])
                age = time.time() - (sec + nsec / 1e9)
                arrival = now - min(max(age, 0.0), 60.0)
        self._rx_time = arrival
        return data

    def ftp_RNTO(self, path):
        # a quota counted at the rename (the server's disk filled up
        # between STOR and RNTO): the client must keep the old file
        if self.rnto_code:
            self._rnfr = None
            self.respond("%d Disk full: cannot rename." % self.rnto_code)
            return
        return super().ftp_RNTO(path)
    # --hash: draft-bryan-ftpext-hash's HASH, SHA-256 only
    hash_mode = None

    def ftp_FEAT(self, line):
        if self.hash_mode and "HASH SHA-256*" not in self._extra_feats:
            self._extra_feats = list(self._extra_feats) + ["HASH SHA-256*"]
        return super().ftp_FEAT(line)

    def ftp_OPTS(self, line):
        if self.hash_mode and line.upper().startswith("HASH"):
            algo = line[4:].strip().upper()
            if algo == "SHA-256":
                self.respond("200 SHA-256")
            else:
                self.respond("504 Unknown algorithm %s." % algo)
            return
        return super().ftp_OPTS(line)

    def ftp_HASH(self, path):
        if not os.path.isfile(path):
            self.respond("550 %s: not a regular file." % self.fs.fs2ftp(path))
            return
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                h.update(chunk)
        if self.hash_mode == "wrong":
            h.update(b"!")
        size = os.path.getsize(path)
        self.respond("213 SHA-256 0-%d %s %s" % (
            max(size - 1, 0), h.hexdigest(), self.fs.fs2ftp(path)))

    def respond(self, resp, logfun=logging.getLogger("pyftpdlib").debug):
        if self.latency > 0 and not self._closed:
            wait = self._rx_time + self.latency - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        super().respond(resp, logfun=logfun)


class TestFTPServer(ThreadedFTPServer):
    def _start_task(self, *args, **kwargs):
        t = threading.Thread(*args, **kwargs)
        t.daemon = True  # never keep the process alive on exit
        return t


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--anonymous", action="store_true")
    p.add_argument("--writable", action="store_true",
                   help="give the anonymous user write permissions too")
    p.add_argument("--latency-ms", type=float, default=0.0,
                   help="model a round trip of N ms on the control "
                        "connection: each reply leaves N ms after the "
                        "command's bytes arrived (see the docstring)")
    p.add_argument("--rate-bps", type=int, default=0,
                   help="cap each data connection to N bytes/s")
    p.add_argument("--max-cons", type=int, default=0,
                   help="answer 421 beyond N concurrent control connections")
    p.add_argument("--idle-timeout", type=float, default=300,
                   help="control connection idle timeout, s (0: none)")
    p.add_argument("--fix-0o-mode", action="store_true",
                   help="rewrite pyftpdlib's MLSD 'unix.mode=0o644' (py3 "
                        "bug) to 0644")
    p.add_argument("--max-file-bytes", type=int, default=0,
                   help="quota: STOR/APPE may not make a file larger than N "
                        "bytes (0: no limit)")
    p.add_argument("--quota-code", type=int, default=552,
                   choices=[426, 451, 452, 552],
                   help="final transfer reply when --max-file-bytes is hit")
    p.add_argument("--rnto-code", type=int, default=0,
                   choices=[0, 452, 552],
                   help="refuse every RNTO with this reply (0: no)")
    p.add_argument("--readonly-subdir", action="append", default=[],
                   metavar="REL",
                   help="ROOT/REL (and below) is read-only for every user")
    p.add_argument("--list-tz-offset", type=int, default=0,
                   help="LIST times in a zone this many seconds east of "
                        "UTC (MLSD/MDTM stay UTC)")
    p.add_argument("--hash", choices=["right", "wrong"],
                   help="offer HASH (SHA-256); 'wrong': answer a wrong value")
    p.add_argument("--log", help="log file (default: warnings to stderr)")
    a = p.parse_args(argv)
    if (a.user is None) != (a.password is None):
        p.error("--user and --password go together")
    if a.user is None and not a.anonymous:
        a.anonymous = True
    if a.user == "anonymous":
        p.error("use --anonymous for the anonymous user")
    if not os.path.isdir(a.root):
        p.error("--root %s is not a directory" % a.root)
    if a.latency_ms < 0 or a.rate_bps < 0 or a.max_cons < 0 or \
            a.max_file_bytes < 0:
        p.error("knobs must be >= 0")
    for rel in a.readonly_subdir:
        if not os.path.isdir(os.path.join(a.root, rel)):
            p.error("--readonly-subdir %s: no such directory under --root"
                    % rel)
    return a


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)

    if a.log:
        # names may hold any bytes (surrogateescape): never fail to log
        handler = logging.FileHandler(a.log, errors="backslashreplace")
        level = logging.DEBUG
    else:
        handler = logging.StreamHandler(sys.stderr)
        level = logging.WARNING
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(threadName)s %(levelname)s %(message)s"))
    for name in ("pyftpdlib", "pyftpd"):
        lg = logging.getLogger(name)
        lg.handlers[:] = [handler]
        lg.setLevel(level)
        lg.propagate = False

    root = os.path.realpath(a.root)
    auth = DummyAuthorizer()
    if a.anonymous:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            auth.add_anonymous(root,
                               perm=FULL_PERMS if a.writable else READ_PERMS)
    if a.user is not None:
        auth.add_user(a.user, a.password, root, perm=FULL_PERMS)
    for rel in a.readonly_subdir:
        d = os.path.realpath(os.path.join(root, rel))
        for name in ([a.user] if a.user is not None else []) + \
                (["anonymous"] if a.anonymous else []):
            auth.override_perm(name, d, READ_PERMS, recursive=True)

    TestFTPHandler.authorizer = auth
    if a.hash:
        TestFTPHandler.hash_mode = a.hash
        TestFTPHandler.proto_cmds = dict(TestFTPHandler.proto_cmds)
        TestFTPHandler.proto_cmds["HASH"] = dict(
            perm="r", auth=True, arg=True,
            help="Syntax: HASH <SP> file-name (SHA-256 checksum).")
    TestFTPHandler.latency = a.latency_ms / 1000.0
    TestFTPHandler.max_live = a.max_cons
    TestFTPHandler.timeout = a.idle_timeout or None
    TestFTPHandler.passive_ports = None
    TestFTPHandler.permit_foreign_addresses = False
    RateLimitedDTPHandler.rate = a.rate_bps
    TestFS.fix_mode = a.fix_0o_mode
    TestFS.max_file_bytes = a.max_file_bytes
    TestFS.list_tz_offset = a.list_tz_offset
    RateLimitedDTPHandler.quota_code = a.quota_code
    TestFTPHandler.rnto_code = a.rnto_code

    server = TestFTPServer((a.host, a.port), TestFTPHandler, backlog=128)
    server.max_cons = 0         # we do our own counting (TestFTPHandler)
    server.max_cons_per_ip = 0
    port = server.socket.getsockname()[1]

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # The socket is listening: connections are queued from now on.
    write_port_file(a.port_file, port)
    logger.info("serving %s on %s:%d", root, a.host, port)

    try:
        while not stop.is_set():
            server.serve_forever(timeout=0.2, blocking=False,
                                 handle_exit=False)
    finally:
        server.close_all()
    logger.info("stopped")
    logging.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
