#!/usr/bin/python3
"""A scripted, read-only FTP server with fault knobs (stdlib only).

    /usr/bin/python3 tests/servers/hostile.py --root DIR --port-file FILE \
        [--host 127.0.0.1] [--log FILE] [knobs...]

One thread per control connection, plain sockets. Serves the tree under
--root read-only: USER/PASS (anything), SYST, FEAT, OPTS, TYPE, PWD, CWD,
CDUP, EPSV, PASV, MLSD, MLST, LIST (unix `ls -l`, options such as `-a`
ignored), NLST, SIZE, MDTM, REST, RETR, ABOR, NOOP, QUIT; "500" for anything
else (AUTH, PORT, STOR, DELE, ...). Writes the port number to --port-file
(temp file + rename) once listening; SIGTERM/SIGINT closes every socket and
exits 0.

--log FILE appends one JSON object per event: {"conn": N, "line": "..."} for
every command line received (decoded as latin-1, so every byte survives),
{"conn": N, "event": "..."} for connects, 421s, drops and stalls.

Knobs (all optional, combinable; "per session" counts the commands of one
control connection, starting at 1 with the first command after the banner):

  --no-mlst               FEAT without MLST; MLSD/MLST answer 500
  --pasv-only             EPSV answers 500 (PASV only)
  --pasv-address A        the PASV reply names A (e.g. 127.0.0.2) while the
                          data listener is on --host only
  --extra-names           listings (LIST, MLSD, NLST) also carry entries
                          named 'a/b', 'nul<NUL>x', 'cr<CR>x', 'lf<LF>x',
                          '.', '..' (raw bytes in the line, as a buggy
                          server would send them); the LF one splits its
                          line, leaving the fragments 'lf' and 'x'
  --overlong-reply N      the reply to --hostile-cmd is one line of N bytes
  --endless-reply         the reply to --hostile-cmd is a multi-line reply
                          that never ends (the server stops after 50 MB and
                          closes the connection)
  --hostile-cmd VERB      which command --overlong-reply/--endless-reply
                          hit: PWD (default), FEAT, MLST, SIZE, ... or
                          GREETING (the 220 banner)
  --endless-listing       LIST/MLSD/NLST data never ends (valid lines, unique
                          names; stops after 50 MB or when the client closes)
  --drop-data-after N     close the data connection after N bytes of a RETR
                          (then "426"); only the first RETR of each path...
  --drop-data-every       ...unless this is given: every RETR
  --drop-data-at OFFSET   every RETR stops at file offset OFFSET (a REST at
                          or past it gets no data), then "426": the bytes
                          after OFFSET can never be read
  --drop-ctrl-after-cmds K  close the control connection after the reply to
                          the K-th command of a session
  --max-cons K            "421" and close beyond K live control connections
  --delay-ms N            sleep N ms before every reply
  --stall-after-cmds K    answer K commands of a session, then read and log
                          but never answer again (the socket stays open)
  --stray-reply N         after the (final) reply to every N-th command of a
                          session, an extra unsolicited "150" in the same
                          write; with --stray-late it comes 100 ms later
  --rate-bps N            cap each data connection at N bytes/s
"""

import argparse
import json
import os
import posixpath
import signal
import socket
import stat
import sys
import threading
import time

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec"]
ENDLESS_CAP = 50 * 2 ** 20
LINE_MAX = 16384
ACCEPT_TIMEOUT = 15

HOSTILE_CODES = {"PWD": 257, "FEAT": 211, "SIZE": 213, "MDTM": 213,
                 "EPSV": 229, "PASV": 227, "USER": 331, "PASS": 230,
                 "TYPE": 200, "OPTS": 200, "CWD": 250, "MLST": 250,
                 "RETR": 150, "MLSD": 150, "LIST": 150}
EXTRA_NAMES = [b"a/b", b"nul\x00x", b"cr\rx", b"lf\nx", b".", b".."]


class Stop(Exception):
    """The session is over (client gone, server stopping, a drop knob)."""


