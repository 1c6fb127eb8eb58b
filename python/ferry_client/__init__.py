"""A client of ferry's local API, for pipeline scripts and publish hooks.

It speaks the API of docs/api.md: newline-delimited JSON over the Unix
socket ``DIR/ferryd.sock`` of the ``ferryd`` on this machine (the hub, or
an agent, which passes ``send``, ``jobs`` and ``job`` on to the hub as
itself). It needs nothing outside Python's standard library.

    import ferry_client

    ferry = ferry_client.Client()            # $FERRY_STATE or /var/lib/ferry
    job = ferry.send(["/storage/show/sh010/comp_v002.mov"], to="la")
    job.wait(progress=lambda j: print(j.done_bytes, "of", j.bytes))

Every refusal of the daemon raises :class:`FerryError` with the daemon's
own message ("no agent of la is connected to the hub", ...).
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Mapping,
                    Optional)

__all__ = ["Client", "Job", "FerryError", "FINAL_STATES"]
__version__ = "0.1.0"

#: Where ``ferry`` and ``ferryd`` keep their state when nothing else is said.
STATE_DEFAULT = "/var/lib/ferry"
#: The socket's name in the state directory (common/jsonline.h).
SOCKET_NAME = "ferryd.sock"
#: A job in one of these states will not change by itself any more.
FINAL_STATES = frozenset({"done", "failed", "cancelled", "paused"})
# The daemon refuses request lines over 1 MiB (docs/api.md).
_MAX_REQUEST = 1 << 20


class FerryError(Exception):
    """A request the daemon refused, or a daemon that could not be reached.

    ``message`` is the daemon's own words (or what went wrong reaching it);
    ``op`` is the request's operation, when there was one.
    """

    def __init__(self, message: str, op: Optional[str] = None) -> None:
        super().__init__(message if op is None else f"{op}: {message}")
        self.message = message
        self.op = op


class Job:
    """A ferry job as the hub last described it.

    The fields of docs/api.md's ``job`` answer are attributes (``state``,
    ``files``, ``done_files``, ``failed_files``, ``bytes``, ``done_bytes``,
    ``last_error``, ...); ``raw`` is the whole answer.
    """

    def __init__(self, client: "Client", answer: Mapping[str, Any]) -> None:
        self._client = client
        self.raw: Dict[str, Any] = dict(answer)

    def __getattr__(self, name: str) -> Any:
        # Called only for names that are not real attributes: the answer's.
        try:
            return self.__dict__["raw"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return (f"<ferry job {self.raw.get('id')} {self.raw.get('state')} "
                f"{self.raw.get('done_files', 0)}/{self.raw.get('files', 0)}"
                " files>")

    @property
    def id(self) -> int:
        return int(self.raw["id"])

    @property
    def final(self) -> bool:
        """Whether the job has stopped (done, failed, cancelled, paused)."""
        return self.raw.get("state") in FINAL_STATES

    def refresh(self, wait: float = 0) -> "Job":
        """Asks the hub again (the totals, not the file list). ``wait``
        (seconds, the hub uses 1 at most): while the job is queued or
        running, the hub may hold the answer until its state changes or
        that long (docs/api.md, "Waiting")."""
        req = {"op": "job", "id": self.id, "tasks": False}
        if wait > 0:
            req["wait_ms"] = int(wait * 1000)
        self.raw = self._client._request(req)
        return self

    def tasks(self) -> List[Dict[str, Any]]:
        """The job's files: ``id``, ``state``, ``src``, ``dst``, ``size``,
        ``done_bytes``, ``attempts``, ``error``."""
        return list(self.iter_tasks())

    def iter_tasks(self, page: int = 2000) -> Iterator[Dict[str, Any]]:
        """The job's files a page at a time (``after``/``limit``/``next``),
        so that neither the hub nor this process holds a big job whole."""
        after = 0
        while True:
            ans = self._client._request(
                {"op": "job", "id": self.id, "after": after, "limit": page})
            yield from ans.get("tasks", [])
            if not isinstance(ans.get("next"), int):
                return
            after = ans["next"]

    def wait(self, progress: Optional[Callable[["Job"], None]] = None,
             timeout: Optional[float] = None,
             interval: float = 0.5) -> "Job":
        """Waits until the job stops and returns it.

        ``progress`` is called with the job each time its bytes, files or
        state change. Raises :class:`FerryError` if the job failed or was
        cancelled (``message`` names the first file's error), and
        ``TimeoutError`` after ``timeout`` seconds. A paused job is
        returned as it is: somebody paused it on purpose.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        seen = None
        pause = 0.02
        while True:
            # The hub holds the look until the job's state changes, at
            # most interval (or what is left of timeout).
            hold = interval if deadline is None else max(0.0, min(
                interval, deadline - time.monotonic()))
            self.refresh(wait=hold)
            now = (self.raw.get("state"), self.raw.get("done_bytes"),
                   self.raw.get("done_files"))
            if progress is not None and now != seen:
                progress(self)
            seen = now
            if self.final:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"ferry job {self.id} is still "
                                   f"{self.raw.get('state')}")
            # A hub that held the look paced it; one that answers at
            # once (older, a standby's, an agent's relay) does not:
            # short jobs end soon, so look again quickly at first.
            if "waited_ms" in self.raw:
                continue
            time.sleep(pause)
            pause = min(pause * 2, interval)
        if self.raw["state"] in ("failed", "cancelled"):
            why = self.raw.get("last_error") or "see `ferry job %d`" % self.id
            raise FerryError(f"job {self.id} {self.raw['state']}: {why}",
                             "wait")
        return self

    def cancel(self) -> "Job":
        return self._client.cancel(self.id)

    def retry(self) -> "Job":
        return self._client.retry(self.id)


