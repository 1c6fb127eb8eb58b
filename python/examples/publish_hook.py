#!/usr/bin/env python3
"""An example post-publish hook: send a published version to a site and wait.

An OpenPype or AYON integrator would call ``deliver()`` from a publish
plug-in once the version's files are written (for example at the end of
an ``Integrator``'s ``process``), with the folder or the files it wrote.
From a shell, for trying it out:

    FERRY_STATE=/var/lib/ferry python3 publish_hook.py --to la /storage/show/sh010/v003

It exits 0 when the files arrived, 1 when ferry refused or the job failed.
"""

import argparse
import sys

import ferry_client


def deliver(paths, site, note=None, state=None, timeout=None):
    """Sends ``paths`` to ``site`` through the local ferryd and waits.

    Returns the finished job; raises ferry_client.FerryError with ferry's
    own message when the send is refused or the job fails.
    """
    client = ferry_client.Client(state)
    job = client.send(paths, to=site, note=note, priority=600)

    def progress(j):
        pct = 100 * j.done_bytes // j.bytes if j.bytes else 100
        print(f"ferry job {j.id}: {j.state} {pct}% "
              f"({j.done_files}/{j.files} files)", file=sys.stderr)

    return job.wait(progress=progress, timeout=timeout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--to", required=True, help="the site or person")
    ap.add_argument("--note", help="a note shown with the job")
    ap.add_argument("--timeout", type=float, help="seconds to wait at most")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args(argv)
    try:
        job = deliver(args.paths, args.to, args.note, timeout=args.timeout)
    except ferry_client.FerryError as e:
        print(f"publish hook: ferry: {e}", file=sys.stderr)
        return 1
    except TimeoutError as e:
        print(f"publish hook: {e}", file=sys.stderr)
        return 1
    print(f"ferry job {job.id}: {job.files} files sent to {args.to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