class Server:
    def __init__(self, args):
        self.a = args
        self.root = os.path.realpath(args.root)
        self.lock = threading.Lock()
        self.live = 0
        self.next_id = 0
        self.socks = set()          # every open socket, for shutdown
        self.stopping = threading.Event()
        self.retr_seen = set()      # paths whose first RETR was dropped
        self.log_f = open(args.log, "a", buffering=1,
                          encoding="utf-8") if args.log else None

    # -- bookkeeping -------------------------------------------------------
    def log(self, conn, **kw):
        if not self.log_f:
            return
        kw["conn"] = conn
        kw["t"] = round(time.time(), 3)
        with self.lock:
            self.log_f.write(json.dumps(kw) + "\n")

    def track(self, s):
        with self.lock:
            self.socks.add(s)

    def untrack(self, s):
        with self.lock:
            self.socks.discard(s)
        try:
            s.close()
        except OSError:
            pass

    def shutdown_all(self):
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    # -- main loop ---------------------------------------------------------
    def serve(self):
        a = self.a
        ls = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
        ls.bind((a.host, a.port))
        ls.listen(128)
        ls.settimeout(0.2)
        self.track(ls)
        port = ls.getsockname()[1]
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
        while not self.stopping.is_set():
            try:
                c, peer = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                raise
            c.settimeout(None)
            # no Nagle: "150" and "226" are separate small writes, and the
            # client's delayed ACK would hold the second one 40 ms
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.track(c)
            with self.lock:
                self.next_id += 1
                cid = self.next_id
            t = threading.Thread(target=self.conn_main, args=(c, cid),
                                 daemon=True)
            t.start()
        self.shutdown_all()

    def conn_main(self, c, cid):
        over = False
        with self.lock:
            self.live += 1
            over = self.a.max_cons is not None and self.live > self.a.max_cons
        try:
            if over:
                self.log(cid, event="421")
                try:
                    c.sendall(b"421 Too many connections, try later.\r\n")
                except OSError:
                    pass
                return
            self.log(cid, event="connect")
            Session(self, c, cid).run()
        except Stop:
            pass
        except (OSError, ValueError):
            # client went away, or we are stopping: nothing to report
            pass
        finally:
            with self.lock:
                self.live -= 1
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.untrack(c)


