#!/bin/sh
# tests/transfer/durable.sh on ext4 with its journal (mkfs.ext4's
# defaults), the file system of the bench's S7: a shutdown without a
# journal flush, kill -9 of both ends, the journal replayed at the next
# mount; nothing may then sit under its final name with missing bytes,
# whether the batch was made durable by one syncfs or an fsync per file.
LOOP_FS=ext4 exec sh "${srcdir:-.}/tests/transfer/durable.sh" "$@"
