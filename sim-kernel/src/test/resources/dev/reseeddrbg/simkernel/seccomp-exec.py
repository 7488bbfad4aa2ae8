# Runs a command under a seccomp allow-list, as systemd's SystemCallFilter= does for a unit:
# argv[1] a file of system call names (one a line) that are allowed, argv[2] the errno every
# other call fails with, argv[3:] the command. Needs libseccomp's Python binding
# (Debian: python3-seccomp). Names this architecture does not have are skipped, as systemd does.
import os
import sys

import seccomp

allowed = [line.strip() for line in open(sys.argv[1]) if line.strip()]
denied = seccomp.SyscallFilter(defaction=seccomp.ERRNO(int(sys.argv[2])))
for name in allowed:
    try:
        denied.add_rule(seccomp.ALLOW, name)
    except (RuntimeError, ValueError):
        pass
denied.load()
os.execv(sys.argv[3], sys.argv[3:])