class Session:
    def __init__(self, srv, sock, cid):
        self.srv = srv
        self.a = srv.a
        self.sock = sock
        self.cid = cid
        self.buf = b""
        self.cwd = "/"
        self.rest = 0
        self.pasv = None        # listening socket for the next transfer
        self.ncmd = 0
        self.stalled = False

    # -- I/O ---------------------------------------------------------------
    def send_raw(self, data):
        if self.srv.stopping.is_set():
            raise Stop()
        self.sock.sendall(data)

    def reply(self, code, text, lines=None, final=True, raw_lines=None,
              end=None):
        """Send one reply; lines makes it multi-line (RFC 959 4.2), each
        line indented by a space. final: the last reply to the command (a
        stray reply may follow it)."""
        if self.a.delay_ms:
            time.sleep(self.a.delay_ms / 1000.0)
        if lines is not None:
            raw_lines = [b" " + enc(l) for l in lines]
        if raw_lines is None:
            out = b"%d %s\r\n" % (code, enc(text))
        else:
            out = b"%d-%s\r\n" % (code, enc(text))
            for l in raw_lines:
                out += l + b"\r\n"
            out += (end or b"%d End" % code) + b"\r\n"
        if final and self.a.stray_reply and \
                self.ncmd % self.a.stray_reply == 0:
            stray = b"150 Stray reply to nothing.\r\n"
            if self.a.stray_late:
                self.send_raw(out)
                self.srv.log(self.cid, event="stray-late")
                time.sleep(0.1)
                self.send_raw(stray)
                return
            self.srv.log(self.cid, event="stray")
            out += stray
        self.send_raw(out)

    def readline(self):
        """The next command line without its line end; None for a line
        longer than LINE_MAX (its bytes are skipped up to the next LF)."""
        skipping = False
        while b"\n" not in self.buf:
            if len(self.buf) > LINE_MAX:
                self.buf = b""
                skipping = True
            d = self.sock.recv(65536)
            if not d:
                raise Stop()
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        if skipping or len(line) > LINE_MAX:
            return None
        if line.endswith(b"\r"):
            line = line[:-1]
        return line

    # -- paths -------------------------------------------------------------
    def vpath(self, arg):
        """Virtual absolute path for a command argument."""
        p = arg if arg.startswith("/") else posixpath.join(self.cwd, arg)
        p = posixpath.normpath(p)
        if p.startswith("//"):
            p = "/" + p.lstrip("/")
        return p

    def real(self, vp):
        r = os.path.normpath(os.path.join(self.srv.root, vp.lstrip("/")))
        if r != self.srv.root and not r.startswith(self.srv.root + os.sep):
            return None
        return r

    # -- main --------------------------------------------------------------
    def run(self):
        a = self.a
        if a.hostile_cmd == "GREETING" and self.hostile_reply(220):
            pass  # the banner was the hostile reply
        else:
            self.reply(220, "hostile.py ready.", final=False)
        while True:
            line = self.readline()
            if line is None:
                self.srv.log(self.cid, event="overlong-command")
                self.reply(500, "Command line too long.")
                continue
            self.srv.log(self.cid, line=line.decode("latin-1"))
            # names on disk are bytes: any byte survives surrogateescape
            text = line.decode("utf-8", "surrogateescape")
            self.ncmd += 1
            if self.stalled or (a.stall_after_cmds is not None and
                                self.ncmd > a.stall_after_cmds):
                if not self.stalled:
                    self.srv.log(self.cid, event="stall")
                self.stalled = True
                continue
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            h = getattr(self, "cmd_" + verb, None)
            if verb == a.hostile_cmd and self.hostile_reply(
                    HOSTILE_CODES.get(verb, 250)):
                pass  # answered with the hostile reply
            elif h is None:
                self.reply(500, "Command not understood.")
            else:
                h(arg)
            if a.drop_ctrl_after_cmds is not None and \
                    self.ncmd >= a.drop_ctrl_after_cmds:
                self.srv.log(self.cid, event="drop-ctrl")
                raise Stop()

    def hostile_reply(self, code):
        """--overlong-reply / --endless-reply instead of the real reply.
        False: no such knob, answer normally. Raises Stop after an endless
        reply reached its cap."""
        a = self.a
        if a.overlong_reply:
            head = b"%d \"/" % code
            body = b"x" * max(0, a.overlong_reply - len(head) - 3)
            self.srv.log(self.cid, event="overlong-reply",
                         bytes=len(head) + len(body) + 3)
            self.send_raw(head + body + b"\"\r\n")
            # the session goes on (the client should drop it)
            return True
        if a.endless_reply:
            self.send_raw(b"%d-Here is a long story\r\n" % code)
            chunk = b"".join(b"%d-line %08d of a reply that never ends %s\r\n"
                             % (code, i, b"y" * 900) for i in range(64))
            sent = 0
            while sent < ENDLESS_CAP:
                self.send_raw(chunk)
                sent += len(chunk)
            self.srv.log(self.cid, event="endless-reply-cap")
            raise Stop()
        return False

    # -- login and simple commands ----------------------------------------
    def cmd_USER(self, arg):
        self.reply(331, "Any password will do.")

    def cmd_PASS(self, arg):
        self.reply(230, "Logged in.")

    def cmd_SYST(self, arg):
        self.reply(215, "UNIX Type: L8")

    def cmd_FEAT(self, arg):
        feats = ["EPSV", "MDTM", "PASV", "REST STREAM", "SIZE", "UTF8"]
        if not self.a.no_mlst:
            feats.append("MLST type*;size*;modify*;UNIX.mode*;")
        self.reply(211, "Features:", lines=feats)

    def cmd_OPTS(self, arg):
        self.reply(200, "OK.")

    def cmd_TYPE(self, arg):
        self.reply(200, "Type set.")

    def cmd_NOOP(self, arg):
        self.reply(200, "NOOP ok.")

    def cmd_QUIT(self, arg):
        self.reply(221, "Goodbye.")
        raise Stop()

    def cmd_ABOR(self, arg):
        # transfers run synchronously: nothing can be running any more
        self.close_pasv()
        self.reply(225, "No transfer to abort.")

    def cmd_PWD(self, arg):
        self.reply(257, "\"%s\" is the current directory."
                   % self.cwd.replace("\"", "\"\""))

    def cmd_CWD(self, arg):
        vp = self.vpath(arg or "/")
        rp = self.real(vp)
        if rp is None or not os.path.isdir(rp):
            self.reply(550, "No such directory.")
            return
        self.cwd = vp
        self.reply(250, "Directory changed to %s." % vp)

    def cmd_CDUP(self, arg):
        self.cmd_CWD("..")

    def cmd_REST(self, arg):
        try:
            self.rest = int(arg)
            if self.rest < 0:
                raise ValueError
        except ValueError:
            self.rest = 0
            self.reply(501, "Bad offset.")
            return
        self.reply(350, "Restarting at %d." % self.rest)

    def file_of(self, arg):
        rp = self.real(self.vpath(arg))
        if rp is None or not os.path.isfile(rp):
            return None
        return rp

    def cmd_SIZE(self, arg):
        rp = self.file_of(arg)
        if rp is None:
            self.reply(550, "Not a file.")
            return
        self.reply(213, "%d" % os.path.getsize(rp))

    def cmd_MDTM(self, arg):
        rp = self.file_of(arg)
        if rp is None:
            self.reply(550, "Not a file.")
            return
        self.reply(213, time.strftime("%Y%m%d%H%M%S",
                                      time.gmtime(os.path.getmtime(rp))))

    def cmd_MLST(self, arg):
        if self.a.no_mlst:
            self.reply(500, "Command not understood.")
            return
        vp = self.vpath(arg or ".")
        rp = self.real(vp)
        try:
            st = os.stat(rp) if rp else None
        except OSError:
            st = None
        if st is None:
            self.reply(550, "No such file or directory.")
            return
        facts = mlsx_facts(st, cdir=(vp == self.cwd and
                                     stat.S_ISDIR(st.st_mode)))
        self.reply(250, "Listing %s" % vp,
                   raw_lines=[b" " + facts + b" " + enc(vp)], end=b"250 End.")

    # -- data connections --------------------------------------------------
    def close_pasv(self):
        if self.pasv is not None:
            self.srv.untrack(self.pasv)
            self.pasv = None

    def open_pasv(self):
        self.close_pasv()
        fam = socket.AF_INET6 if ":" in self.a.host else socket.AF_INET
        s = socket.socket(fam)
        s.bind((self.a.host, 0))
        s.listen(1)
        s.settimeout(ACCEPT_TIMEOUT)
        self.srv.track(s)
        self.pasv = s
        return s.getsockname()[1]

    def cmd_EPSV(self, arg):
        if self.a.pasv_only:
            self.reply(500, "EPSV not understood.")
            return
        port = self.open_pasv()
        self.reply(229, "Entering Extended Passive Mode (|||%d|)" % port)

    def cmd_PASV(self, arg):
        if ":" in self.a.host:
            self.reply(500, "PASV is IPv4 only.")
            return
        port = self.open_pasv()
        addr = (self.a.pasv_address or self.a.host).split(".")
        self.reply(227, "Entering Passive Mode (%s,%d,%d)."
                   % (",".join(addr), port >> 8, port & 255))

    def accept_data(self):
        """After 150: the data connection, or None (425 sent)."""
        if self.pasv is None:
            self.reply(425, "Use PASV or EPSV first.")
            return None
        try:
            d, _ = self.pasv.accept()
        except (socket.timeout, OSError):
            self.close_pasv()
            self.reply(425, "Cannot open data connection.")
            return None
        self.close_pasv()
        d.settimeout(60)
        self.srv.track(d)
        return d

    def send_data(self, d, chunks, limit=None):
        """Send an iterable of byte chunks; stop after `limit` bytes.
        Returns (bytes sent, ok) where ok is False if the client closed."""
        sent = 0
        rate = self.a.rate_bps
        t0 = time.monotonic()
        try:
            for c in chunks:
                if limit is not None and sent + len(c) > limit:
                    c = c[:limit - sent]
                if rate:
                    # never ahead of rate * elapsed; send in small pieces
                    for i in range(0, len(c), 16384):
                        piece = c[i:i + 16384]
                        ahead = (sent + len(piece)) / rate - \
                            (time.monotonic() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
                        d.sendall(piece)
                        sent += len(piece)
                else:
                    d.sendall(c)
                    sent += len(c)
                if self.srv.stopping.is_set():
                    raise Stop()
                if limit is not None and sent >= limit:
                    break
            return sent, True
        except (OSError, socket.timeout):
            return sent, False

    def finish_data(self, d, ok, what="Transfer complete."):
        try:
            d.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.srv.untrack(d)
        if ok:
            self.reply(226, what)
        else:
            self.reply(426, "Connection closed; transfer aborted.")

    def cmd_RETR(self, arg):
        rest, self.rest = self.rest, 0
        rp = self.file_of(arg)
        if rp is None:
            self.close_pasv()
            self.reply(550, "No such file.")
            return
        try:
            f = open(rp, "rb")
        except OSError:
            self.close_pasv()
            self.reply(550, "Cannot open.")
            return
        with f:
            self.reply(150, "Opening BINARY mode data connection.",
                       final=False)
            d = self.accept_data()
            if d is None:
                return
            f.seek(rest)
            limit = None
            key = self.vpath(arg)
            if self.a.drop_data_after is not None:
                with self.srv.lock:
                    first = key not in self.srv.retr_seen
                    self.srv.retr_seen.add(key)
                if first or self.a.drop_data_every:
                    limit = self.a.drop_data_after
            if self.a.drop_data_at is not None:
                at = max(0, self.a.drop_data_at - rest)
                limit = at if limit is None else min(limit, at)

            def chunks():
                while True:
                    b = f.read(65536)
                    if not b:
                        return
                    yield b
            sent, ok = (0, True) if limit == 0 else \
                self.send_data(d, chunks(), limit)
            if limit is not None and sent >= limit and \
                    os.path.getsize(rp) - rest > limit:
                self.srv.log(self.cid, event="drop-data",
                             path=key, rest=rest, sent=sent)
                try:
                    d.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.srv.untrack(d)
                self.reply(426, "Data connection dropped; transfer aborted.")
                return
            self.finish_data(d, ok)

    # -- listings ------------------------------------------------------------
    def list_target(self, arg):
        """Directory to list for LIST/NLST/MLSD args (options skipped)."""
        words = [w for w in arg.split(" ") if w] if arg else []
        paths = [w for w in words if not w.startswith("-")]
        vp = self.vpath(" ".join(paths)) if paths else self.cwd
        rp = self.real(vp)
        return vp, rp

    def listing(self, verb, arg):
        vp, rp = self.list_target(arg)
        if verb == "MLSD" and self.a.no_mlst:
            self.reply(500, "Command not understood.")
            return
        if not self.a.endless_listing and (rp is None or not os.path.isdir(rp)):
            self.close_pasv()
            self.reply(550, "No such directory.")
            return
        self.reply(150, "Here comes the directory listing.", final=False)
        d = self.accept_data()
        if d is None:
            return
        if self.a.endless_listing:
            gen = endless_listing(verb)
        else:
            gen = [listing_bytes(verb, rp, self.a.extra_names,
                                 with_dots=(verb == "LIST" and "-a" in arg))]
        sent, ok = self.send_data(d, gen,
                                  ENDLESS_CAP if self.a.endless_listing
                                  else None)
        if self.a.endless_listing:
            self.srv.log(self.cid, event="endless-listing-end", sent=sent)
        self.finish_data(d, ok, "Directory send OK.")

    def cmd_LIST(self, arg):
        self.listing("LIST", arg)

    def cmd_NLST(self, arg):
        self.listing("NLST", arg)

    def cmd_MLSD(self, arg):
        self.listing("MLSD", arg)


# --- formatting ----------------------------------------------------------------

def enc(s):
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


def mlsx_facts(st, cdir=False):
    if stat.S_ISDIR(st.st_mode):
        t = "cdir" if cdir else "dir"
    else:
        t = "file"
    facts = "type=%s;" % t
    if not stat.S_ISDIR(st.st_mode):
        facts += "size=%d;" % st.st_size
    facts += "modify=%s;UNIX.mode=%04o;" % (
        time.strftime("%Y%m%d%H%M%S", time.gmtime(st.st_mtime)),
        stat.S_IMODE(st.st_mode))
    return facts.encode()


def ls_date(mtime):
    t = time.gmtime(mtime)
    if abs(time.time() - mtime) < 180 * 86400:
        return "%s %2d %02d:%02d" % (MONTHS[t.tm_mon - 1], t.tm_mday,
                                     t.tm_hour, t.tm_min)
    return "%s %2d  %d" % (MONTHS[t.tm_mon - 1], t.tm_mday, t.tm_year)


def ls_line(name, st, target=None):
    line = "%s %3d ftp      ftp      %10d %s " % (
        stat.filemode(st.st_mode), st.st_nlink, st.st_size,
        ls_date(st.st_mtime))
    out = line.encode() + name
    if target is not None:
        out += b" -> " + target
    return out + b"\r\n"


def listing_bytes(verb, rp, extra, with_dots=False):
    names = sorted(os.listdir(os.fsencode(rp)))
    out = []
    if verb == "MLSD":
        st = os.stat(rp)
        out.append(mlsx_facts(st, cdir=True) + b" .\r\n")
    elif verb == "LIST" and with_dots:
        out.append(ls_line(b".", os.stat(rp)))
        out.append(ls_line(b"..", os.stat(os.path.dirname(rp) or rp)))
    for n in names:
        p = os.path.join(os.fsencode(rp), n)
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if verb == "NLST":
            out.append(n + b"\r\n")
        elif verb == "MLSD":
            if stat.S_ISLNK(st.st_mode):
                try:
                    st = os.stat(p)
                except OSError:
                    continue
            out.append(mlsx_facts(st) + b" " + n + b"\r\n")
        else:
            target = os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out.append(ls_line(n, st, target))
    if extra:
        fake = os.stat(rp)
        for n in EXTRA_NAMES:
            if verb == "NLST":
                out.append(n + b"\r\n")
            elif verb == "MLSD":
                # "." and ".." typed as plain entries, not cdir/pdir
                out.append(b"type=file;size=1;modify=20200101000000;"
                           b"UNIX.mode=0644; " + n + b"\r\n")
            else:
                l = ls_line(n, os.stat(rp) if n in (b".", b"..") else
                            os.stat_result((0o100644, 0, 0, 1, 0, 0, 1,
                                            fake.st_mtime, fake.st_mtime,
                                            fake.st_mtime)))
                out.append(l)
    return b"".join(out)


def endless_listing(verb):
    i = 0
    now = int(time.time())
    while True:
        lines = []
        for _ in range(512):
            name = b"endless-%010d" % i
            if verb == "MLSD":
                lines.append(b"type=file;size=%d;modify=20200101000000;"
                             b"UNIX.mode=0644; %s\r\n" % (i, name))
            elif verb == "NLST":
                lines.append(name + b"\r\n")
            else:
                st = os.stat_result((0o100644, 0, 0, 1, 0, 0, i, now, now,
                                     now))
                lines.append(ls_line(name, st))
            i += 1
        yield b"".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--no-mlst", action="store_true")
    p.add_argument("--pasv-only", action="store_true")
    p.add_argument("--pasv-address")
    p.add_argument("--extra-names", action="store_true")
    p.add_argument("--overlong-reply", type=int, default=0)
    p.add_argument("--endless-reply", action="store_true")
    p.add_argument("--hostile-cmd", default="PWD", type=str.upper)
    p.add_argument("--endless-listing", action="store_true")
    p.add_argument("--drop-data-after", type=int)
    p.add_argument("--drop-data-every", action="store_true")
    p.add_argument("--drop-data-at", type=int)
    p.add_argument("--drop-ctrl-after-cmds", type=int)
    p.add_argument("--max-cons", type=int)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--stall-after-cmds", type=int)
    p.add_argument("--stray-reply", type=int, default=0)
    p.add_argument("--stray-late", action="store_true")
    p.add_argument("--rate-bps", type=int, default=0)
    args = p.parse_args()
    if args.pasv_address:
        parts = args.pasv_address.split(".")
        if len(parts) != 4 or not all(x.isdigit() and int(x) < 256
                                      for x in parts):
            p.error("--pasv-address must be a dotted IPv4 address")

    srv = Server(args)

    def on_signal(signum, frame):
        srv.stopping.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    srv.serve()
    # let connection threads notice (their sockets are shut down)
    deadline = time.time() + 3
    for t in threading.enumerate():
        if t is not threading.current_thread():
            t.join(max(0.0, deadline - time.time()))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
