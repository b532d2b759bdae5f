# The public node of the DCUtR lab test: an observer (tells each TCP client its source ip:port, one line) and a
# splice (joins the first connection on port A with the first on port B, byte for byte, both ways).
import socket, sys, threading

def observer(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, addr = s.accept()
        c.sendall(("%s:%d\n" % addr).encode()); c.close()

def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def splice(port_a, port_b):
    ends = []
    for port in (port_a, port_b):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port)); s.listen(1); ends.append(s)
    a, _ = ends[0].accept()
    b, _ = ends[1].accept()
    print("spliced", flush=True)
    threading.Thread(target=pump, args=(a, b), daemon=True).start()
    pump(b, a)

threading.Thread(target=observer, args=(int(sys.argv[1]),), daemon=True).start()
print("ready", flush=True)
splice(int(sys.argv[2]), int(sys.argv[3]))
threading.Event().wait()