class Client:
    """The ``ferryd`` of this machine, through its local socket.

    ``state`` is its state directory: the argument, else ``$FERRY_STATE``,
    else /var/lib/ferry (as for ``ferry --state``). Only root and the user
    ferryd runs as may connect (the daemon checks the peer's uid).
    """

    def __init__(self, state: Optional[str] = None,
                 timeout: float = 30.0) -> None:
        self.state = state or os.environ.get("FERRY_STATE") or STATE_DEFAULT
        self.socket_path = os.path.join(self.state, SOCKET_NAME)
        self.timeout = timeout

    def _request(self, req: Mapping[str, Any]) -> Dict[str, Any]:
        """Sends one request and returns its final answer (the line with
        ``"done": true``), or raises FerryError."""
        op = req.get("op")
        line = json.dumps(req, separators=(",", ":")).encode() + b"\n"
        if len(line) > _MAX_REQUEST:
            raise FerryError("the request is over 1 MiB", op)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(self.timeout)
                s.connect(self.socket_path)
                s.sendall(line)
                answer = self._final_answer(s.makefile("rb"))
        except FileNotFoundError:
            raise FerryError(f"no ferryd at {self.socket_path} (is it "
                             "running? is the state directory right?)",
                             op) from None
        except PermissionError:
            raise FerryError(f"{self.socket_path}: permission denied (run "
                             "as root or as the user ferryd runs as)",
                             op) from None
        except OSError as e:
            raise FerryError(f"{self.socket_path}: {e.strerror or e}",
                             op) from None
        if "error" in answer:
            raise FerryError(str(answer["error"]), op)
        return answer

    @staticmethod
    def _final_answer(stream: Iterable[bytes]) -> Dict[str, Any]:
        for raw in stream:
            try:
                obj = json.loads(raw)
            except ValueError:
                raise FerryError("the daemon answered something that is not "
                                 "JSON") from None
            if isinstance(obj, dict) and obj.get("done") is True:
                return obj
        raise FerryError("the daemon closed the connection before answering")

    def status(self) -> Dict[str, Any]:
        """The daemon's role, name, key and, on the hub, the agents
        connected now (docs/api.md, ``status``)."""
        return self._request({"op": "status"})

    def send(self, paths: Iterable[str], to: str, *,
             source: Optional[str] = None,
             basis: Optional[Mapping[str, str]] = None,
             priority: Optional[int] = None,
             note: Optional[str] = None,
             skip_missing: bool = False) -> Job:
        """Sends files to a site or a person (an e-mail) and returns the
        job at once; ``job.wait()`` waits for it.

        ``paths`` are as the source sees them: files, folders, image
        sequences (``plate.%04d.exr [1001-1100]``). ``source`` is the site
        or person they are at (the hub's site, or on an agent its own,
        when not given). ``basis`` maps a new path to an older version
        already at the destination, so that only what changed moves.
        ``priority`` is 0-1000 (500 by default).
        """
        paths = [paths] if isinstance(paths, str) else list(paths)
        if not paths:
            raise FerryError("nothing to send", "send")
        req: Dict[str, Any] = {"op": "send", "to": to, "paths": paths}
        if source is None:
            source = self._own_place()
        req["from"] = source
        if basis:
            req["basis"] = dict(basis)
        if priority is not None:
            req["priority"] = int(priority)
        if note is not None:
            req["note"] = note
        if skip_missing:
            req["skip_missing"] = True
        answer = self._request(req)
        return self.job(int(answer["id"]))

    def _own_place(self) -> str:
        st = self.status()
        place = st.get("site") or st.get("user")
        if not place:
            raise FerryError("say where the files are: source=SITE", "send")
        return str(place)

    def job(self, job_id: int) -> Job:
        """One job's totals."""
        return Job(self, self._request(
            {"op": "job", "id": int(job_id), "tasks": False}))

    def jobs(self, limit: int = 50) -> List[Job]:
        """The newest jobs first (on an agent: those involving it)."""
        answer = self._request({"op": "jobs", "limit": int(limit)})
        return [Job(self, j) for j in answer.get("jobs", [])]

    def _act(self, op: str, job_id: int) -> Job:
        return Job(self, self._request({"op": op, "id": int(job_id)}))

    def cancel(self, job_id: int) -> Job:
        """Cancels every file of the job not done yet (hub only)."""
        return self._act("cancel", job_id)

    def retry(self, job_id: int) -> Job:
        """Retries the job's failed files, their attempts reset (hub
        only)."""
        return self._act("retry", job_id)

    def pause(self, job_id: int) -> Job:
        return self._act("pause", job_id)

    def resume(self, job_id: int) -> Job:
        return self._act("resume", job_id)
