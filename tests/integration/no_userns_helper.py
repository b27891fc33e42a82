# Test helper (rootless_test.sh): runs argv as uid/gid 65534 inside a user
# namespace whose user.max_user_namespaces is 0 -- that namespace's own
# limit, the host is untouched -- to see how faultline explains a refusal.
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe(); r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r); os.close(w2)
    if libc.unshare(0x10000000) != 0: os._exit(90)
    os.write(w, b"x"); os.read(r2, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as f: f.write("0")
    os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
    os.execv(sys.argv[1], sys.argv[1:])
os.close(w); os.close(r2)
os.read(r, 1)
for m in ("uid_map", "gid_map"):
    with open(f"/proc/{pid}/{m}", "w") as f: f.write("0 0 65536")
os.write(w2, b"x")
_, st = os.waitpid(pid, 0)
print("exit", os.waitstatus_to_exitcode(st))
