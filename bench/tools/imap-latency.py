#!/usr/bin/env python3
"""Per-command latency of the bench's IMAP mix, one command at a time, against any IMAP server on 127.0.0.1.

The "IMAP: mixed ops, 1 session" row of bench/run is pure latency: its ops/s is 1 / (mean time of a command). This tool
says which command the time goes to. It sends what BenchImapWorkload.cs sends (the same weights; APPEND with a
synchronising literal: the line, wait for "+", the message, then CRLF, in separate writes; NoDelay) and prints, per
kind, the mean, median and p90 latency and its share of the mean time per operation.

  bench/tools/imap-latency.py --port 13143 mix 4            # 4 seconds of the mix, as the bench does
  bench/tools/imap-latency.py --port 12143 each 300         # each kind alone, 300 times
  bench/tools/imap-latency.py --port 13143 each 300 append,search_subj

Keep the server a bench run left with --keep (bench/run --keep): its work folder has Tern's data and Dovecot's
configuration. Messages this tool appends it expunges again before it ends. Loopback only."""
import argparse, random, re, socket, statistics, time

WORDS = ["tern", "harbour", "quarterly", "invoice", "meeting", "schedule", "report", "draft", "review", "budget",
         "coastal", "migration", "feather", "northern", "summary", "project", "release", "kernel", "mailbox", "archive"]
WEIGHTS = {'fetch_flags': 30, 'fetch_hdr': 20, 'fetch_body': 15, 'store': 15, 'search_flagged': 4, 'search_subj': 4,
           'append': 6, 'expunge': 4, 'select': 2}


class Session:
    def __init__(self, port, user, password):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile('rb')
        self.tags = 0
        self.file.readline()
        self.command('LOGIN %s %s' % (user, password))
        self.command('SELECT INBOX')

    def _tagged(self, tag):
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError('closed')
            literal = re.search(rb'\{(\d+)\}\r\n$', line)
            if literal:
                self.file.read(int(literal.group(1)))
                continue
            if line.startswith(tag + b' '):
                if not line[len(tag) + 1:].startswith(b'OK'):
                    raise RuntimeError(line)
                return line

    def command(self, text):
        self.tags += 1
        tag = b'a%d' % self.tags
        self.sock.sendall(tag + b' ' + text.encode() + b'\r\n')
        return self._tagged(tag)

    def append(self, message):
        self.tags += 1
        tag = b'a%d' % self.tags
        self.sock.sendall(tag + b' APPEND INBOX {%d}\r\n' % len(message))
        if not self.file.readline().startswith(b'+'):
            raise RuntimeError('no continuation')
        self.sock.sendall(message)
        self.sock.sendall(b'\r\n')
        return self._tagged(tag)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--port', type=int, default=13143)
    parser.add_argument('--user', default='imap-1k@bench.test')
    parser.add_argument('--password', default='bench-password-1')
    parser.add_argument('--max-uid', type=int, default=1000)
    parser.add_argument('mode', choices=['mix', 'each'])
    parser.add_argument('amount', type=float, help='mix: seconds; each: repetitions per kind')
    parser.add_argument('kinds', nargs='?', default=','.join(WEIGHTS))
    args = parser.parse_args()

    s = Session(args.port, args.user, args.password)
    rnd = random.Random(1000)
    body = b''.join((' '.join(rnd.choice(WORDS) for _ in range(10)) + '\r\n').encode() for _ in range(80))
    message = (b'From: a@b.test\r\nTo: c@d.test\r\nSubject: latency probe\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n'
               b'Message-ID: <probe@b.test>\r\n\r\n' + body)
    appended = []

    def do_append(_):
        uid = re.search(rb'APPENDUID \d+ (\d+)', s.append(message))
        if uid:
            appended.append(int(uid.group(1)))

    def do_expunge(_):
        if not appended:
            do_append(0)
        victim = appended.pop()
        s.command('UID STORE %d +FLAGS.SILENT (\\Deleted)' % victim)
        s.command('UID EXPUNGE %d' % victim)

    last = lambda u: min(args.max_uid, u + 19)
    ops = {
        'fetch_flags': lambda u: s.command('UID FETCH %d:%d (FLAGS)' % (u, last(u))),
        'fetch_hdr': lambda u: s.command('UID FETCH %d:%d (BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])' % (u, last(u))),
        'fetch_body': lambda u: s.command('UID FETCH %d (BODY.PEEK[])' % u),
        'store': lambda u: s.command('UID STORE %d %sFLAGS.SILENT (\\Flagged)' % (u, rnd.choice('+-'))),
        'search_flagged': lambda u: s.command('UID SEARCH FLAGGED'),
        'search_subj': lambda u: s.command('UID SEARCH SUBJECT "harbour"'),
        'append': do_append,
        'expunge': do_expunge,
        'select': lambda u: s.command('SELECT INBOX'),
    }
    kinds = args.kinds.split(',')
    times = {k: [] for k in kinds}
    if args.mode == 'mix':
        total = sum(WEIGHTS[k] for k in kinds)
        end = time.perf_counter() + args.amount
        start = time.perf_counter()
        while time.perf_counter() < end:
            pick = rnd.randrange(total)
            for kind in kinds:
                pick -= WEIGHTS[kind]
                if pick < 0:
                    break
            t = time.perf_counter()
            ops[kind](1 + rnd.randrange(args.max_uid))
            times[kind].append((time.perf_counter() - t) * 1000)
        count = sum(len(v) for v in times.values())
        print('mix: %d operations in %.2f s = %.0f ops/s' % (count, time.perf_counter() - start, count / (time.perf_counter() - start)))
    else:
        for kind in kinds:
            for _ in range(int(args.amount)):
                t = time.perf_counter()
                ops[kind](1 + rnd.randrange(args.max_uid))
                times[kind].append((time.perf_counter() - t) * 1000)
        count = sum(len(v) for v in times.values())
    for kind, values in times.items():
        if values:
            values.sort()
            print('  %-15s n %5d  mean %.3f  median %.3f  p90 %.3f ms  share %.3f ms/op' % (
                kind, len(values), statistics.mean(values), values[len(values) // 2], values[len(values) * 9 // 10],
                sum(values) / count))
    for uid in appended:
        s.command('UID STORE %d +FLAGS.SILENT (\\Deleted)' % uid)
        s.command('UID EXPUNGE %d' % uid)
    s.command('LOGOUT')


if __name__ == '__main__':
    main()
