#!/bin/sh
# Attack: files marked delivered that never came, at a site. As
# publish-unsent.sh, but the vendor publishes to la, a site's agent: la
# listens, the crafted vendor says at once that the file arrived and the
# transfer ended well, and never connects. la receives nothing and says
# so (its transfer fails), but a file's fate was the sender's word: the
# task was done with nothing at la. A person's machine is not trusted to
# say what arrived: the receiver (la, which checks every byte it
# commits) says so. Then the same file really sent is done at la, and
# again when found identical.
UNSENT_TO=la
. "${srcdir:-.}/tests/security/publish-unsent.sh"
