"""ferry_client against a real hub and agent (tests/python/client.sh
starts them and names them in the environment)."""

import filecmp
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import ferry_client  # noqa: E402

HUB = os.environ.get("FERRY_TEST_HUB")
AGENT = os.environ.get("FERRY_TEST_AGENT")
SRC = os.environ.get("FERRY_TEST_SRC")
DST = os.environ.get("FERRY_TEST_DST")


@unittest.skipUnless(HUB and AGENT, "tests/python/client.sh sets the daemons")
class ClientTest(unittest.TestCase):
    def setUp(self):
        self.hub = ferry_client.Client(HUB)

    def test_status(self):
        st = self.hub.status()
        self.assertEqual(st["role"], "hub")
        self.assertIn("la-server", st["agents"])
        self.assertEqual(ferry_client.Client(AGENT).status()["role"], "agent")

    def test_send_wait_progress(self):
        seen = []
        job = self.hub.send([os.path.join(SRC, "show/big.mov"),
                             os.path.join(SRC, "show/plate")], to="la",
                            priority=700, note="from python")
        self.assertIsInstance(job.id, int)
        done = job.wait(progress=lambda j: seen.append(
            (j.state, j.done_bytes)), timeout=60)
        self.assertIs(done, job)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.files, 4)
        self.assertEqual(job.done_files, 4)
        self.assertEqual(job.done_bytes, job.bytes)
        self.assertTrue(seen, "progress was never called")
        self.assertEqual(seen[-1], ("done", job.bytes))
        self.assertTrue(filecmp.cmp(os.path.join(SRC, "show/big.mov"),
                                    os.path.join(DST, "show/big.mov"),
                                    shallow=False))
        tasks = job.tasks()
        self.assertEqual(sorted(t["state"] for t in tasks), ["done"] * 4)
        listed = [j.id for j in self.hub.jobs(limit=100)]
        self.assertIn(job.id, listed)
        self.assertEqual(job.priority, 700)

    def test_send_from_agent_is_relayed(self):
        # On an agent the source defaults to its own site.
        la = ferry_client.Client(AGENT)
        job = la.send([os.path.join(DST, "back/from-la.txt")], to="hq")
        job.wait(timeout=60)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.to, "hq")
        with open(os.path.join(SRC, "back/from-la.txt")) as f:
            self.assertEqual(f.read(), "la publishes back\n")
        self.assertIn(job.id, [j.id for j in la.jobs()])

    def test_refusals_carry_the_daemons_words(self):
        with self.assertRaises(ferry_client.FerryError) as cm:
            self.hub.send([os.path.join(SRC, "show/big.mov")], to="nowhere")
        self.assertEqual(cm.exception.op, "send")
        self.assertIn("nowhere", cm.exception.message)
        with self.assertRaises(ferry_client.FerryError) as cm:
            self.hub.job(999999)
        self.assertIn("999999", cm.exception.message)
        with self.assertRaises(ferry_client.FerryError) as cm:
            ferry_client.Client("/nonexistent/ferry").status()
        self.assertIn("no ferryd at /nonexistent/ferry/ferryd.sock",
                      str(cm.exception))

    def test_cancel_and_retry(self):
        # ny has no agent: its job waits, and can be cancelled.
        job = self.hub.send([os.path.join(SRC, "show/big.mov")], to="ny")
        self.assertIn(job.state, ("queued", "running"))
        self.assertFalse(job.final)
        cancelled = self.hub.cancel(job.id)
        self.assertEqual(cancelled.state, "cancelled")
        with self.assertRaises(ferry_client.FerryError) as cm:
            job.wait(timeout=10)
        self.assertIn("cancelled", cm.exception.message)
        # A cancelled job is not retried: the hub says to send again.
        with self.assertRaises(ferry_client.FerryError) as cm:
            self.hub.retry(job.id)
        self.assertEqual(cm.exception.op, "retry")
        self.assertIn("send", cm.exception.message)

    def test_wait_times_out(self):
        job = self.hub.send([os.path.join(SRC, "show/big.mov")], to="ny")
        try:
            with self.assertRaises(TimeoutError):
                job.wait(timeout=0.3)
        finally:
            self.hub.cancel(job.id)


if __name__ == "__main__":
    unittest.main()
